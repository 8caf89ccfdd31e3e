package tollgate.k8s.privileged_port_test

import rego.v1

import data.tollgate.k8s.privileged_port

pod(containers) := {"kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": containers}}

test_unprivileged_ports_pass if {
	findings := privileged_port.deny with input as pod([{"name": "a", "ports": [{"containerPort": 1024}, {"containerPort": 8080}]}])
	count(findings) == 0
}

test_privileged_port_fails if {
	findings := privileged_port.deny with input as pod([{"name": "a", "ports": [{"containerPort": 8443}, {"name": "http", "containerPort": 80}]}])
	findings == {{
		"msg": "Pod/web: container 'a' listens on the privileged port 80 (below 1024)",
		"path": ["spec", "containers", 0, "ports", 1, "containerPort"],
	}}
}

test_boundaries if {
	count(privileged_port.deny) == 1 with input as pod([{"name": "a", "ports": [{"containerPort": 1023}]}])
	count(privileged_port.deny) == 1 with input as pod([{"name": "a", "ports": [{"containerPort": 1}]}])
	count(privileged_port.deny) == 0 with input as pod([{"name": "a", "ports": [{"containerPort": 0}]}])
	count(privileged_port.deny) == 0 with input as pod([{"name": "a", "ports": [{"containerPort": "80"}]}])
}

# hostPort is k8s/host-port's; only containerPort is judged.
test_host_port_alone_passes if {
	count(privileged_port.deny) == 0 with input as pod([{"name": "a", "ports": [{"containerPort": 8080, "hostPort": 80}]}])
}

test_init_container_and_deployment_fail if {
	findings := privileged_port.deny with input as {
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {"initContainers": [{"name": "i", "ports": [{"containerPort": 22}]}], "containers": [{"name": "a"}]}}},
	}
	findings == {{
		"msg": "Deployment/d: init container 'i' listens on the privileged port 22 (below 1024)",
		"path": ["spec", "template", "spec", "initContainers", 0, "ports", 0, "containerPort"],
	}}
}

test_malformed_passes if {
	count(privileged_port.deny) == 0 with input as pod([{"name": "a", "ports": "80"}])
	count(privileged_port.deny) == 0 with input as pod([{"name": "a", "ports": [80]}])
}

test_port_22_is_left_to_ssh_port_when_it_runs if {
	input_22 := pod([{"name": "a", "ports": [{"containerPort": 22}]}])
	count(privileged_port.deny) == 1 with input as input_22
	count(privileged_port.deny) == 0 with input as input_22 with data.tollgate.selected as {"k8s/ssh-port": true}
	udp := pod([{"name": "a", "ports": [{"containerPort": 22, "protocol": "UDP"}]}])
	count(privileged_port.deny) == 1 with input as udp with data.tollgate.selected as {"k8s/ssh-port": true}
}
