package tollgate.k8s.cluster_admin_binding_test

import rego.v1

import data.tollgate.k8s.cluster_admin_binding

binding(kind, role) := {"kind": kind, "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": role}}

test_custom_role_passes if {
	count(cluster_admin_binding.deny) == 0 with input as binding("ClusterRoleBinding", "view")
}

test_cluster_admin_fails if {
	findings := cluster_admin_binding.deny with input as binding("RoleBinding", "cluster-admin")
	findings == {{"msg": "RoleBinding/b: grants cluster-admin to its subjects", "path": ["roleRef", "name"]}}
}

test_allowlisted_binding_passes if {
	count(cluster_admin_binding.deny) == 0 with input as binding("ClusterRoleBinding", "cluster-admin") with data.tollgate.params.allowed_cluster_admin_bindings as ["b"]
}
