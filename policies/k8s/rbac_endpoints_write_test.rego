package tollgate.k8s.rbac_endpoints_write_test

import rego.v1

import data.tollgate.k8s.rbac_endpoints_write

role(rules) := {"kind": "Role", "metadata": {"name": "r"}, "rules": rules}

test_read_and_wrong_group_pass if {
	count(rbac_endpoints_write.deny) == 0 with input as role([
		{"apiGroups": ["", "discovery.k8s.io"], "resources": ["endpoints", "endpointslices"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": ["discovery.k8s.io"], "resources": ["endpoints"], "verbs": ["create"]},
		{"apiGroups": [""], "resources": ["endpointslices"], "verbs": ["update"]},
	])
}

test_endpoints_write_fails if {
	findings := rbac_endpoints_write.deny with input as role([
		{"apiGroups": [""], "resources": ["services", "endpoints"], "verbs": ["create", "update"]},
		{"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["patch"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "Role/r: rule 0 can write endpoints, redirecting Service traffic (CVE-2021-25740)", "path": ["rules", 0, "resources", 1]},
		{"msg": "Role/r: rule 1 can write endpointslices, redirecting Service traffic (CVE-2021-25740)", "path": ["rules", 1, "resources", 0]},
		{"msg": "Role/r: rule 2 can write *, redirecting Service traffic (CVE-2021-25740)", "path": ["rules", 2, "resources", 0]},
	}
}
