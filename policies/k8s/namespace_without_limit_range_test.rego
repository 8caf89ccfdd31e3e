package tollgate.k8s.namespace_without_limit_range_test

import rego.v1

import data.tollgate.k8s.namespace_without_limit_range

namespace := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}

limit_range(ns) := {"kind": "LimitRange", "name": "defaults", "namespace": ns}

test_quota_in_namespace_passes if {
	findings := namespace_without_limit_range.deny with input as namespace
		with data.tollgate.inventory as {"namespaces": {"shop": {"LimitRange": [limit_range("shop")]}}}
	count(findings) == 0
}

test_no_quota_fails if {
	findings := namespace_without_limit_range.deny with input as namespace
		with data.tollgate.inventory as {"namespaces": {
			"shop": {"ResourceQuota": [{"kind": "ResourceQuota", "name": "q", "namespace": "shop"}]},
			"other": {"LimitRange": [limit_range("other")]},
		}}
	findings == {{"msg": "Namespace/shop: no LimitRange of the commit sets default requests and limits in the namespace", "path": ["metadata", "name"]}}
}

# A LimitRange without metadata.namespace lands in "default" (where kubectl applies it).
test_default_namespace if {
	ns := {"kind": "Namespace", "metadata": {"name": "default"}}
	count(namespace_without_limit_range.deny) == 0 with input as ns
		with data.tollgate.inventory as {"namespaces": {"default": {"LimitRange": [limit_range(null)]}}}
	count(namespace_without_limit_range.deny) == 1 with input as ns with data.tollgate.inventory as {"namespaces": {}}
}

test_other_kinds_and_malformed_pass if {
	count(namespace_without_limit_range.deny) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "shop"}} with data.tollgate.inventory as {}
	count(namespace_without_limit_range.deny) == 0 with input as {"kind": "Namespace", "metadata": {"name": 3}} with data.tollgate.inventory as {}
	count(namespace_without_limit_range.deny) == 0 with input as {"kind": "Namespace"} with data.tollgate.inventory as {}
	count(namespace_without_limit_range.deny) == 0 with input as {"$patch": "delete", "kind": "Namespace", "metadata": {"name": "shop"}} with data.tollgate.inventory as {}
}
