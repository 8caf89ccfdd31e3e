# METADATA
# title: Privileged container port
# description: |
#   Flags a containerPort below 1024. Binding such a port inside the container takes root or the
#   NET_BIND_SERVICE capability, which an unprivileged container that drops ALL capabilities does
#   not have; a process that listens on 8080 (or any port from 1024) needs neither, and a Service
#   still exposes it on 80 (`port: 80, targetPort: 8080`). Port 0 and non-numbers are left to
#   schema validation. hostPort is k8s/host-port's; TCP port 22 is k8s/ssh-port's when that check
#   runs too (one finding on the field).
# custom:
#   id: k8s/privileged-port
#   severity: low
#   remediation: Make the process listen on a port from 1024 up (for example 8080) and map the well-known port in the Service (port 80, targetPort 8080).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0117
#     kube-linter: privileged-ports
package tollgate.k8s.privileged_port

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	ports = entry.container.ports
	is_array(ports)
	some j, port in ports
	number = port.containerPort
	is_number(number)
	number > 0
	number < 1024
	not left_to_ssh_port(port)
	result = {
		"msg": sprintf("%s: %s listens on the privileged port %v (below 1024)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), number]),
		"path": array.concat(entry.path, ["ports", j, "containerPort"]),
	}
}

# TCP port 22 is k8s/ssh-port's when that check runs too: one finding on the field, the more
# specific one.
left_to_ssh_port(port) if {
	data.tollgate.selected["k8s/ssh-port"]
	port.containerPort == 22
	object.get(port, "protocol", "TCP") == "TCP"
}
