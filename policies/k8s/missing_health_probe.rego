# METADATA
# title: Liveness or readiness probe missing
# description: |
#   Flags containers of long-running workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet,
#   ReplicationController) without a livenessProbe or without a readinessProbe (one finding per
#   missing probe). Without a readiness probe traffic reaches pods before they can serve it;
#   without a liveness probe a hung process is never restarted.
# custom:
#   id: k8s/missing-health-probe
#   severity: low
#   remediation: Add a readinessProbe and a livenessProbe (httpGet, tcpSocket, grpc or exec) to every long-running container.
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController]
#   profiles: [extended]
#   aliases:
#     checkov: [CKV_K8S_8, CKV_K8S_9]
#     kube-linter: [no-liveness-probe, no-readiness-probe]
#     polaris: [livenessProbeMissing, readinessProbeMissing]
#     kyverno: [require-probes, require-pod-probes]
#     gatekeeper: k8srequiredprobes
package tollgate.k8s.missing_health_probe

import rego.v1

import data.tollgate.lib.k8s

long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind in long_running_kinds
	some entry in data.tollgate.lib.k8s.regular_containers
	some probe in ["livenessProbe", "readinessProbe"]
	not is_object(entry.container[probe])
	result = {
		"msg": sprintf("%s: %s has no %s", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), probe]),
		"path": array.concat(entry.path, [probe]),
	}
}
