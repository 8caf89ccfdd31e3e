package tollgate.k8s.rbac_ephemeral_containers_test

import rego.v1

import data.tollgate.k8s.rbac_ephemeral_containers

role(rules) := {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}

test_read_pass if {
	count(rbac_ephemeral_containers.deny) == 0 with input as role([
		{"apiGroups": [""], "resources": ["pods", "pods/ephemeralcontainers"], "verbs": ["get", "list"]},
		{"apiGroups": ["apps"], "resources": ["pods/ephemeralcontainers"], "verbs": ["patch"]},
		{"apiGroups": [""], "resources": ["pods/log"], "verbs": ["create"]},
	])
}

test_ephemeral_containers_fail if {
	findings := rbac_ephemeral_containers.deny with input as role([
		{"apiGroups": [""], "resources": ["pods", "pods/ephemeralcontainers"], "verbs": ["patch"]},
		{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["update"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "ClusterRole/r: rule 0 grants pods/ephemeralcontainers: running a container of the caller's choosing in existing pods", "path": ["rules", 0, "resources", 1]},
		{"msg": "ClusterRole/r: rule 1 grants pods/*: running a container of the caller's choosing in existing pods", "path": ["rules", 1, "resources", 0]},
		{"msg": "ClusterRole/r: rule 2 grants *: running a container of the caller's choosing in existing pods", "path": ["rules", 2, "resources", 0]},
	}
}

test_wildcard_left_to_rbac_wildcard if {
	count(rbac_ephemeral_containers.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["*"], "verbs": ["patch"]}])
		with data.tollgate.selected as {"k8s/rbac-wildcard": true}
}
