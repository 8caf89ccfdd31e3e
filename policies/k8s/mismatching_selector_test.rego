package tollgate.k8s.mismatching_selector_test

import rego.v1

import data.tollgate.k8s.mismatching_selector

deployment(selector, labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web"},
	"spec": {"selector": selector, "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "a"}]}}},
}

test_matching_labels_pass if {
	count(mismatching_selector.deny) == 0 with input as deployment({"matchLabels": {"app": "web"}}, {"app": "web", "tier": "fe"})
}

test_matching_expressions_pass if {
	sel := {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}, {"key": "canary", "operator": "DoesNotExist"}]}
	count(mismatching_selector.deny) == 0 with input as deployment(sel, {"app": "web"})
}

test_mismatching_value_fails if {
	findings := mismatching_selector.deny with input as deployment({"matchLabels": {"app": "web-api"}}, {"app": "web"})
	findings == {{
		"msg": `Deployment/web: spec.selector {"matchLabels":{"app":"web-api"}} does not match the pod template's labels {"app":"web"}; the API server rejects it`,
		"path": ["spec", "selector"],
	}}
}

test_missing_template_labels_fails if {
	doc := json.remove(deployment({"matchLabels": {"app": "web"}}, {}), ["spec/template/metadata"])
	count(mismatching_selector.deny) == 1 with input as doc
}

test_expression_excluding_template_fails if {
	sel := {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}
	count(mismatching_selector.deny) == 1 with input as deployment(sel, {"app": "web"})
}

test_replication_controller_map_selector if {
	rc := {
		"apiVersion": "v1",
		"kind": "ReplicationController",
		"metadata": {"name": "rc"},
		"spec": {"selector": {"app": "x"}, "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "a"}]}}},
	}
	count(mismatching_selector.deny) == 0 with input as rc
	count(mismatching_selector.deny) == 1 with input as json.patch(rc, [{"op": "replace", "path": "/spec/selector/app", "value": "y"}])
}

test_job_without_selector_passes if {
	job := {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "a"}]}}}}
	count(mismatching_selector.deny) == 0 with input as job
}

test_patch_passes if {
	doc := object.union(deployment({"matchLabels": {"app": "web"}}, {"app": "other"}), {"$patch": "replace"})
	count(mismatching_selector.deny) == 0 with input as doc
}
