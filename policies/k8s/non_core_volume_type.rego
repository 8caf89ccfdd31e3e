# METADATA
# title: Volume type outside the restricted set
# description: |
#   Flags pod volumes of a type outside the Pod Security Standards restricted set (configMap,
#   csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret):
#   nfs, iscsi, rbd, cephfs, gitRepo and the other in-tree types mount storage straight from the
#   node or the network, outside what a PersistentVolume's administrator controls. hostPath is
#   left to k8s/host-path-volume.
# custom:
#   id: k8s/non-core-volume-type
#   severity: medium
#   remediation: Use a persistentVolumeClaim (backed by a PersistentVolume or a CSI driver) or another core volume type instead.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [restricted]
#   frameworks:
#     pss: {level: restricted, control: Volume Types}
#     nsa: [PSE]
#   aliases: {trivy: KSV-0028, kyverno: restrict-volume-types, gatekeeper: k8spspvolumetypes}
package tollgate.k8s.non_core_volume_type

import rego.v1

import data.tollgate.lib.k8s

allowed_types := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret",
}

# Not a volume type, or reported by another check.
ignored_keys := {"name", "hostPath"}

deny contains result if {
	volumes = data.tollgate.lib.k8s.pod_spec.volumes
	is_array(volumes)
	some i, volume in volumes
	is_object(volume)
	some type, source in volume
	not type in allowed_types
	not type in ignored_keys
	source != null
	result = {
		"msg": sprintf("%s: volume '%s' has type %s, which is outside the restricted set", [data.tollgate.lib.k8s.resource, k8s.name(volume), type]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["volumes", i, type]),
	}
}
