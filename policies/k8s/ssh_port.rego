# METADATA
# title: Container exposes the SSH port
# description: |
#   Flags a container (init and ephemeral containers included) that declares TCP port 22, the
#   SSH port, in ports[].containerPort. An SSH server in a container is a second way in that
#   bypasses the cluster's access control and audit (kubectl exec is the audited way to reach a
#   container), and its keys or passwords live in the image or a volume.
# custom:
#   id: k8s/ssh-port
#   severity: low
#   remediation: Remove the SSH server and the port; use kubectl exec or an ephemeral debug container to reach the container.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   aliases:
#     kube-linter: ssh-port
package tollgate.k8s.ssh_port

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	ports = entry.container.ports
	is_array(ports)
	some i, port in ports
	port.containerPort == 22
	object.get(port, "protocol", "TCP") == "TCP"
	result = {
		"msg": sprintf("%s: %s exposes port 22 (SSH)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["ports", i, "containerPort"]),
	}
}
