# METADATA
# title: Object in the default namespace
# description: |
#   Flags objects whose metadata.namespace is "default". The default namespace has no owner, no
#   quota and usually no network policy, so resources there escape per-team isolation and
#   RBAC boundaries.
# custom:
#   id: k8s/default-namespace
#   severity: low
#   remediation: Deploy into a dedicated namespace for the application or team.
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.6.4"}, {version: "1.12", id: "5.6.1"}]
#     nsa: [NS]
#   aliases: {trivy: KSV-0110, checkov: CKV_K8S_21, kube-linter: use-namespace, kyverno: disallow-default-namespace}
package tollgate.k8s.default_namespace

import rego.v1

# Every kind: a cluster-scoped object never sets metadata.namespace, so it is never flagged.
deny contains result if {
	input.metadata.namespace == "default"
	result = {
		"msg": sprintf("%s: is in the default namespace", [data.tollgate.lib.k8s.resource]),
		"path": ["metadata", "namespace"],
	}
}
