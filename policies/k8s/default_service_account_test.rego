package tollgate.k8s.default_service_account_test

import rego.v1

import data.tollgate.k8s.default_service_account

job(spec) := {"kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": spec}}}

test_dedicated_service_account_passes if {
	count(default_service_account.deny) == 0 with input as job({"serviceAccountName": "exporter", "containers": []})
	count(default_service_account.deny) == 0 with input as job({"serviceAccount": "legacy", "containers": []})
	count(default_service_account.deny) == 0 with input as {"kind": "Job", "metadata": {"name": "j"}}
}

test_default_service_account_fails if {
	findings := default_service_account.deny with input as job({"containers": []})
	findings == {{"msg": "Job/j: pod runs as the namespace's default ServiceAccount", "path": ["spec", "template", "spec", "serviceAccountName"]}}
	findings2 := default_service_account.deny with input as job({"serviceAccountName": "default"})
	findings2 == findings
}

test_deprecated_field_fails if {
	findings := default_service_account.deny with input as job({"serviceAccount": "default"})
	findings == {{"msg": "Job/j: pod runs as the namespace's default ServiceAccount", "path": ["spec", "template", "spec", "serviceAccount"]}}
}
