# METADATA
# title: pods/exec or pods/attach access
# description: |
#   Flags Role and ClusterRole rules that grant create or get on pods/exec or pods/attach (also
#   through pods/* or *). A shell in a running container reads its Secrets, tokens and memory
#   and bypasses the workload's audit trail.
# custom:
#   id: k8s/rbac-pod-exec
#   severity: high
#   remediation: Remove pods/exec and pods/attach from the role; grant them temporarily through a break-glass process.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.4"}]
#     nsa: [RBAC]
#   aliases: {trivy: [KSV-0053, KSV-0054], checkov: CKV2_K8S_2, polaris: [clusterrolePodExecAttach, rolePodExecAttach]}
package tollgate.k8s.rbac_pod_exec

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	rbac.grants_verb(entry.rule, {"create", "get"})
	some j in rbac.resource_hits(entry.rule, {"pods/exec", "pods/attach"})
	result = {
		"msg": sprintf("%s: rule %d grants %v, a shell in running containers", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
