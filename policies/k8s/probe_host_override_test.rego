package tollgate.k8s.probe_host_override_test

import rego.v1

import data.tollgate.k8s.probe_host_override

pod(container) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}}

test_no_host_passes if {
	findings := probe_host_override.deny with input as pod({
		"name": "a",
		"livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
		"readinessProbe": {"tcpSocket": {"port": 8080, "host": ""}},
		"lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
	})
	count(findings) == 0
}

test_host_fails if {
	findings := probe_host_override.deny with input as pod({
		"name": "a",
		"readinessProbe": {"httpGet": {"path": "/", "port": 80, "host": "10.0.0.5"}},
		"lifecycle": {"postStart": {"tcpSocket": {"port": 6379, "host": "metadata.internal"}}},
	})
	findings == {
		{
			"msg": "Pod/p: container 'a' readiness probe httpGet sets host 10.0.0.5",
			"path": ["spec", "containers", 0, "readinessProbe", "httpGet", "host"],
		},
		{
			"msg": "Pod/p: container 'a' postStart hook tcpSocket sets host metadata.internal",
			"path": ["spec", "containers", 0, "lifecycle", "postStart", "tcpSocket", "host"],
		},
	}
}

test_before_1_34_passes if {
	doc := pod({"name": "a", "startupProbe": {"httpGet": {"host": "10.0.0.5", "port": 80}}})
	count(probe_host_override.deny) == 1 with input as doc
	count(probe_host_override.deny) == 0 with input as doc with data.tollgate.params.kube_version as "1.33"
}
