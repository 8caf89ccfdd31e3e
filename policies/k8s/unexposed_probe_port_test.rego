package tollgate.k8s.unexposed_probe_port_test

import rego.v1

import data.tollgate.k8s.unexposed_probe_port

pod(containers) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

web(probes) := object.union({"name": "web", "ports": [{"name": "http", "containerPort": 8080}]}, probes)

test_declared_ports_pass if {
	doc := pod([web({
		"livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
		"readinessProbe": {"tcpSocket": {"port": 8080}},
		"startupProbe": {"exec": {"command": ["true"]}},
	})])
	count(unexposed_probe_port.deny) == 0 with input as doc
}

test_unknown_name_fails if {
	doc := pod([web({"livenessProbe": {"httpGet": {"path": "/", "port": "metrics"}}})])
	findings := unexposed_probe_port.deny with input as doc
	findings == {{
		"msg": "Pod/p: container 'web' liveness probe uses port metrics, which is not the name of any of its ports; the probe cannot reach it",
		"path": ["spec", "containers", 0, "livenessProbe", "httpGet", "port"],
	}}
}

test_name_without_ports_fails if {
	doc := pod([{"name": "a", "readinessProbe": {"tcpSocket": {"port": "http"}}}])
	count(unexposed_probe_port.deny) == 1 with input as doc
}

test_numbers_pass if {
	count(unexposed_probe_port.deny) == 0 with input as pod([web({"startupProbe": {"grpc": {"port": 9090}}})])
}

test_sidecar_number_and_no_ports_pass if {
	sidecar := {"name": "proxy", "ports": [{"containerPort": 15021}]}
	count(unexposed_probe_port.deny) == 0 with input as pod([web({"readinessProbe": {"httpGet": {"port": 15021}}}), sidecar])
	count(unexposed_probe_port.deny) == 0 with input as pod([{"name": "a", "livenessProbe": {"tcpSocket": {"port": 5432}}}])
}

test_init_container_in_deployment if {
	doc := {
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {
			"initContainers": [{"name": "i", "restartPolicy": "Always", "startupProbe": {"httpGet": {"port": "admin"}}}],
			"containers": [web({})],
		}}},
	}
	[f.path | some f in unexposed_probe_port.deny] == [["spec", "template", "spec", "initContainers", 0, "startupProbe", "httpGet", "port"]] with input as doc
}
