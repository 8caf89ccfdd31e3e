# METADATA
# title: Writable hostPath mount
# description: |
#   Flags a container's volumeMount of a hostPath volume without readOnly: true. A writable mount
#   lets the container change the node's files (binaries, kubelet or runtime state, other pods'
#   logs), which outlives the pod and reaches every workload on the node; a read-only mount still
#   lets an agent read what it needs. The hostPath volume itself is k8s/host-path-volume's (and
#   k8s/sensitive-host-path's) finding, at the volume: this one is at the mount. A kustomize
#   patch that lists a mount without readOnly leaves it to the object it patches (volumeMounts
#   merge by mountPath); readOnly: false in a patch is still reported.
# custom:
#   id: k8s/writable-host-mount
#   severity: medium
#   remediation: Set readOnly true on the volumeMount of the hostPath volume, or replace the hostPath volume with emptyDir, a persistentVolumeClaim or a CSI volume.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.2.11"}]
#     nsa: [PSE]
#   aliases:
#     kube-linter: writable-host-mount
#     gatekeeper: k8spsphostfilesystem
#     kyverno: ensure-readonly-hostpath
package tollgate.k8s.writable_host_mount

import rego.v1

import data.tollgate.lib.k8s

# The names of the pod's hostPath volumes (a null hostPath is an unset field).
host_path_volumes contains name if {
	volumes = data.tollgate.lib.k8s.pod_spec.volumes
	is_array(volumes)
	some volume in volumes
	is_object(volume.hostPath)
	name = volume.name
	is_string(name)
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	mounts = entry.container.volumeMounts
	is_array(mounts)
	some j, mount in mounts
	mount.name in data.tollgate.k8s.writable_host_mount.host_path_volumes
	not mount.readOnly == true
	not left_to_base(mount)
	result = {
		"msg": sprintf("%s: %s mounts the hostPath volume '%s' at %s writable", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), mount.name, mount_point(mount)]),
		"path": array.concat(entry.path, ["volumeMounts", j, "readOnly"]),
	}
}

# readOnly absent from a patch's mount: the patched object's mount decides.
left_to_base(mount) if {
	data.tollgate.lib.k8s.patch
	not "readOnly" in object.keys(mount)
}

mount_point(mount) := p if {
	p = mount.mountPath
	is_string(p)
} else := "<no mountPath>"
