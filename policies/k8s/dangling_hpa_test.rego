package tollgate.k8s.dangling_hpa_test

import rego.v1

import data.tollgate.k8s.dangling_hpa

hpa(target) := {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"scaleTargetRef": target, "minReplicas": 2, "maxReplicas": 5}}

inv := {"namespaces": {"shop": {"Deployment": [{"name": "web"}]}}, "names": {"shop": {"Deployment": {"web": [{"name": "web"}]}}}}

test_defined_target_passes if {
	count(dangling_hpa.deny) == 0 with input as hpa({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}) with data.tollgate.inventory as inv
}

test_undefined_target_fails if {
	findings := dangling_hpa.deny with input as hpa({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-api"}) with data.tollgate.inventory as inv
	findings == {{
		"msg": "HorizontalPodAutoscaler/web: scaleTargetRef Deployment/web-api is not defined in namespace 'shop' by any manifest of the commit; the autoscaler scales nothing",
		"path": ["spec", "scaleTargetRef", "name"],
	}}
	count(dangling_hpa.deny) == 1 with input as hpa({"kind": "StatefulSet", "name": "web"}) with data.tollgate.inventory as inv
}

test_quiet_when_the_commit_cannot_tell if {
	count(dangling_hpa.deny) == 0 with input as hpa({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "x"}) with data.tollgate.inventory as inv
	count(dangling_hpa.deny) == 0 with input as hpa({"apiVersion": "example.com/v1", "kind": "Deployment", "name": "x"}) with data.tollgate.inventory as inv
	count(dangling_hpa.deny) == 0 with input as hpa({"kind": "Deployment", "name": "x"}) with data.tollgate.inventory as {}
	count(dangling_hpa.deny) == 0 with input as hpa({"kind": "Deployment", "name": "x"}) with data.tollgate.inventory as object.union(inv, {"custom_resources": {"shop": true}})
}
