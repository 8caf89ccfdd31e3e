# METADATA
# title: Can delete pod logs
# description: |
#   Flags Role and ClusterRole rules that grant delete or deletecollection on pods/log (also
#   through pods/* or *). A role that asks to delete logs is asking to erase the trail of what
#   happened in a pod; whoever holds it can hide an intrusion.
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-pod-log-delete
#   severity: medium
#   remediation: Grant only get on pods/log; keep log retention outside the reach of the workloads' operators.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     nsa: [RBAC]
#   aliases:
#     trivy: KSV-0042
package tollgate.k8s.rbac_pod_log_delete

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	rbac.grants_verb(entry.rule, {"delete", "deletecollection"})
	some j in rbac.specific_hits(entry.rule, {"pods/log"})
	result = {
		"msg": sprintf("%s: rule %d can delete pod logs (%v)", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
