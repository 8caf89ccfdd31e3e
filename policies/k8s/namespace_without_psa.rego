# METADATA
# title: Namespace without Pod Security enforcement
# description: |
#   Flags Namespaces without the pod-security.kubernetes.io/enforce label, or with it set to
#   privileged (or to a value Pod Security Admission does not know). Without an enforce level the
#   cluster default applies, which is privileged unless the admission plugin is configured
#   otherwise, so nothing stops a privileged pod in that namespace.
# custom:
#   id: k8s/namespace-without-psa
#   severity: medium
#   remediation: "Label the namespace pod-security.kubernetes.io/enforce: restricted (or baseline), ideally with enforce-version pinned."
#   kinds: [Namespace]
#   profiles: [extended]
#   frameworks:
#     pss: {level: baseline, control: Pod Security Admission enforcement}
#     cis: [{version: "1.12", id: "5.2.1"}]
#     nsa: [PSE]
#   aliases:
#     kyverno: [deny-privileged-profile, add-psa-namespace-reporting]
package tollgate.k8s.namespace_without_psa

import rego.v1

label := "pod-security.kubernetes.io/enforce"

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Namespace"
	level = object.get(input, ["metadata", "labels", label], null)
	not level in {"baseline", "restricted"}
	result = {
		"msg": message(level),
		"path": ["metadata", "labels", label],
	}
}

message(null) := sprintf("%s: has no %s label, so Pod Security Admission enforces nothing", [data.tollgate.lib.k8s.resource, label])

message(level) := sprintf("%s: %s is %v, which enforces nothing", [data.tollgate.lib.k8s.resource, label, level]) if level != null
