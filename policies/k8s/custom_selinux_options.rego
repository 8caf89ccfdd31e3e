# METADATA
# title: Custom SELinux options
# description: |
#   Flags seLinuxOptions (pod or container securityContext) that set a user or a role, or a type
#   other than container_t, container_init_t, container_kvm_t and (from Kubernetes 1.31)
#   container_engine_t. A custom type such as spc_t ("super privileged container") or a custom
#   user/role can switch off SELinux confinement for the container. The target version comes
#   from the kube_version parameter (default: the newest release).
# custom:
#   id: k8s/custom-selinux-options
#   severity: medium
#   remediation: Remove seLinuxOptions.user and .role, and leave .type unset or set it to container_t.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   params:
#     kube_version: {type: string, default: "1.37", description: target Kubernetes version (data.tollgate.params.kube_version)}
#   frameworks:
#     pss: {level: baseline, control: SELinux}
#     cis: [{version: "1.12", id: "5.6.3"}]
#     nsa: [PSE]
#   aliases: {trivy: KSV-0025, kyverno: disallow-selinux, gatekeeper: k8spspselinuxv2}
package tollgate.k8s.custom_selinux_options

import rego.v1

import data.tollgate.lib.k8s

allowed_types contains t if some t in {"", "container_t", "container_init_t", "container_kvm_t"}

allowed_types contains "container_engine_t" if data.tollgate.lib.k8s.kube_minor >= 31

# Every seLinuxOptions object with the path to it and a label for messages.
options contains {"options": o, "path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "seLinuxOptions"]), "who": "pod"} if {
	o = data.tollgate.lib.k8s.pod_security_context.seLinuxOptions
	is_object(o)
}

options contains {"options": o, "path": array.concat(entry.path, ["securityContext", "seLinuxOptions"]), "who": k8s.container_label(entry)} if {
	some entry in data.tollgate.lib.k8s.containers
	o = entry.container.securityContext.seLinuxOptions
	is_object(o)
}

deny contains result if {
	some opt in options
	type = opt.options.type
	not type in allowed_types
	result = {
		"msg": sprintf("%s: %s sets SELinux type %v (allowed: container_t, container_init_t, container_kvm_t%s)", [data.tollgate.lib.k8s.resource, opt.who, type, engine_note]),
		"path": array.concat(opt.path, ["type"]),
	}
}

deny contains result if {
	some opt in options
	some field in ["user", "role"]
	value = opt.options[field]
	not value in {"", null}
	result = {
		"msg": sprintf("%s: %s sets a custom SELinux %s (%v)", [data.tollgate.lib.k8s.resource, opt.who, field, value]),
		"path": array.concat(opt.path, [field]),
	}
}

engine_note := ", container_engine_t" if {
	data.tollgate.lib.k8s.kube_minor >= 31
} else := ""
