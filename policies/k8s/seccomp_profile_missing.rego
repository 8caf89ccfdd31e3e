# METADATA
# title: Seccomp profile not set
# description: |
#   Flags pods where a container runs without a seccomp profile: seccompProfile.type is set
#   neither on the container nor on the pod securityContext. The restricted level requires
#   RuntimeDefault or Localhost for every container (the runtime's unconfined default lets the
#   container call every syscall). When no container sets one, a single finding points at the
#   pod securityContext. Windows pods (spec.os.name: windows) are exempt from Kubernetes 1.25.
#   Values other than RuntimeDefault/Localhost are reported by k8s/seccomp-unconfined.
# custom:
#   id: k8s/seccomp-profile-missing
#   severity: medium
#   remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a reviewed profile)."
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [restricted]
#   params:
#     kube_version: {type: string, default: "1.37", description: target Kubernetes version (data.tollgate.params.kube_version)}
#   frameworks:
#     pss: {level: restricted, control: Seccomp}
#     cis: [{version: "1.12", id: "5.6.2"}]
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0030
#     checkov: CKV_K8S_31
#     polaris: linuxHardening
#     kyverno: restrict-seccomp-strict
#     gatekeeper: [k8spspseccomp, k8spspseccompv2]
package tollgate.k8s.seccomp_profile_missing

import rego.v1

import data.tollgate.lib.k8s

profile_set(sc) if not object.get(sc, ["seccompProfile", "type"], null) in {null, ""}

unset_containers contains entry if {
	not data.tollgate.lib.k8s.windows_restricted_exempt
	not profile_set(data.tollgate.lib.k8s.pod_security_context)
	some entry in data.tollgate.lib.k8s.containers
	not profile_set(object.get(entry.container, "securityContext", {}))
}

# No container sets one: the pod is the place to fix it.
deny contains result if {
	not data.tollgate.lib.k8s.patch
	count(unset_containers) > 0
	count(unset_containers) == count(data.tollgate.lib.k8s.containers)
	result = {
		"msg": sprintf("%s: no seccomp profile is set, neither on the pod nor on its containers", [data.tollgate.lib.k8s.resource]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "seccompProfile"]),
	}
}

deny contains result if {
	not data.tollgate.lib.k8s.patch
	count(unset_containers) < count(data.tollgate.lib.k8s.containers)
	some entry in unset_containers
	result = {
		"msg": sprintf("%s: %s has no seccomp profile (set neither on the container nor on the pod)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "seccompProfile"]),
	}
}
