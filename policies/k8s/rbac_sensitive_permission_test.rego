package tollgate.k8s.rbac_sensitive_permission_test

import rego.v1

import data.tollgate.k8s.rbac_sensitive_permission

role(rules) := {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}

test_harmless_rules_pass if {
	count(rbac_sensitive_permission.deny) == 0 with input as role([
		{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]},
		{"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["get"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	])
}

test_sensitive_permissions_fail if {
	findings := rbac_sensitive_permission.deny with input as role([
		{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
		{"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"]},
		{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"], "verbs": ["delete"]},
		{"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]},
		{"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/*"], "verbs": ["update"]},
	])
	count(findings) == 6
	{"msg": "ClusterRole/r: rule 0 grants nodes/proxy: direct kubelet API access", "path": ["rules", 0, "resources", 0]} in findings
}
