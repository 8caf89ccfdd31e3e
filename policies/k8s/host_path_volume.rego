# METADATA
# title: hostPath volume
# description: |
#   Flags pod volumes of type hostPath. A hostPath volume exposes the node's filesystem to the
#   pod; a writable mount of paths such as / or the container runtime socket is a direct route
#   to taking over the node. A sensitive path (a runtime socket, /, /etc, ...) is left to
#   k8s/sensitive-host-path (critical, mapped to the same PSS control) when that check runs too:
#   one finding per volume.
# custom:
#   id: k8s/host-path-volume
#   severity: high
#   remediation: Replace the hostPath volume with emptyDir, configMap, secret, a persistentVolumeClaim or a CSI volume.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   frameworks:
#     pss: {level: baseline, control: HostPath Volumes}
#     cis: [{version: "1.12", id: "5.2.11"}]
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0023
#     polaris: hostPathSet
#     kyverno: [disallow-host-path, restrict-volume-types, limit-hostpath-vols]
#     gatekeeper: [k8spsphostfilesystem, k8spspvolumetypes]
package tollgate.k8s.host_path_volume

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	volumes = data.tollgate.lib.k8s.pod_spec.volumes
	is_array(volumes)
	some i, volume in volumes
	host_path = volume.hostPath
	not host_path in {null, false}
	not left_to_sensitive_host_path(host_path)
	result = {
		"msg": sprintf("%s: volume '%s' mounts %s", [data.tollgate.lib.k8s.resource, k8s.name(volume), describe(host_path)]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["volumes", i, "hostPath"]),
	}
}

describe(host_path) := sprintf("the host path %s", [host_path.path]) if {
	is_string(host_path.path)
} else := "a host path"

# A sensitive path is k8s/sensitive-host-path's (critical, and mapped to this PSS control too)
# when that check runs too: one finding on the volume, the more precise one.
left_to_sensitive_host_path(host_path) if {
	data.tollgate.selected["k8s/sensitive-host-path"]
	k8s.sensitive_host_path(host_path.path)
}
