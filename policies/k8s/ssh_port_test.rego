package tollgate.k8s.ssh_port_test

import rego.v1

import data.tollgate.k8s.ssh_port

pod(ports) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "ports": ports}]}}

test_other_ports_pass if {
	count(ssh_port.deny) == 0 with input as pod([{"containerPort": 8080}, {"containerPort": 2222, "name": "alt"}])
	count(ssh_port.deny) == 0 with input as pod([{"containerPort": 22, "protocol": "UDP"}])
	count(ssh_port.deny) == 0 with input as pod("22")
}

test_port_22_fails if {
	findings := ssh_port.deny with input as pod([{"containerPort": 8080}, {"name": "ssh", "containerPort": 22}])
	findings == {{"msg": "Pod/p: container 'a' exposes port 22 (SSH)", "path": ["spec", "containers", 0, "ports", 1, "containerPort"]}}
	count(ssh_port.deny) == 1 with input as pod([{"containerPort": 22, "protocol": "TCP"}])
}

test_init_container_of_a_cronjob if {
	doc := {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"name": "i", "ports": [{"containerPort": 22}]}]}}}}}}
	[f.path | some f in ssh_port.deny] == [["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "ports", 0, "containerPort"]] with input as doc
}
