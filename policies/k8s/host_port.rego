# METADATA
# title: Container bound to a host port
# description: |
#   Flags container ports that set a hostPort other than 0. A host port binds the node's own
#   network interface, bypasses NetworkPolicy on many CNIs and limits scheduling to nodes where
#   the port is free. Ports listed in the allowed_host_ports parameter pass (Pod Security
#   Admission itself allows none).
# custom:
#   id: k8s/host-port
#   severity: medium
#   remediation: Remove hostPort and expose the container through a Service (or an Ingress/Gateway) instead.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   params:
#     allowed_host_ports: {type: array, default: [], description: host ports that pass (data.tollgate.params.allowed_host_ports)}
#   frameworks:
#     pss: {level: baseline, control: Host Ports}
#     cis: [{version: "1.12", id: "5.2.12"}]
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0024
#     checkov: CKV_K8S_26
#     polaris: hostPortSet
#     kyverno: [disallow-host-ports, disallow-host-ports-range]
#     gatekeeper: k8spsphostnetworkingports
package tollgate.k8s.host_port

import rego.v1

import data.tollgate.lib.k8s

allowed_host_ports := {p | some p in data.tollgate.params.allowed_host_ports}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	ports = entry.container.ports
	is_array(ports)
	some i, port in ports
	host_port = port.hostPort
	not host_port in {0, null}
	not host_port in allowed_host_ports
	result = {
		"msg": sprintf("%s: %s binds host port %v", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), host_port]),
		"path": array.concat(entry.path, ["ports", i, "hostPort"]),
	}
}
