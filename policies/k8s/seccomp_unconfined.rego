# METADATA
# title: Seccomp explicitly unconfined
# description: |
#   Flags a seccompProfile.type (pod or container securityContext) other than RuntimeDefault or
#   Localhost, such as Unconfined, which switches the syscall filter off. For targets before
#   Kubernetes 1.19 (kube_version parameter) it checks the seccomp.security.alpha.kubernetes.io/pod
#   and container.seccomp.security.alpha.kubernetes.io/* annotations instead, which allow
#   runtime/default, docker/default and localhost/*.
# custom:
#   id: k8s/seccomp-unconfined
#   severity: medium
#   remediation: Set seccompProfile.type to RuntimeDefault (or Localhost with a reviewed profile), or remove the override.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   params:
#     kube_version: {type: string, default: "1.37", description: target Kubernetes version (data.tollgate.params.kube_version)}
#   frameworks:
#     pss: {level: baseline, control: Seccomp}
#     cis: [{version: "1.12", id: "5.6.2"}]
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0104
#     kyverno: [restrict-seccomp, restrict-seccomp-strict]
#     gatekeeper: [k8spspseccomp, k8spspseccompv2]
package tollgate.k8s.seccomp_unconfined

import rego.v1

import data.tollgate.lib.k8s

allowed_types := {"RuntimeDefault", "Localhost"}

deny contains result if {
	data.tollgate.lib.k8s.kube_minor >= 19
	type = data.tollgate.lib.k8s.pod_security_context.seccompProfile.type
	not type in allowed_types
	result = {
		"msg": sprintf("%s: pod seccomp profile type is %v (allowed: RuntimeDefault, Localhost)", [data.tollgate.lib.k8s.resource, type]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "seccompProfile", "type"]),
	}
}

deny contains result if {
	data.tollgate.lib.k8s.kube_minor >= 19
	some entry in data.tollgate.lib.k8s.containers
	type = entry.container.securityContext.seccompProfile.type
	not type in allowed_types
	result = {
		"msg": sprintf("%s: %s seccomp profile type is %v (allowed: RuntimeDefault, Localhost)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), type]),
		"path": array.concat(entry.path, ["securityContext", "seccompProfile", "type"]),
	}
}

# Before 1.19: the alpha annotations.
deny contains result if {
	data.tollgate.lib.k8s.kube_minor < 19
	some key, value in data.tollgate.lib.k8s.pod_annotations
	legacy_annotation(key)
	not allowed_annotation(value)
	result = {
		"msg": sprintf("%s: annotation %s sets seccomp profile %v (allowed: runtime/default, docker/default, localhost/*)", [data.tollgate.lib.k8s.resource, key, value]),
		"path": array.concat(data.tollgate.lib.k8s.pod_metadata_path, ["annotations", key]),
	}
}

legacy_annotation(key) if key == "seccomp.security.alpha.kubernetes.io/pod"

legacy_annotation(key) if startswith(key, "container.seccomp.security.alpha.kubernetes.io/")

allowed_annotation(value) if value in {"runtime/default", "docker/default"}

allowed_annotation(value) if {
	is_string(value)
	startswith(value, "localhost/")
}
