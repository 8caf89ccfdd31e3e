# METADATA
# title: Sensitive host path mounted
# description: |
#   Flags hostPath volumes whose path is a container runtime socket (docker, containerd, CRI-O,
#   cri-dockerd, podman) or the node's /, /etc, /proc, /sys, /dev, /boot, /root, /run, /var/run,
#   /var/lib/kubelet, /var/lib/docker, /var/lib/containerd or a path below one of the
#   directories. Any of them hands the pod the node: the runtime socket starts privileged
#   containers, the others expose credentials, kernel interfaces or the kubelet's state.
# custom:
#   id: k8s/sensitive-host-path
#   severity: critical
#   remediation: Remove the hostPath volume; talk to the runtime or node through an API meant for it, or isolate the agent in a privileged namespace with a reviewed waiver.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     pss: {level: baseline, control: HostPath Volumes}
#     cis: [{version: "1.12", id: "5.2.11"}]
#     nsa: [PSE]
#   aliases:
#     trivy: [KSV-0006, KSV-0121]
#     checkov: CKV_K8S_27
#     kube-linter: [docker-sock, sensitive-host-mounts]
#     kyverno: [disallow-cri-sock-mount, disallow-container-sock-mounts, docker-socket-requires-label]
package tollgate.k8s.sensitive_host_path

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	volumes = data.tollgate.lib.k8s.pod_spec.volumes
	is_array(volumes)
	some i, volume in volumes
	path = volume.hostPath.path
	k8s.sensitive_host_path(path)
	result = {
		"msg": sprintf("%s: volume '%s' mounts the sensitive host path %s", [data.tollgate.lib.k8s.resource, k8s.name(volume), path]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["volumes", i, "hostPath", "path"]),
	}
}
