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

index := {"selector_index": {"shop": {"NetworkPolicy": {
	"all": [{"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}],
	"labels": {"app": {"web": [{"matchLabels": {"app": "web", "zone": "a"}}], "api": [{}]}},
	"keys": {"tier": [{"matchExpressions": [{"key": "tier", "operator": "Exists"}]}]},
}}}}

test_candidates_are_the_lists_of_the_labels_and_keys if {
	inventory.candidate_count("NetworkPolicy", {"app": "web"}) == 2 with input as deploy("shop", {}) with data.tollgate.inventory as index
	inventory.candidate_count("NetworkPolicy", {"app": "web", "tier": "x"}) == 3 with input as deploy("shop", {}) with data.tollgate.inventory as index
	inventory.candidate_count("NetworkPolicy", {"app": "db"}) == 1 with input as deploy("shop", {}) with data.tollgate.inventory as index
	inventory.candidate_count("NetworkPolicy", {"app": "web"}) == 0 with input as deploy("other", {}) with data.tollgate.inventory as index
	inventory.candidate_count("PodDisruptionBudget", {"app": "web"}) == 0 with input as deploy("shop", {}) with data.tollgate.inventory as index
}

test_selection_matches_the_candidates if {
	inventory.selection("NetworkPolicy", {"app": "web"}, {}) == "unselected" with input as deploy("shop", {}) with data.tollgate.inventory as index
	inventory.selection("NetworkPolicy", {"app": "web", "zone": "a"}, {}) == "selected" with input as deploy("shop", {}) with data.tollgate.inventory as index
	inventory.selection("NetworkPolicy", {"app": "web", "tier": "x"}, {}) == "selected" with input as deploy("shop", {}) with data.tollgate.inventory as index
	inventory.selection("NetworkPolicy", {"app": "db"}, {}) == "selected" with input as deploy("shop", {}) with data.tollgate.inventory as index
	inventory.selection("NetworkPolicy", {"app": "web"}, {}) == "unselected" with input as deploy("shop", {}) with data.tollgate.inventory as {}
	# A null selector means what the check says it means.
	nulls := {"selector_index": {"shop": {"PodDisruptionBudget": {"all": [null]}}}}
	inventory.selection("PodDisruptionBudget", {"app": "web"}, {}) == "selected" with input as deploy("shop", {}) with data.tollgate.inventory as nulls
	inventory.selection("PodDisruptionBudget", {"app": "web"}, null) == "unselected" with input as deploy("shop", {}) with data.tollgate.inventory as nulls
}

test_autoscalers_and_accounts_by_name if {
	by_name := {
		"min_replicas": {"shop": {"Deployment": {"web": 4}}},
		"automount_disabled": {"shop": {"web": true, "api": false}},
	}
	inventory.autoscaler_min_replicas == 4 with input as deploy("shop", {}) with data.tollgate.inventory as by_name
	not inventory.autoscaler_min_replicas with input as deploy("other", {}) with data.tollgate.inventory as by_name
	inventory.automount_disabled("web") with input as deploy("shop", {}) with data.tollgate.inventory as by_name
	not inventory.automount_disabled("api") with input as deploy("shop", {}) with data.tollgate.inventory as by_name
	not inventory.automount_disabled("web") with input as deploy("other", {}) with data.tollgate.inventory as by_name
}

svc := {"kind": "Service", "metadata": {"name": "web", "namespace": "shop"}}

workload(name, labels) := {"kind": "Deployment", "name": name, "pod_labels": labels}

by_label := {"pods_by_label": {"shop": {
	"app": {"web": [workload("web", {"app": "web", "tier": "fe"}), workload("web2", {"app": "web"})]},
	"tier": {"fe": [workload("web", {"app": "web", "tier": "fe"})]},
}}}

test_pod_match_looks_up_the_rarest_label if {
	inventory.pod_match({"matchLabels": {"app": "web"}}) == "some" with input as svc with data.tollgate.inventory as by_label
	inventory.pod_match({"matchLabels": {"app": "web", "tier": "fe"}}) == "some" with input as svc with data.tollgate.inventory as by_label
	inventory.pod_match({"matchLabels": {"app": "api"}}) == "none" with input as svc with data.tollgate.inventory as by_label
	inventory.pod_match({"matchLabels": {"app": "web", "tier": "be"}}) == "none" with input as svc with data.tollgate.inventory as by_label
	sel := {"matchLabels": {"tier": "fe"}, "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}
	inventory.pod_match(sel) == "none" with input as svc with data.tollgate.inventory as by_label
	names := [e.name | some e in inventory.matching_workloads({"matchLabels": {"app": "web"}})] with input as svc with data.tollgate.inventory as by_label
	names == ["web", "web2"]
}

test_pod_match_without_labels_is_undecided if {
	inventory.pod_match({}) == "undecided" with input as svc with data.tollgate.inventory as by_label
	inventory.pod_match({"matchExpressions": [{"key": "app", "operator": "Exists"}]}) == "undecided" with input as svc with data.tollgate.inventory as by_label
	inventory.pod_match({"matchLabels": {"n": 1}}) == "undecided" with input as svc with data.tollgate.inventory as by_label
	inventory.pod_match("x") == "undecided" with input as svc with data.tollgate.inventory as by_label
}

test_pod_match_is_bounded if {
	many := {"pods_by_label": {"shop": {"app": {"web": [workload(sprintf("w%d", [i]), {"app": "web"}) | some i in numbers.range(1, 101)]}}}}
	inventory.pod_match({"matchLabels": {"app": "web", "v": "x"}}) == "none" with input as svc with data.tollgate.inventory as many
	inventory.pod_match({"matchLabels": {"app": "web"}}) == "undecided" with input as svc with data.tollgate.inventory as many
}

test_custom_resources_and_workload_count if {
	inv2 := {"custom_resources": {"mon": true}, "namespaces": {"shop": {"Deployment": [{}, {}], "Pod": [{}], "Service": [{}]}}}
	inventory.custom_resources with input as {"kind": "Service", "metadata": {"namespace": "mon"}} with data.tollgate.inventory as inv2
	not inventory.custom_resources with input as svc with data.tollgate.inventory as inv2
	inventory.workload_count == 3 with input as svc with data.tollgate.inventory as inv2
	inventory.workload_count == 0 with input as svc with data.tollgate.inventory as {}
}

test_pod_match_leaves_controller_labels_out if {
	sel := {"matchLabels": {"app": "web", "statefulset.kubernetes.io/pod-name": "web-0"}}
	inventory.pod_match(sel) == "some" with input as svc with data.tollgate.inventory as by_label
	inventory.pod_match({"matchLabels": {"job-name": "x"}}) == "undecided" with input as svc with data.tollgate.inventory as by_label
}

test_beside_workloads if {
	inv2 := {
		"names": {"shop": {"Service": {"web": [{"file": "apps/web/service.yaml"}], "chart": [{"file": "chart/templates/svc.yaml"}], "two": [{"file": "svc.yaml"}, {"file": "apps/web/svc.yaml"}]}}},
		"workload_dirs": {"shop": {"apps/web": true, "": false}},
	}
	inventory.beside_workloads with input as svc with data.tollgate.inventory as inv2
	not inventory.beside_workloads with input as json.patch(svc, [{"op": "replace", "path": "/metadata/name", "value": "chart"}]) with data.tollgate.inventory as inv2
	not inventory.beside_workloads with input as json.patch(svc, [{"op": "replace", "path": "/metadata/name", "value": "two"}]) with data.tollgate.inventory as inv2
	inventory.directory("a.yaml") == ""
	inventory.directory("a/b/c.yaml") == "a/b"
}
