# METADATA
# title: Can change NetworkPolicies
# description: |
#   Flags Role and ClusterRole rules that grant create, update, patch, delete or
#   deletecollection on networkpolicies (networking.k8s.io, directly or through "*").
#   NetworkPolicies are additive allow-lists: deleting or editing one, or creating one that
#   allows more, removes the namespace's isolation and opens lateral movement.
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-network-policy-write
#   severity: medium
#   remediation: Remove write access to networkpolicies; let the platform pipeline that owns network isolation manage them.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     nsa: [RBAC, NP]
#   aliases:
#     trivy: KSV-0056
package tollgate.k8s.rbac_network_policy_write

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {"networking.k8s.io"})
	rbac.grants_verb(entry.rule, {"create", "update", "patch", "delete", "deletecollection"})
	some j in rbac.specific_hits(entry.rule, {"networkpolicies"})
	result = {
		"msg": sprintf("%s: rule %d can delete or change NetworkPolicies, removing network isolation", [data.tollgate.lib.k8s.resource, entry.path[1]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
