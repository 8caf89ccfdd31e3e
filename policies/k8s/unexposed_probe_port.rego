# METADATA
# title: Probe on a port the container does not expose
# description: |
#   Flags a liveness, readiness or startup probe (httpGet, tcpSocket or grpc) of a container (init
#   containers included) whose port is a name that none of the container's own ports carries: the
#   kubelet cannot resolve it, so the probe fails and a liveness probe restarts the container
#   forever. A numbered port is not judged: the kubelet probes the pod's IP on that number
#   whether or not a container declares it (ports is informational; a health port left out of
#   it, as kubebuilder's scaffolding does with 8081, works), so the commit cannot tell a wrong
#   number from an undeclared one.
# custom:
#   id: k8s/unexposed-probe-port
#   severity: medium
#   remediation: Use the name of one of the container's ports (ports[].name) in the probe, or its number, or add a port of that name.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [correctness]
#   aliases:
#     kube-linter: [liveness-port, readiness-port, startup-port]
package tollgate.k8s.unexposed_probe_port

import rego.v1

import data.tollgate.lib.k8s

probes := {"livenessProbe": "liveness", "readinessProbe": "readiness", "startupProbe": "startup"}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	some field, label in data.tollgate.k8s.unexposed_probe_port.probes
	some handler in ["httpGet", "tcpSocket", "grpc"]
	port = entry.container[field][handler].port
	is_string(port)
	port != ""
	not port in data.tollgate.k8s.unexposed_probe_port.port_names(entry.container)
	result = {
		"msg": sprintf(
			"%s: %s %s probe uses port %s, which is not the name of any of its ports; the probe cannot reach it",
			[data.tollgate.lib.k8s.resource, k8s.container_label(entry), label, port],
		),
		"path": array.concat(entry.path, [field, handler, "port"]),
	}
}

port_names(container) := {name |
	some p in ports(container)
	name = p.name
	is_string(name)
}

ports(container) := list if {
	list = container.ports
	is_array(list)
} else := []
