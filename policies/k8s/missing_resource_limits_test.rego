package tollgate.k8s.missing_resource_limits_test

import rego.v1

import data.tollgate.k8s.missing_resource_limits

deployment(pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api"},
	"spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"spec": pod_spec}},
}

limits := {"limits": {"cpu": "500m", "memory": "256Mi"}}

test_both_limits_pass if {
	findings := missing_resource_limits.deny with input as deployment({"containers": [{"name": "api", "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}]})
	count(findings) == 0
}

test_no_resources_fails_twice if {
	findings := missing_resource_limits.deny with input as deployment({"containers": [{"name": "api"}]})
	findings == {
		{
			"msg": "Deployment/api: container 'api' has no cpu limit",
			"path": ["spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"],
		},
		{
			"msg": "Deployment/api: container 'api' has no memory limit",
			"path": ["spec", "template", "spec", "containers", 0, "resources", "limits", "memory"],
		},
	}
}

test_requests_are_not_limits if {
	findings := missing_resource_limits.deny with input as deployment({"containers": [{
		"name": "api",
		"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}},
	}]})
	findings == {{
		"msg": "Deployment/api: container 'api' has no cpu limit",
		"path": ["spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"],
	}}
}

# Only regular containers: init and ephemeral containers are not checked.
test_init_and_ephemeral_containers_are_not_checked if {
	l := limits
	findings := missing_resource_limits.deny with input as {
		"kind": "Pod",
		"metadata": {"name": "web"},
		"spec": {
			"initContainers": [{"name": "init"}],
			"containers": [{"name": "web", "resources": l}],
			"ephemeralContainers": [{"name": "debug"}],
		},
	}
	count(findings) == 0
}

test_second_container_fails if {
	l := limits
	findings := missing_resource_limits.deny with input as deployment({"containers": [
		{"name": "api", "resources": l},
		{"name": "proxy", "resources": {"limits": {"cpu": "100m"}}},
	]})
	findings == {{
		"msg": "Deployment/api: container 'proxy' has no memory limit",
		"path": ["spec", "template", "spec", "containers", 1, "resources", "limits", "memory"],
	}}
}

test_cronjob_fails if {
	findings := missing_resource_limits.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "nightly"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "resources": {"limits": {"memory": "64Mi"}}}]}}}}},
	}
	findings == {{
		"msg": "CronJob/nightly: container 'job' has no cpu limit",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"],
	}}
}
