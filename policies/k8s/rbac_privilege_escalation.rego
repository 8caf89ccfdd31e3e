# METADATA
# title: RBAC bind, escalate or impersonate
# description: |
#   Flags Role and ClusterRole rules that grant the bind, escalate or impersonate verbs (or "*"
#   verbs), or create, update or patch on rolebindings and clusterrolebindings. Each lets the
#   subject give itself permissions it does not have, up to cluster-admin.
# custom:
#   id: k8s/rbac-privilege-escalation
#   severity: critical
#   remediation: Remove the verbs and the binding write access; let only the RBAC administration pipeline manage roles and bindings.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.8"}]
#     nsa: [RBAC]
#   aliases:
#     trivy: [KSV-0043, KSV-0050, KSV-0051, KSV-0052, KSV-0055]
#     checkov: [CKV_K8S_157, CKV_K8S_158, CKV2_K8S_3, CKV2_K8S_1]
#     kyverno: restrict-escalation-verbs-roles
package tollgate.k8s.rbac_privilege_escalation

import rego.v1

import data.tollgate.lib.rbac

escalating_verbs := {"bind", "escalate", "impersonate"}

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	some j, verb in rbac.list(entry.rule, "verbs")
	verb in (escalating_verbs | {"*"})
	# "*" verbs only matter on resources that accept bind/escalate/impersonate.
	escalating_target(entry.rule, verb)
	result = {
		"msg": sprintf("%s: rule %d grants the %s verb", [data.tollgate.lib.k8s.resource, entry.path[1], verb]),
		"path": array.concat(entry.path, ["verbs", j]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {"rbac.authorization.k8s.io"})
	rbac.grants_verb(entry.rule, {"create", "update", "patch"})
	some j in rbac.resource_hits(entry.rule, {"rolebindings", "clusterrolebindings"})
	result = {
		"msg": sprintf("%s: rule %d can write %v", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}

escalating_target(_, verb) if verb in escalating_verbs

# A bare "*" resource is left to the binding-write rule below (and to k8s/rbac-wildcard).
escalating_target(rule, "*") if {
	some j in rbac.resource_hits(rule, {"roles", "clusterroles", "users", "groups", "serviceaccounts"})
	rule.resources[j] != "*"
}
