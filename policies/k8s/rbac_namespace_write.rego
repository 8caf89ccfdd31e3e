# METADATA
# title: Can change Namespaces
# description: |
#   Flags ClusterRole rules that grant update or patch on namespaces (directly or through "*")
#   in the core API group. Whoever can change a Namespace can remove or lower its
#   pod-security.kubernetes.io labels and then run privileged pods there, and can relabel it
#   into the scope of NetworkPolicies and admission rules meant for other namespaces. A Role
#   cannot grant access to Namespaces, which are cluster-scoped.
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-namespace-write
#   severity: high
#   remediation: Remove update and patch on namespaces; let the platform pipeline that owns the Pod Security labels manage Namespaces.
#   kinds: [ClusterRole]
#   profiles: [extended]
#   frameworks:
#     nsa: [RBAC]
package tollgate.k8s.rbac_namespace_write

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	input.kind == "ClusterRole"
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	rbac.grants_verb(entry.rule, {"update", "patch"})
	some j in rbac.specific_hits(entry.rule, {"namespaces"})
	result = {
		"msg": sprintf("%s: rule %d can change Namespaces, including their Pod Security labels", [data.tollgate.lib.k8s.resource, entry.path[1]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
