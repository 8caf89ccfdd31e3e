package tollgate.k8s.rbac_aws_auth_write_test

import rego.v1

import data.tollgate.k8s.rbac_aws_auth_write

role(kind, namespace, rules) := {"kind": kind, "metadata": {"name": "r", "namespace": namespace}, "rules": rules}

test_other_configmaps_pass if {
	count(rbac_aws_auth_write.deny) == 0 with input as role("Role", "kube-system", [
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["coredns"], "verbs": ["update"]},
	])
	count(rbac_aws_auth_write.deny) == 0 with input as role("Role", "shop", [
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update", "patch"]},
	])
	count(rbac_aws_auth_write.deny) == 0 with input as role("ClusterRole", "", [
		{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update"]},
	])
}

test_aws_auth_write_fails if {
	findings := rbac_aws_auth_write.deny with input as role("ClusterRole", "", [
		{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["get", "patch"]},
	])
	findings == {{"msg": "ClusterRole/r: rule 0 can change the EKS aws-auth ConfigMap, which maps IAM identities to cluster groups", "path": ["rules", 0, "resources", 0]}}
	count(rbac_aws_auth_write.deny) == 1 with input as role("Role", "kube-system", [
		{"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": ["update"]},
	])
}
