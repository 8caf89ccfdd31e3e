package tollgate.k8s.namespace_without_resource_quota_test

import rego.v1

import data.tollgate.k8s.namespace_without_resource_quota

namespace := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}

quota(ns) := {"kind": "ResourceQuota", "name": "compute", "namespace": ns}

test_quota_in_namespace_passes if {
	findings := namespace_without_resource_quota.deny with input as namespace
		with data.tollgate.inventory as {"namespaces": {"shop": {"ResourceQuota": [quota("shop")]}}}
	count(findings) == 0
}

test_no_quota_fails if {
	findings := namespace_without_resource_quota.deny with input as namespace
		with data.tollgate.inventory as {"namespaces": {
			"shop": {"LimitRange": [{"kind": "LimitRange", "name": "l", "namespace": "shop"}]},
			"other": {"ResourceQuota": [quota("other")]},
		}}
	findings == {{"msg": "Namespace/shop: no ResourceQuota of the commit limits the namespace", "path": ["metadata", "name"]}}
}

# A quota without metadata.namespace lands in "default" (where kubectl applies it).
test_default_namespace if {
	ns := {"kind": "Namespace", "metadata": {"name": "default"}}
	count(namespace_without_resource_quota.deny) == 0 with input as ns
		with data.tollgate.inventory as {"namespaces": {"default": {"ResourceQuota": [quota(null)]}}}
	count(namespace_without_resource_quota.deny) == 1 with input as ns with data.tollgate.inventory as {"namespaces": {}}
}

test_other_kinds_and_malformed_pass if {
	count(namespace_without_resource_quota.deny) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "shop"}} with data.tollgate.inventory as {}
	count(namespace_without_resource_quota.deny) == 0 with input as {"kind": "Namespace", "metadata": {"name": 3}} with data.tollgate.inventory as {}
	count(namespace_without_resource_quota.deny) == 0 with input as {"kind": "Namespace"} with data.tollgate.inventory as {}
	count(namespace_without_resource_quota.deny) == 0 with input as {"$patch": "delete", "kind": "Namespace", "metadata": {"name": "shop"}} with data.tollgate.inventory as {}
}
