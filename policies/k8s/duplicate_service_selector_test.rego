package tollgate.k8s.duplicate_service_selector_test

import rego.v1

import data.tollgate.k8s.duplicate_service_selector

svc(name, selector, ports) := {"kind": "Service", "metadata": {"name": name, "namespace": "shop"}, "spec": {"selector": selector, "ports": ports}}

# The inventory's index of the namespace's Service selectors: selector -> port -> sorted names.
services(by_selector) := {"service_selectors": {"shop": by_selector}}

twins := services({{"app": "web"}: {80: ["web", "web-canary"], 9090: ["web"]}})

test_twin_selector_and_port_fails if {
	findings := duplicate_service_selector.deny with input as svc("web", {"app": "web"}, [{"port": 80}, {"port": 9090}])
		with data.tollgate.inventory as twins
	findings == {{
		"msg": "Service/web: port 80 and selector are identical to those of Service web-canary in namespace 'shop' (2 Services share them), so they send the same traffic to the same pods",
		"path": ["spec", "ports", 0, "port"],
	}}
	other := duplicate_service_selector.deny with input as svc("web-canary", {"app": "web"}, [{"port": 80}])
		with data.tollgate.inventory as twins
	[f.msg | some f in other] == ["Service/web-canary: port 80 and selector are identical to those of Service web in namespace 'shop' (2 Services share them), so they send the same traffic to the same pods"]
}

test_other_port_or_selector_passes if {
	count(duplicate_service_selector.deny) == 0 with input as svc("web-metrics", {"app": "web"}, [{"port": 9091}])
		with data.tollgate.inventory as services({{"app": "web"}: {80: ["web"], 9091: ["web-metrics"]}})
	count(duplicate_service_selector.deny) == 0 with input as svc("web", {"app": "web"}, [{"port": 80}])
		with data.tollgate.inventory as services({{"app": "web"}: {80: ["web"]}, {"app": "web", "track": "canary"}: {80: ["web-canary"]}})
	count(duplicate_service_selector.deny) == 0 with input as svc("web", {"app": "web"}, [{"port": 80}]) with data.tollgate.inventory as {}
}

test_headless_and_selectorless_services_pass if {
	headless := {"kind": "Service", "metadata": {"name": "web-peers", "namespace": "shop"}, "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}}
	count(duplicate_service_selector.deny) == 0 with input as headless
		with data.tollgate.inventory as services({{"app": "web"}: {80: ["web", "web-peers"]}})
	inv := services({{}: {80: ["a", "b"]}})
	count(duplicate_service_selector.deny) == 0 with input as svc("a", {}, [{"port": 80}]) with data.tollgate.inventory as inv
	count(duplicate_service_selector.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "a"}, "spec": {"type": "ExternalName"}}
		with data.tollgate.inventory as inv
	count(duplicate_service_selector.deny) == 0 with input as svc("a", "app=web", [{"port": 80}]) with data.tollgate.inventory as inv
	count(duplicate_service_selector.deny) == 0 with input as svc("a", {"app": "web"}, [{"port": "http"}, "junk"]) with data.tollgate.inventory as inv
}

test_other_namespace_passes if {
	count(duplicate_service_selector.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "web", "namespace": "prod"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
		with data.tollgate.inventory as twins
}
