package tollgate.k8s.rbac_pod_exec_test

import rego.v1

import data.tollgate.k8s.rbac_pod_exec

role(rules) := {"kind": "Role", "metadata": {"name": "r"}, "rules": rules}

test_logs_pass if {
	count(rbac_pod_exec.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]}])
}

test_exec_fails if {
	findings := rbac_pod_exec.deny with input as role([{"apiGroups": [""], "resources": ["pods/exec", "pods/*"], "verbs": ["create"]}])
	findings == {
		{"msg": "Role/r: rule 0 grants pods/exec, a shell in running containers", "path": ["rules", 0, "resources", 0]},
		{"msg": "Role/r: rule 0 grants pods/*, a shell in running containers", "path": ["rules", 0, "resources", 1]},
	}
}
