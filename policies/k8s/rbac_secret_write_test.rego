package tollgate.k8s.rbac_secret_write_test

import rego.v1

import data.tollgate.k8s.rbac_secret_write

role(rules) := {"kind": "Role", "metadata": {"name": "r"}, "rules": rules}

test_read_and_named_update_pass if {
	count(rbac_secret_write.deny) == 0 with input as role([
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["web-tls"], "verbs": ["update", "patch"]},
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "update"]},
		{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["create"]},
	])
}

test_secret_write_fails if {
	findings := rbac_secret_write.deny with input as role([
		{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["patch"]},
		{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["web-tls"], "verbs": ["create"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "Role/r: rule 0 grants write access to Secrets", "path": ["rules", 0, "resources", 1]},
		{"msg": "Role/r: rule 1 grants write access to Secrets", "path": ["rules", 1, "resources", 0]},
		{"msg": "Role/r: rule 2 grants write access to Secrets", "path": ["rules", 2, "resources", 0]},
	}
}

# A bare "*" resource is k8s/rbac-wildcard's when that check runs.
test_wildcard_left_to_rbac_wildcard if {
	count(rbac_secret_write.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["*"], "verbs": ["create"]}])
		with data.tollgate.selected as {"k8s/rbac-wildcard": true}
}
