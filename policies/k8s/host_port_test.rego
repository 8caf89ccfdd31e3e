package tollgate.k8s.host_port_test

import rego.v1

import data.tollgate.k8s.host_port

deployment(containers) := {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": containers}}}}

test_no_host_port_passes if {
	findings := host_port.deny with input as deployment([
		{"name": "a", "ports": [{"containerPort": 8080}, {"containerPort": 9090, "hostPort": 0}]},
		{"name": "b"},
		{"name": "c", "ports": "bad"},
	])
	count(findings) == 0
}

test_host_port_fails if {
	findings := host_port.deny with input as deployment([{"name": "a", "ports": [{"containerPort": 80}, {"containerPort": 8080, "hostPort": 8080}]}])
	findings == {{
		"msg": "Deployment/d: container 'a' binds host port 8080",
		"path": ["spec", "template", "spec", "containers", 0, "ports", 1, "hostPort"],
	}}
}

test_allowlisted_host_port_passes if {
	doc := deployment([{"name": "a", "ports": [{"hostPort": 8080}, {"hostPort": 9100}]}])
	findings := host_port.deny with input as doc with data.tollgate.params.allowed_host_ports as [9100]
	count(findings) == 1
	some f in findings
	f.path[6] == 0
}

test_ephemeral_container_fails if {
	findings := host_port.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"ephemeralContainers": [{"name": "dbg", "ports": [{"hostPort": 22}]}]}}
	count(findings) == 1
}
