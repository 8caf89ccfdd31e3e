# METADATA
# title: Read access to Secrets
# description: |
#   Flags Role and ClusterRole rules that grant get, list or watch on secrets (directly or
#   through "*") in the core API group. Reading Secrets yields service account tokens, registry
#   credentials and application passwords; list and watch return every Secret's content.
# custom:
#   id: k8s/rbac-secret-read
#   severity: high
#   remediation: Remove secrets from the rule, or restrict it with resourceNames to the Secrets the subject must read.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.2"}]
#     nsa: [RBAC]
#   aliases:
#     trivy: [KSV-0041, KSV-0113]
#     checkov: CKV2_K8S_5
#     kube-linter: access-to-secrets
#     kyverno: restrict-secret-role-verbs
package tollgate.k8s.rbac_secret_read

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	rbac.grants_verb(entry.rule, {"get", "list", "watch"})
	not is_array(entry.rule.resourceNames)
	some j in rbac.resource_hits(entry.rule, {"secrets"})
	result = {
		"msg": sprintf("%s: rule %d grants read access to Secrets", [data.tollgate.lib.k8s.resource, entry.path[1]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
