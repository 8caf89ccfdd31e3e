# METADATA
# title: Unmasked /proc mount
# description: |
#   Flags containers whose securityContext.procMount is set to anything but Default (such as
#   Unmasked). The default masks sensitive /proc paths; an unmasked /proc exposes kernel
#   interfaces to the container. From Kubernetes 1.35 the baseline level allows any procMount in
#   pods that run in a user namespace (spec.hostUsers: false); the target version comes from the
#   kube_version parameter (default: the newest release). The restricted level keeps requiring
#   Default there: k8s/unmasked-proc-mount-user-namespace.
# custom:
#   id: k8s/unmasked-proc-mount
#   severity: medium
#   remediation: Remove securityContext.procMount or set it to Default.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   params:
#     kube_version: {type: string, default: "1.37", description: target Kubernetes version (data.tollgate.params.kube_version)}
#   frameworks:
#     pss: {level: baseline, control: /proc Mount Type}
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0027
#     kube-linter: unsafe-proc-mount
#     polaris: procMount
#     kyverno: disallow-proc-mount
#     gatekeeper: k8spspprocmount
package tollgate.k8s.unmasked_proc_mount

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	not data.tollgate.lib.k8s.user_namespace_relaxed
	some entry in data.tollgate.lib.k8s.containers
	proc_mount = entry.container.securityContext.procMount
	not proc_mount in {"Default", "", null}
	result = {
		"msg": sprintf("%s: %s sets procMount %v (only Default is allowed)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), proc_mount]),
		"path": array.concat(entry.path, ["securityContext", "procMount"]),
	}
}
