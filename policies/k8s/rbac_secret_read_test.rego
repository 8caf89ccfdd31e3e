package tollgate.k8s.rbac_secret_read_test

import rego.v1

import data.tollgate.k8s.rbac_secret_read

role(rules) := {"kind": "Role", "metadata": {"name": "r"}, "rules": rules}

test_configmaps_pass if {
	count(rbac_secret_read.deny) == 0 with input as role([
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
		{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["get"]},
	])
}

test_secret_read_fails if {
	findings := rbac_secret_read.deny with input as role([
		{"apiGroups": [""], "resources": ["pods", "secrets"], "verbs": ["list"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "Role/r: rule 0 grants read access to Secrets", "path": ["rules", 0, "resources", 1]},
		{"msg": "Role/r: rule 1 grants read access to Secrets", "path": ["rules", 1, "resources", 0]},
	}
}
