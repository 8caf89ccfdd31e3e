package tollgate.k8s.duplicate_service_selector_test

import rego.v1

import data.tollgate.k8s.duplicate_service_selector

svc(name, selector) := {"kind": "Service", "metadata": {"name": name, "namespace": "shop"}, "spec": {"selector": selector}}

# The inventory's index of the namespace's Service selectors: selector -> sorted distinct names.
services(by_selector) := {"service_selectors": {"shop": by_selector}}

test_twin_selector_fails if {
	findings := duplicate_service_selector.deny with input as svc("web", {"app": "web"})
		with data.tollgate.inventory as services({{"app": "web"}: ["web", "web-canary"]})
	findings == {{
		"msg": "Service/web: selector is identical to that of Service web-canary in namespace 'shop' (2 Services share it), so they send traffic to the same pods",
		"path": ["spec", "selector"],
	}}
	other := duplicate_service_selector.deny with input as svc("web-canary", {"app": "web"})
		with data.tollgate.inventory as services({{"app": "web"}: ["web", "web-canary"]})
	[f.msg | some f in other] == ["Service/web-canary: selector is identical to that of Service web in namespace 'shop' (2 Services share it), so they send traffic to the same pods"]
}

test_unique_or_same_named_selectors_pass if {
	count(duplicate_service_selector.deny) == 0 with input as svc("web", {"app": "web"})
		with data.tollgate.inventory as services({{"app": "web"}: ["web"], {"app": "web", "track": "canary"}: ["web-canary"]})
	count(duplicate_service_selector.deny) == 0 with input as svc("web", {"app": "web"}) with data.tollgate.inventory as {}
}

test_services_without_selector_pass if {
	inv := services({{}: ["a", "b"]})
	count(duplicate_service_selector.deny) == 0 with input as svc("a", {}) with data.tollgate.inventory as inv
	count(duplicate_service_selector.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "a"}, "spec": {"type": "ExternalName"}}
		with data.tollgate.inventory as inv
	count(duplicate_service_selector.deny) == 0 with input as svc("a", "app=web") with data.tollgate.inventory as inv
}

test_other_namespace_passes if {
	count(duplicate_service_selector.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "web", "namespace": "prod"}, "spec": {"selector": {"app": "web"}}}
		with data.tollgate.inventory as services({{"app": "web"}: ["web", "web-canary"]})
}
