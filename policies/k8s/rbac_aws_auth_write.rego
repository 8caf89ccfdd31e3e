# METADATA
# title: Can change the EKS aws-auth ConfigMap
# description: |
#   Flags Role and ClusterRole rules that grant update, patch or delete on configmaps (core API
#   group, directly or through "*") naming aws-auth in resourceNames, and Roles in kube-system
#   granting create, update, patch or delete on configmaps without resourceNames. On EKS,
#   kube-system/aws-auth maps IAM roles and users to Kubernetes groups: whoever edits it can map
#   an IAM identity they control to system:masters. A ClusterRole granting configmaps without
#   resourceNames is not flagged (too common to judge here; k8s/rbac-wildcard and the bindings
#   decide how far it reaches).
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-aws-auth-write
#   severity: high
#   remediation: Remove the write access to aws-auth; manage it from the cluster's provisioning (or use EKS access entries) instead of a Kubernetes role.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     nsa: [RBAC]
#   aliases:
#     trivy: KSV-0115
package tollgate.k8s.rbac_aws_auth_write

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	data.tollgate.lib.rbac.aws_auth_write(entry.rule)
	some j in rbac.specific_hits(entry.rule, {"configmaps"})
	result = {
		"msg": sprintf("%s: rule %d can change the EKS aws-auth ConfigMap, which maps IAM identities to cluster groups", [data.tollgate.lib.k8s.resource, entry.path[1]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
