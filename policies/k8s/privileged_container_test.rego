package tollgate.k8s.privileged_container_test

import rego.v1

import data.tollgate.k8s.privileged_container

deployment(pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api"},
	"spec": {"template": {"spec": pod_spec}},
}

test_privileged_container_fails if {
	findings := privileged_container.deny with input as deployment({"containers": [
		{"name": "sidecar", "image": "proxy:2.1"},
		{"name": "web", "image": "app:1.0", "securityContext": {"privileged": true}},
	]})
	findings == {{
		"msg": "Deployment/api: container 'web' is privileged",
		"path": ["spec", "template", "spec", "containers", 1, "securityContext", "privileged"],
	}}
}

test_unprivileged_containers_pass if {
	findings := privileged_container.deny with input as deployment({"containers": [
		{"name": "a", "image": "app:1.0"},
		{"name": "b", "image": "app:1.0", "securityContext": {}},
		{"name": "c", "image": "app:1.0", "securityContext": {"privileged": false}},
	]})
	count(findings) == 0
}

test_init_and_ephemeral_containers_fail if {
	findings := privileged_container.deny with input as {
		"kind": "Pod",
		"metadata": {"name": "debug"},
		"spec": {
			"initContainers": [{"name": "sysctl", "securityContext": {"privileged": true}}],
			"containers": [{"name": "app"}],
			"ephemeralContainers": [{"name": "shell", "securityContext": {"privileged": true}}],
		},
	}
	findings == {
		{
			"msg": "Pod/debug: init container 'sysctl' is privileged",
			"path": ["spec", "initContainers", 0, "securityContext", "privileged"],
		},
		{
			"msg": "Pod/debug: ephemeral container 'shell' is privileged",
			"path": ["spec", "ephemeralContainers", 0, "securityContext", "privileged"],
		},
	}
}

test_cronjob_fails if {
	findings := privileged_container.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "nightly"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "securityContext": {"privileged": true}}]}}}}},
	}
	findings == {{
		"msg": "CronJob/nightly: container 'job' is privileged",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "privileged"],
	}}
}

test_pod_template_fails if {
	findings := privileged_container.deny with input as {
		"kind": "PodTemplate",
		"metadata": {"name": "tpl"},
		"template": {"spec": {"containers": [{"name": "t", "securityContext": {"privileged": true}}]}},
	}
	findings == {{
		"msg": "PodTemplate/tpl: container 't' is privileged",
		"path": ["template", "spec", "containers", 0, "securityContext", "privileged"],
	}}
}

test_non_workload_kinds_are_ignored if {
	findings := privileged_container.deny with input as {
		"kind": "ConfigMap",
		"metadata": {"name": "x"},
		"spec": {"containers": [{"name": "web", "securityContext": {"privileged": true}}]},
	}
	count(findings) == 0
}
