# METADATA
# title: Missing resource limits
# description: |
#   Flags containers without a CPU or memory limit (one finding per missing resource). Without
#   limits one container can starve every other workload on its node, and the namespace quota
#   cannot be enforced.
# custom:
#   id: k8s/missing-resource-limits
#   severity: medium
#   remediation: Set resources.limits.cpu and resources.limits.memory on every container, sized from observed usage.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [RQ]
#   aliases:
#     trivy: [KSV-0011, KSV-0018]
#     checkov: [CKV_K8S_11, CKV_K8S_13]
#     kube-linter: [unset-cpu-requirements, unset-memory-requirements]
#     polaris: [cpuLimitsMissing, memoryLimitsMissing]
#     kyverno: [require-pod-requests-limits, require-requests-limits, require-cpu-limits]
#     gatekeeper: [k8scontainerlimits, k8srequiredresources]
package tollgate.k8s.missing_resource_limits

import rego.v1

import data.tollgate.lib.k8s

# Regular containers only: init containers run to completion before the app starts, and ephemeral
# containers cannot declare resources.
deny contains result if {
	not data.tollgate.lib.k8s.patch
	some entry in data.tollgate.lib.k8s.regular_containers
	some limit in ["cpu", "memory"]
	not entry.container.resources.limits[limit]
	result = {
		"msg": sprintf("%s: %s has no %s limit", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), limit]),
		"path": array.concat(entry.path, ["resources", "limits", limit]),
	}
}
