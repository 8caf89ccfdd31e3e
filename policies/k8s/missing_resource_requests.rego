# METADATA
# title: Missing resource requests
# description: |
#   Flags containers without a CPU or memory request (one finding per missing resource). A limit
#   counts as a request, as Kubernetes defaults the request to the limit. Without requests the
#   scheduler packs pods blindly, the pod lands in the BestEffort QoS class and is the first to
#   be evicted under memory pressure.
# custom:
#   id: k8s/missing-resource-requests
#   severity: medium
#   remediation: Set resources.requests.cpu and resources.requests.memory on every container, sized from observed usage.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [RQ]
#   aliases:
#     trivy: [KSV-0015, KSV-0016]
#     checkov: [CKV_K8S_10, CKV_K8S_12]
#     kube-linter: [unset-cpu-requirements, unset-memory-requirements]
#     polaris: [cpuRequestsMissing, memoryRequestsMissing]
#     kyverno: [require-pod-requests-limits, require-requests-limits]
#     gatekeeper: [k8scontainerrequests, k8srequiredresources]
package tollgate.k8s.missing_resource_requests

import rego.v1

import data.tollgate.lib.k8s

# Regular containers only, as for limits: init containers run before the app, ephemeral
# containers cannot declare resources.
deny contains result if {
	not data.tollgate.lib.k8s.patch
	some entry in data.tollgate.lib.k8s.regular_containers
	some resource in ["cpu", "memory"]
	not entry.container.resources.requests[resource]
	not entry.container.resources.limits[resource]
	result = {
		"msg": sprintf("%s: %s has no %s request", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), resource]),
		"path": array.concat(entry.path, ["resources", "requests", resource]),
	}
}
