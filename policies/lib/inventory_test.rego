package tollgate.lib.inventory_test

import rego.v1

import data.tollgate.lib.inventory

deploy(ns, spec) := {
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

inv := {"namespaces": {
	"shop": {"NetworkPolicy": [{"name": "a"}]},
	"default": {"NetworkPolicy": [{"name": "b"}, {"name": "c"}]},
}}

test_namespace_defaults_to_default if {
	inventory.namespace == "shop" with input as deploy("shop", {})
	inventory.namespace == "default" with input as deploy("", {})
	inventory.namespace == "default" with input as {"kind": "Pod", "metadata": {"name": "p"}}
}

test_objects_of_the_namespace if {
	count(inventory.objects("NetworkPolicy")) == 1 with input as deploy("shop", {}) with data.tollgate.inventory as inv
	count(inventory.objects("NetworkPolicy")) == 2 with input as deploy(null, {}) with data.tollgate.inventory as inv
	inventory.objects("ServiceAccount") == [] with input as deploy("shop", {}) with data.tollgate.inventory as inv
	inventory.objects("NetworkPolicy") == [] with input as deploy("shop", {}) with data.tollgate.inventory as {}
}

test_named_objects_of_the_namespace if {
	names := {"names": {"shop": {"ServiceAccount": {"web": [{"name": "web"}]}}}}
	inventory.named("ServiceAccount", "web") == [{"name": "web"}] with input as deploy("shop", {}) with data.tollgate.inventory as names
	inventory.named("ServiceAccount", "api") == [] with input as deploy("shop", {}) with data.tollgate.inventory as names
	inventory.named("ServiceAccount", "web") == [] with input as deploy("other", {}) with data.tollgate.inventory as names
}

test_pod_labels_and_service_account if {
	inventory.pod_labels == {"app": "web"} with input as deploy("shop", {})
	inventory.pod_labels == {} with input as {"kind": "Pod", "metadata": {"labels": "x"}, "spec": {}}
	inventory.service_account == "default" with input as deploy("shop", {})
	inventory.service_account == "api" with input as deploy("shop", {"serviceAccountName": "api"})
	inventory.service_account == "old" with input as deploy("shop", {"serviceAccountName": "", "serviceAccount": "old"})
}

test_selectors_match_labels if {
	labels := {"app": "web", "tier": "front"}
	inventory.selects({}, labels)
	inventory.selects({"matchLabels": null, "matchExpressions": null}, labels)
	inventory.selects({"matchLabels": {"app": "web"}}, labels)
	not inventory.selects({"matchLabels": {"app": "api"}}, labels)
	not inventory.selects({"matchLabels": {"app": "web", "zone": "a"}}, labels)
	not inventory.selects(null, labels)
	not inventory.selects({"matchLabels": "app=web"}, labels)
	not inventory.selects({"matchExpressions": {"key": "app"}}, labels)
}

test_selector_expressions if {
	labels := {"app": "web", "tier": "front"}
	inventory.selects({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, labels)
	not inventory.selects({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}, labels)
	inventory.selects({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["api"]}]}, labels)
	inventory.selects({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, labels)
	not inventory.selects({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, labels)
	inventory.selects({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, labels)
	not inventory.selects({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, labels)
	inventory.selects({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, labels)
	not inventory.selects({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels)
	not inventory.selects({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, labels)
	inventory.selects({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, labels)
}
