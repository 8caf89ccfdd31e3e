package tollgate.k8s.rbac_network_policy_write_test

import rego.v1

import data.tollgate.k8s.rbac_network_policy_write

role(rules) := {"kind": "Role", "metadata": {"name": "r"}, "rules": rules}

test_read_pass if {
	count(rbac_network_policy_write.deny) == 0 with input as role([
		{"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies", "ingresses"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ["create", "delete"]},
		{"apiGroups": ["extensions"], "resources": ["networkpolicies"], "verbs": ["delete"]},
	])
}

test_network_policy_write_fails if {
	findings := rbac_network_policy_write.deny with input as role([
		{"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"], "verbs": ["delete"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["patch"]},
	])
	findings == {
		{"msg": "Role/r: rule 0 can delete or change NetworkPolicies, removing network isolation", "path": ["rules", 0, "resources", 1]},
		{"msg": "Role/r: rule 1 can delete or change NetworkPolicies, removing network isolation", "path": ["rules", 1, "resources", 0]},
	}
}
