package tollgate.k8s.rbac_workload_create_test

import rego.v1

import data.tollgate.k8s.rbac_workload_create

role(rules) := {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}

test_read_only_passes if {
	count(rbac_workload_create.deny) == 0 with input as role([
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]},
		{"apiGroups": ["example.com"], "resources": ["deployments"], "verbs": ["create"]},
	])
}

test_create_workloads_fails if {
	findings := rbac_workload_create.deny with input as role([{"apiGroups": ["apps"], "resources": ["configmaps", "deployments"], "verbs": ["patch"]}])
	findings == {{"msg": "ClusterRole/r: rule 0 can create or change deployments, which run pods", "path": ["rules", 0, "resources", 1]}}
}
