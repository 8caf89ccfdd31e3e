package tollgate.k8s.namespace_without_default_deny_test

import rego.v1

import data.tollgate.k8s.namespace_without_default_deny

namespace := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}

test_both_directions_denied_passes if {
	findings := namespace_without_default_deny.deny with input as namespace
		with data.tollgate.inventory as {"default_deny": {"shop": {"Ingress": true, "Egress": true}}}
	count(findings) == 0
}

test_no_default_deny_fails_per_direction if {
	findings := namespace_without_default_deny.deny with input as namespace
		with data.tollgate.inventory as {"default_deny": {"other": {"Ingress": true, "Egress": true}}}
	findings == {
		{"msg": "Namespace/shop: no NetworkPolicy of the commit denies ingress traffic to every pod of the namespace by default", "path": ["metadata", "name"]},
		{"msg": "Namespace/shop: no NetworkPolicy of the commit denies egress traffic to every pod of the namespace by default", "path": ["metadata", "name"]},
	}
}

test_ingress_only_fails_for_egress if {
	findings := namespace_without_default_deny.deny with input as namespace
		with data.tollgate.inventory as {"default_deny": {"shop": {"Ingress": true}}}
	findings == {{"msg": "Namespace/shop: no NetworkPolicy of the commit denies egress traffic to every pod of the namespace by default", "path": ["metadata", "name"]}}
}

test_other_kinds_and_malformed_pass if {
	count(namespace_without_default_deny.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "shop"}} with data.tollgate.inventory as {}
	count(namespace_without_default_deny.deny) == 0 with input as {"kind": "Namespace", "metadata": {"name": ["x"]}} with data.tollgate.inventory as {}
	count(namespace_without_default_deny.deny) == 0 with input as {"$patch": "delete", "kind": "Namespace", "metadata": {"name": "shop"}} with data.tollgate.inventory as {}
}

# A malformed inventory value is no deny.
test_non_boolean_is_no_deny if {
	findings := namespace_without_default_deny.deny with input as namespace
		with data.tollgate.inventory as {"default_deny": {"shop": {"Ingress": "yes", "Egress": true}}}
	count(findings) == 1
}
