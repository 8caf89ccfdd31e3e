package tollgate.k8s.deprecated_service_account_field_test

import rego.v1

import data.tollgate.k8s.deprecated_service_account_field

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web"},
	"spec": {"template": {"spec": object.union({"containers": [{"name": "a"}]}, spec)}},
}

test_service_account_name_passes if {
	count(deprecated_service_account_field.deny) == 0 with input as deployment({"serviceAccountName": "web"})
	count(deprecated_service_account_field.deny) == 0 with input as deployment({"serviceAccount": ""})
}

test_service_account_fails if {
	findings := deprecated_service_account_field.deny with input as deployment({"serviceAccount": "web"})
	findings == {{
		"msg": "Deployment/web: serviceAccount: web is the deprecated form of serviceAccountName",
		"path": ["spec", "template", "spec", "serviceAccount"],
	}}
}

test_conflicting_fields_fail if {
	findings := deprecated_service_account_field.deny with input as deployment({"serviceAccount": "web", "serviceAccountName": "api"})
	findings == {{
		"msg": "Deployment/web: serviceAccount: web is the deprecated form of serviceAccountName and differs from serviceAccountName api, which the API server rejects",
		"path": ["spec", "template", "spec", "serviceAccount"],
	}}
}

test_pod if {
	doc := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"serviceAccount": "x", "containers": []}}
	[f.path | some f in deprecated_service_account_field.deny] == [["spec", "serviceAccount"]] with input as doc
}
