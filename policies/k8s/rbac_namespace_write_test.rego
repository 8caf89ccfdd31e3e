package tollgate.k8s.rbac_namespace_write_test

import rego.v1

import data.tollgate.k8s.rbac_namespace_write

role(kind, rules) := {"kind": kind, "metadata": {"name": "r"}, "rules": rules}

test_read_and_role_pass if {
	count(rbac_namespace_write.deny) == 0 with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch", "create"]},
		{"apiGroups": [""], "resources": ["namespaces/status"], "verbs": ["patch"]},
	])
	count(rbac_namespace_write.deny) == 0 with input as role("Role", [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch"]}])
}

test_namespace_patch_fails if {
	findings := rbac_namespace_write.deny with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["patch"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["update"]},
	])
	findings == {
		{"msg": "ClusterRole/r: rule 0 can change Namespaces, including their Pod Security labels", "path": ["rules", 0, "resources", 1]},
		{"msg": "ClusterRole/r: rule 1 can change Namespaces, including their Pod Security labels", "path": ["rules", 1, "resources", 0]},
	}
}
