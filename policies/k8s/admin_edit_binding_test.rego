package tollgate.k8s.admin_edit_binding_test

import rego.v1

import data.tollgate.k8s.admin_edit_binding

binding(kind, role, subjects) := {
	"kind": kind, "metadata": {"name": "b"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
	"subjects": subjects,
}

test_view_and_system_subjects_pass if {
	count(admin_edit_binding.deny) == 0 with input as binding("RoleBinding", "view", [{"kind": "Group", "name": "devs"}])
	count(admin_edit_binding.deny) == 0 with input as binding("ClusterRoleBinding", "edit", [
		{"kind": "Group", "name": "system:serviceaccounts:kube-system"},
		{"kind": "ServiceAccount", "name": "controller", "namespace": "kube-system"},
	])
	count(admin_edit_binding.deny) == 0 with input as object.union(
		binding("RoleBinding", "admin", [{"kind": "Group", "name": "devs"}]),
		{"roleRef": {"kind": "Role", "name": "admin"}},
	)
}

test_admin_and_edit_bindings_fail if {
	findings := admin_edit_binding.deny with input as binding("ClusterRoleBinding", "edit", [
		{"kind": "ServiceAccount", "name": "kube-proxy", "namespace": "kube-system"},
		{"kind": "Group", "name": "developers"},
		{"kind": "ServiceAccount", "name": "ci", "namespace": "ci"},
	])
	findings == {
		{"msg": "ClusterRoleBinding/b: grants the edit ClusterRole to Group developers", "path": ["subjects", 1]},
		{"msg": "ClusterRoleBinding/b: grants the edit ClusterRole to ServiceAccount ci", "path": ["subjects", 2]},
	}
	count(admin_edit_binding.deny) == 1 with input as binding("RoleBinding", "admin", [{"kind": "User", "name": "alice"}])
}
