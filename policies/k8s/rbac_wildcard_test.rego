package tollgate.k8s.rbac_wildcard_test

import rego.v1

import data.tollgate.k8s.rbac_wildcard

role(rules) := {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}

test_explicit_rules_pass if {
	count(rbac_wildcard.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}])
	count(rbac_wildcard.deny) == 0 with input as role("bad")
	count(rbac_wildcard.deny) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "x"}, "rules": [{"verbs": ["*"]}]}
}

test_wildcards_fail if {
	findings := rbac_wildcard.deny with input as role([
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "*"]},
		{"nonResourceURLs": ["*"], "verbs": ["get"]},
	])
	count(findings) == 4
	{"msg": "ClusterRole/r: rule 1 grants \"*\" in verbs", "path": ["rules", 1, "verbs", 1]} in findings
}
