package tollgate.k8s.rbac_pod_log_delete_test

import rego.v1

import data.tollgate.k8s.rbac_pod_log_delete

role(rules) := {"kind": "Role", "metadata": {"name": "r"}, "rules": rules}

test_read_logs_pass if {
	count(rbac_pod_log_delete.deny) == 0 with input as role([
		{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
	])
}

test_log_delete_fails if {
	findings := rbac_pod_log_delete.deny with input as role([
		{"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get", "delete"]},
		{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["deletecollection"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "Role/r: rule 0 can delete pod logs (pods/log)", "path": ["rules", 0, "resources", 0]},
		{"msg": "Role/r: rule 1 can delete pod logs (pods/*)", "path": ["rules", 1, "resources", 0]},
		{"msg": "Role/r: rule 2 can delete pod logs (*)", "path": ["rules", 2, "resources", 0]},
	}
}
