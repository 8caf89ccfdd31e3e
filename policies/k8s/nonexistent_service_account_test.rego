package tollgate.k8s.nonexistent_service_account_test

import rego.v1

import data.tollgate.k8s.nonexistent_service_account

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": object.union({"containers": [{"name": "a"}]}, spec)}},
}

inv := {"namespaces": {"shop": {"ServiceAccount": [{"name": "web"}]}}, "names": {"shop": {"ServiceAccount": {"web": [{"name": "web"}]}}}}

test_defined_and_default_accounts_pass if {
	count(nonexistent_service_account.deny) == 0 with input as deployment({"serviceAccountName": "web"}) with data.tollgate.inventory as inv
	count(nonexistent_service_account.deny) == 0 with input as deployment({}) with data.tollgate.inventory as inv
	count(nonexistent_service_account.deny) == 0 with input as deployment({"serviceAccountName": "default"}) with data.tollgate.inventory as inv
}

test_undefined_account_fails if {
	findings := nonexistent_service_account.deny with input as deployment({"serviceAccountName": "web-api"}) with data.tollgate.inventory as inv
	findings == {{
		"msg": "Deployment/web: ServiceAccount web-api is not defined in namespace 'shop' by any manifest of the commit; its pods cannot be created",
		"path": ["spec", "template", "spec", "serviceAccountName"],
	}}
	[f.path | some f in nonexistent_service_account.deny] == [["spec", "template", "spec", "serviceAccount"]] with input as deployment({"serviceAccount": "api"}) with data.tollgate.inventory as inv
}

test_quiet_when_the_commit_cannot_tell if {
	doc := deployment({"serviceAccountName": "from-chart"})
	count(nonexistent_service_account.deny) == 0 with input as doc with data.tollgate.inventory as {}
	count(nonexistent_service_account.deny) == 0 with input as doc with data.tollgate.inventory as object.union(inv, {"custom_resources": {"shop": true}})
	count(nonexistent_service_account.deny) == 0 with input as object.union(doc, {"$patch": "merge"}) with data.tollgate.inventory as inv
}
