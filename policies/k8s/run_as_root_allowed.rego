# METADATA
# title: Running as root allowed
# description: |
#   Flags containers for which runAsNonRoot is not true, neither on the container nor inherited
#   from the pod securityContext. Without it the kubelet starts the container even when its
#   image runs as UID 0, so a breakout starts with root privileges. From Kubernetes 1.35 pods in a
#   user namespace (spec.hostUsers: false) are exempt, as their root is unprivileged on the node
#   (kube_version parameter, default: the newest release).
# custom:
#   id: k8s/run-as-root-allowed
#   severity: medium
#   remediation: Set securityContext.runAsNonRoot to true on the pod (or on every container) and run the image as a non-zero UID.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [restricted]
#   frameworks:
#     pss: {level: restricted, control: Running as Non-root}
#     cis: [{version: "1.12", id: "5.2.7"}]
#     nsa: [NR]
#   aliases:
#     trivy: KSV-0012
#     checkov: CKV_K8S_23
#     kube-linter: run-as-non-root
#     polaris: runAsRootAllowed
#     kyverno: require-run-as-nonroot
#     gatekeeper: k8spspallowedusers
package tollgate.k8s.run_as_root_allowed

import rego.v1

import data.tollgate.lib.k8s

# The container's own setting wins; the pod-level setting applies when the container leaves it unset.
deny contains result if {
	not data.tollgate.lib.k8s.patch
	not data.tollgate.lib.k8s.user_namespace_relaxed
	some entry in data.tollgate.lib.k8s.containers
	not runs_as_non_root(entry.container)
	result = {
		"msg": message(entry),
		"path": offending_path(entry),
	}
}

runs_as_non_root(c) if c.securityContext.runAsNonRoot == true

runs_as_non_root(c) if {
	not c.securityContext.runAsNonRoot == false
	data.tollgate.lib.k8s.pod_spec.securityContext.runAsNonRoot == true
}

# Point at the setting that lets the container run as root: the container's own runAsNonRoot when
# present, else the pod's, else the container's (missing) runAsNonRoot.
offending_path(entry) := array.concat(entry.path, ["securityContext", "runAsNonRoot"]) if {
	_ = entry.container.securityContext.runAsNonRoot
} else := array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "runAsNonRoot"]) if {
	_ = data.tollgate.lib.k8s.pod_spec.securityContext.runAsNonRoot
} else := array.concat(entry.path, ["securityContext", "runAsNonRoot"])

message(entry) := sprintf("%s: %s may run as root (its securityContext.runAsNonRoot is %v)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), value]) if {
	value = entry.container.securityContext.runAsNonRoot
} else := sprintf("%s: %s may run as root (the pod securityContext.runAsNonRoot is %v)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), value]) if {
	value = data.tollgate.lib.k8s.pod_spec.securityContext.runAsNonRoot
} else := sprintf("%s: %s may run as root (runAsNonRoot is set neither on the container nor on the pod)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)])
