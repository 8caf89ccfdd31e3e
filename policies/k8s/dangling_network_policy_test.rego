package tollgate.k8s.dangling_network_policy_test

import rego.v1

import data.tollgate.k8s.dangling_network_policy

policy(selector) := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"podSelector": selector}}

web := {"kind": "Deployment", "name": "web", "pod_labels": {"app": "web"}}

inv := {
	"namespaces": {"shop": {"Deployment": [web]}},
	"pods_by_label": {"shop": {"app": {"web": [web]}}},
}

test_matching_selector_passes if {
	count(dangling_network_policy.deny) == 0 with input as policy({"matchLabels": {"app": "web"}}) with data.tollgate.inventory as inv
	count(dangling_network_policy.deny) == 0 with input as policy({}) with data.tollgate.inventory as inv
}

test_selector_matching_nothing_fails if {
	findings := dangling_network_policy.deny with input as policy({"matchLabels": {"app": "api"}}) with data.tollgate.inventory as inv
	findings == {{
		"msg": `NetworkPolicy/web: podSelector {"matchLabels":{"app":"api"}} matches the pods of no workload in namespace 'shop'; the policy isolates nothing`,
		"path": ["spec", "podSelector"],
	}}
	sel := {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}
	count(dangling_network_policy.deny) == 1 with input as policy(sel) with data.tollgate.inventory as inv
}

test_quiet_when_the_commit_cannot_tell if {
	sel := {"matchLabels": {"app": "api"}}
	count(dangling_network_policy.deny) == 0 with input as policy(sel) with data.tollgate.inventory as {}
	count(dangling_network_policy.deny) == 0 with input as policy(sel) with data.tollgate.inventory as object.union(inv, {"custom_resources": {"shop": true}})
	count(dangling_network_policy.deny) == 0 with input as policy({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}) with data.tollgate.inventory as inv
}
