# METADATA
# title: UID in the host range
# description: |
#   Flags runAsUser set to a UID of 10000 or below on the pod securityContext (when a container
#   inherits it) or on a container. Those are the UIDs of the node's own users and system
#   services: a process that escapes the container runs as one of them, with their files. UIDs
#   above 10000 belong to no node account. As in trivy's KSV-0020, the threshold is inclusive;
#   unlike it, the check follows Kubernetes' inheritance (a container without runAsUser runs with
#   the pod's) and does not report an unset runAsUser: the image's USER then decides, which a
#   manifest does not show (k8s/run-as-root-allowed requires runAsNonRoot). UID 0 is
#   k8s/run-as-user-root's when that check runs. Pods with hostUsers: false (a user namespace
#   maps their UIDs away from the node's) and Windows pods are exempt.
# custom:
#   id: k8s/host-range-uid
#   severity: low
#   remediation: Set runAsUser above 10000 (for example 10001) and make the image work as that user, or run the pod in a user namespace (hostUsers false).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [NR]
#   aliases:
#     trivy: KSV-0020
#     checkov: CKV_K8S_40
#     gatekeeper: k8spspallowedusers
#     kyverno: restrict-usergroup-fsgroup-id
package tollgate.k8s.host_range_uid

import rego.v1

import data.tollgate.lib.k8s

field := "runAsUser"

root_check := "k8s/run-as-user-root"

deny contains result if {
	not exempt
	value = data.tollgate.lib.k8s.pod_security_context[field]
	in_host_range(value)
	some entry in data.tollgate.lib.k8s.containers
	not is_number(entry.container.securityContext[field])
	result = {
		"msg": sprintf("%s: pod securityContext.%s is %v, a UID in the node's range (10000 or below)", [data.tollgate.lib.k8s.resource, field, value]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", field]),
	}
}

deny contains result if {
	not exempt
	some entry in data.tollgate.lib.k8s.containers
	value = entry.container.securityContext[field]
	in_host_range(value)
	result = {
		"msg": sprintf("%s: %s securityContext.%s is %v, a UID in the node's range (10000 or below)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), field, value]),
		"path": array.concat(entry.path, ["securityContext", field]),
	}
}

exempt if data.tollgate.lib.k8s.pod_spec.hostUsers == false

exempt if data.tollgate.lib.k8s.windows_pod

in_host_range(value) if {
	is_number(value)
	value >= 0
	value <= 10000
	not left_to_root_check(value)
}

left_to_root_check(value) if {
	value == 0
	data.tollgate.selected[root_check]
}
