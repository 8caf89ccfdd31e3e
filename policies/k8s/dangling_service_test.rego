package tollgate.k8s.dangling_service_test

import rego.v1

import data.tollgate.k8s.dangling_service

service(selector) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": selector, "ports": [{"port": 80}]}}

web := {"kind": "Deployment", "name": "web", "pod_labels": {"app": "web", "tier": "fe"}}

inv := {
	"namespaces": {"shop": {"Deployment": [web], "Service": [{"name": "web"}]}},
	"names": {"shop": {"Service": {"web": [{"file": "apps/web/service.yaml"}]}}},
	"workload_dirs": {"shop": {"apps/web": true}},
	"pods_by_label": {"shop": {"app": {"web": [web]}, "tier": {"fe": [web]}}},
}

test_matching_selector_passes if {
	count(dangling_service.deny) == 0 with input as service({"app": "web"}) with data.tollgate.inventory as inv
	count(dangling_service.deny) == 0 with input as service({"app": "web", "tier": "fe"}) with data.tollgate.inventory as inv
}

test_selector_matching_nothing_fails if {
	findings := dangling_service.deny with input as service({"app": "web-api"}) with data.tollgate.inventory as inv
	findings == {{
		"msg": `Service/web: selector {"app":"web-api"} matches the pods of no workload in namespace 'shop'; the Service has no endpoints`,
		"path": ["spec", "selector"],
	}}
	count(dangling_service.deny) == 1 with input as service({"app": "web", "tier": "be"}) with data.tollgate.inventory as inv
}

test_quiet_when_the_commit_cannot_tell if {
	# no workload beside the Service
	count(dangling_service.deny) == 0 with input as service({"app": "x"}) with data.tollgate.inventory as json.patch(inv, [{"op": "replace", "path": "/workload_dirs/shop", "value": {"apps/api": true}}])
	# a label only a controller adds
	count(dangling_service.deny) == 0 with input as service({"app": "web", "statefulset.kubernetes.io/pod-name": "web-0"}) with data.tollgate.inventory as inv
	# an operator's resource there
	count(dangling_service.deny) == 0 with input as service({"app": "x"}) with data.tollgate.inventory as object.union(inv, {"custom_resources": {"shop": true}})
	# no selector, an empty one, ExternalName
	count(dangling_service.deny) == 0 with input as json.remove(service({}), ["spec/selector"]) with data.tollgate.inventory as inv
	count(dangling_service.deny) == 0 with input as service({}) with data.tollgate.inventory as inv
	external := json.patch(service({"app": "x"}), [{"op": "add", "path": "/spec/type", "value": "ExternalName"}])
	count(dangling_service.deny) == 0 with input as external with data.tollgate.inventory as inv
}
