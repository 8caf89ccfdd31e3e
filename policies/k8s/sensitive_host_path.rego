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
#     cis: [{version: "1.12", id: "5.2.11"}]
#     nsa: [PSE]
#   aliases:
#     trivy: [KSV-0006, KSV-0121]
#     checkov: CKV_K8S_27
#     kube-linter: [docker-sock, sensitive-host-mounts]
package tollgate.k8s.sensitive_host_path

import rego.v1

import data.tollgate.lib.k8s

# The path itself or anything below it.
sensitive_dirs := {
	"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run",
	"/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd",
}

socket_names := {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock"}

deny contains result if {
	volumes = data.tollgate.lib.k8s.pod_spec.volumes
	is_array(volumes)
	some i, volume in volumes
	path = volume.hostPath.path
	is_string(path)
	sensitive(clean(path))
	result = {
		"msg": sprintf("%s: volume '%s' mounts the sensitive host path %s", [data.tollgate.lib.k8s.resource, k8s.name(volume), path]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["volumes", i, "hostPath", "path"]),
	}
}

# Without trailing slashes and duplicate separators ("/" stays "/").
clean(path) := cleaned if {
	parts = [p | some p in split(path, "/"); p != ""; p != "."]
	cleaned = concat("", ["/", concat("/", parts)])
}

sensitive(path) if path == "/"

sensitive(path) if {
	some dir in sensitive_dirs
	startswith(concat("", [path, "/"]), concat("", [dir, "/"]))
}

sensitive(path) if {
	parts = split(path, "/")
	parts[count(parts) - 1] in socket_names
}
