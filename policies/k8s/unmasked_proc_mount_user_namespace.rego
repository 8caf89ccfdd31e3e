# METADATA
# title: Unmasked /proc mount in a user namespace
# description: |
#   Flags containers of user-namespaced pods (spec.hostUsers: false) whose
#   securityContext.procMount is anything but Default. From Kubernetes 1.35 the baseline level
#   allows any procMount in a user namespace (k8s/unmasked-proc-mount then passes), but the
#   restricted level still requires Default. The target version comes from the kube_version
#   parameter (default: the newest release); before 1.35 k8s/unmasked-proc-mount covers these pods.
# custom:
#   id: k8s/unmasked-proc-mount-user-namespace
#   severity: low
#   remediation: Remove securityContext.procMount or set it to Default.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [restricted]
#   params:
#     kube_version: {type: string, default: "1.37", description: target Kubernetes version (data.tollgate.params.kube_version)}
#   frameworks:
#     pss: {level: restricted, control: /proc Mount Type}
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0027
#     kube-linter: unsafe-proc-mount
#     polaris: procMount
#     kyverno: disallow-proc-mount
#     gatekeeper: k8spspprocmount
package tollgate.k8s.unmasked_proc_mount_user_namespace

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	data.tollgate.lib.k8s.user_namespace_relaxed
	some entry in data.tollgate.lib.k8s.containers
	proc_mount = entry.container.securityContext.procMount
	not proc_mount in {"Default", "", null}
	result = {
		"msg": sprintf("%s: %s sets procMount %v in a user namespace (restricted allows only Default)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), proc_mount]),
		"path": array.concat(entry.path, ["securityContext", "procMount"]),
	}
}
