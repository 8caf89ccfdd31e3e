# METADATA
# title: Binding to cluster-admin
# description: |
#   Flags RoleBindings and ClusterRoleBindings whose roleRef is the cluster-admin ClusterRole.
#   Its subjects can do anything in the cluster (or, through a RoleBinding, anything in the
#   namespace, including editing its RBAC). Binding names listed in the
#   allowed_cluster_admin_bindings parameter pass.
# custom:
#   id: k8s/cluster-admin-binding
#   severity: critical
#   remediation: Bind a role with only the permissions the subject needs; keep cluster-admin for break-glass access outside Git.
#   kinds: [RoleBinding, ClusterRoleBinding]
#   profiles: [extended]
#   params:
#     allowed_cluster_admin_bindings: {type: array, default: [], description: binding names allowed to reference cluster-admin}
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.1"}]
#     nsa: [RBAC]
#   aliases:
#     trivy: KSV-0111
#     kube-linter: cluster-admin-role-binding
#     polaris: [clusterrolebindingClusterAdmin, rolebindingClusterAdminClusterRole]
#     kyverno: restrict-binding-clusteradmin
package tollgate.k8s.cluster_admin_binding

import rego.v1

import data.tollgate.lib.k8s
allowed := {n | some n in data.tollgate.params.allowed_cluster_admin_bindings}

deny contains result if {
	input.kind in data.tollgate.lib.rbac.binding_kinds
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == "cluster-admin"
	not k8s.name(data.tollgate.lib.k8s.object_metadata) in allowed
	result = {
		"msg": sprintf("%s: grants cluster-admin to its subjects", [data.tollgate.lib.k8s.resource]),
		"path": ["roleRef", "name"],
	}
}
