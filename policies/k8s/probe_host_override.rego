# METADATA
# title: Probe or lifecycle hook with a host override
# description: |
#   Flags a host set on the httpGet or tcpSocket handler of a liveness, readiness or startup probe
#   or of a postStart/preStop lifecycle hook. The kubelet then connects to that address from the
#   node, which lets a pod make the node reach arbitrary hosts. Baseline from Kubernetes 1.34
#   (kube_version parameter, default: the newest release).
# custom:
#   id: k8s/probe-host-override
#   severity: medium
#   remediation: Remove the host field; the kubelet then probes the pod's own IP.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   params:
#     kube_version: {type: string, default: "1.37", description: target Kubernetes version (data.tollgate.params.kube_version)}
#   frameworks:
#     pss: {level: baseline, control: Host Probes / Lifecycle Hooks}
#     nsa: [PSE]
#   aliases:
#     gatekeeper: k8spsphostprobeslifecycle
package tollgate.k8s.probe_host_override

import rego.v1

import data.tollgate.lib.k8s

# [path under the container to a handler-holding object, label]
handler_parents := [
	[["livenessProbe"], "liveness probe"],
	[["readinessProbe"], "readiness probe"],
	[["startupProbe"], "startup probe"],
	[["lifecycle", "postStart"], "postStart hook"],
	[["lifecycle", "preStop"], "preStop hook"],
]

deny contains result if {
	data.tollgate.lib.k8s.kube_minor >= 34
	some entry in data.tollgate.lib.k8s.containers
	some [parent, label] in handler_parents
	some handler in ["httpGet", "tcpSocket"]
	path = array.concat(parent, [handler, "host"])
	host = object.get(entry.container, path, "")
	not host in {"", null}
	result = {
		"msg": sprintf("%s: %s %s %s sets host %v", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), label, handler, host]),
		"path": array.concat(entry.path, path),
	}
}
