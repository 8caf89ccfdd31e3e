# METADATA
# title: Wildcard in RBAC rules
# description: |
#   Flags "*" in the apiGroups, resources, verbs or nonResourceURLs of a Role or ClusterRole rule
#   (one finding per wildcard). A wildcard grants every current and future API, resource or verb,
#   including ones added later by CRDs, so the role silently grows; "*" verbs on "*" resources is
#   cluster-admin.
# custom:
#   id: k8s/rbac-wildcard
#   severity: high
#   remediation: List the API groups, resources and verbs the subject needs explicitly.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.3"}]
#     nsa: [RBAC]
#   aliases:
#     trivy: [KSV-0044, KSV-0045, KSV-0046, KSV-0112]
#     checkov: CKV_K8S_49
#     kube-linter: wildcard-in-rules
#     kyverno: [restrict-wildcard-resources, restrict-wildcard-verbs]
package tollgate.k8s.rbac_wildcard

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	some field in ["apiGroups", "resources", "verbs", "nonResourceURLs"]
	some j, value in rbac.list(entry.rule, field)
	value == "*"
	result = {
		"msg": sprintf("%s: rule %d grants \"*\" in %s", [data.tollgate.lib.k8s.resource, entry.path[1], field]),
		"path": array.concat(entry.path, [field, j]),
	}
}
