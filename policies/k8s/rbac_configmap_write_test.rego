package tollgate.k8s.rbac_configmap_write_test

import rego.v1

import data.tollgate.k8s.rbac_configmap_write

role(rules) := {"kind": "Role", "metadata": {"name": "r", "namespace": "shop"}, "rules": rules}

test_read_and_named_update_pass if {
	count(rbac_configmap_write.deny) == 0 with input as role([
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["web-config"], "verbs": ["update", "patch", "delete"]},
		{"apiGroups": [""], "resources": ["secrets", "configmaps/status"], "verbs": ["create"]},
		{"apiGroups": ["apps"], "resources": ["configmaps"], "verbs": ["create"]},
	])
}

test_configmap_write_fails if {
	findings := rbac_configmap_write.deny with input as role([
		{"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": ["patch"]},
		{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["web-config"], "verbs": ["create"]},
		{"apiGroups": ["*"], "resources": ["configmaps"], "verbs": ["deletecollection"]},
		{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "Role/r: rule 0 grants write access to ConfigMaps", "path": ["rules", 0, "resources", 1]},
		{"msg": "Role/r: rule 1 grants write access to ConfigMaps", "path": ["rules", 1, "resources", 0]},
		{"msg": "Role/r: rule 2 grants write access to ConfigMaps", "path": ["rules", 2, "resources", 0]},
		{"msg": "Role/r: rule 3 grants write access to ConfigMaps", "path": ["rules", 3, "resources", 0]},
	}
}

test_cluster_role_fails if {
	findings := rbac_configmap_write.deny with input as {"kind": "ClusterRole", "metadata": {"name": "c"}, "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update"]}]}
	count(findings) == 1
}

# A bare "*" resource is k8s/rbac-wildcard's when that check runs.
test_wildcard_left_to_rbac_wildcard if {
	count(rbac_configmap_write.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["*"], "verbs": ["create"]}])
		with data.tollgate.selected as {"k8s/rbac-wildcard": true}
}

# aws-auth is k8s/rbac-aws-auth-write's when that check runs, and this check's when it does not.
test_aws_auth_left_to_aws_auth_check if {
	named := role([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["create"]}])
	kube_system := {"kind": "Role", "metadata": {"name": "r", "namespace": "kube-system"}, "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["update"]}]}
	count(rbac_configmap_write.deny) == 0 with input as named with data.tollgate.selected as {"k8s/rbac-aws-auth-write": true}
	count(rbac_configmap_write.deny) == 0 with input as kube_system with data.tollgate.selected as {"k8s/rbac-aws-auth-write": true}
	count(rbac_configmap_write.deny) == 1 with input as named
	count(rbac_configmap_write.deny) == 1 with input as kube_system
}
