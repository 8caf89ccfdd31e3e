# METADATA
# title: GID in the host range
# description: |
#   Flags runAsGroup set to a GID of 10000 or below on the pod securityContext (when a container
#   inherits it) or on a container. Those are the GIDs of the node's own groups and system
#   services: a process that escapes the container is in one of them, with their files. GIDs
#   above 10000 belong to no node group. As in trivy's KSV-0021, the threshold is inclusive;
#   unlike it, the check follows Kubernetes' inheritance (a container without runAsGroup runs with
#   the pod's) and does not report an unset runAsGroup: the image's USER then decides, which a
#   manifest does not show. fsGroup and supplementalGroups are not judged. GID 0 is
#   k8s/run-as-root-group's when that check runs. Pods with hostUsers: false (a user namespace
#   maps their GIDs away from the node's) and Windows pods are exempt.
# custom:
#   id: k8s/host-range-gid
#   severity: low
#   remediation: Set runAsGroup above 10000 (for example 10001) and make the image's files readable by it, or run the pod in a user namespace (hostUsers false).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [NR]
#   aliases:
#     trivy: KSV-0021
#     gatekeeper: [k8spspallowedusers, k8spspfsgroup]
#     kyverno: [restrict-usergroup-fsgroup-id, check-supplemental-groups]
package tollgate.k8s.host_range_gid

import rego.v1

import data.tollgate.lib.k8s

field := "runAsGroup"

root_check := "k8s/run-as-root-group"

deny contains result if {
	not exempt
	value = data.tollgate.lib.k8s.pod_security_context[field]
	in_host_range(value)
	some entry in data.tollgate.lib.k8s.containers
	not is_number(entry.container.securityContext[field])
	result = {
		"msg": sprintf("%s: pod securityContext.%s is %v, a GID in the node's range (10000 or below)", [data.tollgate.lib.k8s.resource, field, value]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", field]),
	}
}

deny contains result if {
	not exempt
	some entry in data.tollgate.lib.k8s.containers
	value = entry.container.securityContext[field]
	in_host_range(value)
	result = {
		"msg": sprintf("%s: %s securityContext.%s is %v, a GID in the node's range (10000 or below)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), field, value]),
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
