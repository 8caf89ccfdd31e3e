package tollgate.k8s.missing_resource_requests_test

import rego.v1

import data.tollgate.k8s.missing_resource_requests

pod(resources) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "a", "resources": resources}]}}

test_requests_or_limits_pass if {
	count(missing_resource_requests.deny) == 0 with input as pod({"requests": {"cpu": "100m", "memory": "64Mi"}})
	count(missing_resource_requests.deny) == 0 with input as pod({"requests": {"cpu": "100m"}, "limits": {"memory": "64Mi"}})
}

test_missing_requests_fail if {
	findings := missing_resource_requests.deny with input as pod({"requests": {"cpu": "100m"}})
	findings == {{"msg": "Pod/p: container 'a' has no memory request", "path": ["spec", "containers", 0, "resources", "requests", "memory"]}}
	count(missing_resource_requests.deny) == 2 with input as pod(null)
}
