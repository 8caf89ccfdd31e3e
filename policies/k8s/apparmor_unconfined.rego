# METADATA
# title: AppArmor disabled or overridden
# description: |
#   Flags AppArmor settings other than the runtime default or a localhost profile: an
#   appArmorProfile.type (pod or container securityContext) other than RuntimeDefault or
#   Localhost, such as Unconfined, and a container.apparmor.security.beta.kubernetes.io/*
#   pod annotation other than runtime/default or localhost/*. Without AppArmor a
#   compromised process is confined only by capabilities and seccomp.
# custom:
#   id: k8s/apparmor-unconfined
#   severity: medium
#   remediation: Remove the override (the runtime default profile then applies) or set appArmorProfile.type to RuntimeDefault or Localhost.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   frameworks:
#     pss: {level: baseline, control: AppArmor}
#     cis: [{version: "1.12", id: "5.6.3"}]
#     nsa: [PSE]
#   aliases: {trivy: KSV-0002, polaris: linuxHardening, kyverno: restrict-apparmor-profiles, gatekeeper: k8spspapparmor}
package tollgate.k8s.apparmor_unconfined

import rego.v1

import data.tollgate.lib.k8s

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

allowed_types := {"RuntimeDefault", "Localhost"}

deny contains result if {
	type = data.tollgate.lib.k8s.pod_security_context.appArmorProfile.type
	not type in allowed_types
	result = {
		"msg": sprintf("%s: pod AppArmor profile type is %v (allowed: RuntimeDefault, Localhost)", [data.tollgate.lib.k8s.resource, type]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "appArmorProfile", "type"]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	type = entry.container.securityContext.appArmorProfile.type
	not type in allowed_types
	result = {
		"msg": sprintf("%s: %s AppArmor profile type is %v (allowed: RuntimeDefault, Localhost)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), type]),
		"path": array.concat(entry.path, ["securityContext", "appArmorProfile", "type"]),
	}
}

deny contains result if {
	some key, value in data.tollgate.lib.k8s.pod_annotations
	startswith(key, annotation_prefix)
	not allowed_annotation(value)
	result = {
		"msg": sprintf("%s: annotation %s sets AppArmor profile %v (allowed: runtime/default, localhost/*)", [data.tollgate.lib.k8s.resource, key, value]),
		"path": array.concat(data.tollgate.lib.k8s.pod_metadata_path, ["annotations", key]),
	}
}

allowed_annotation(value) if value in {"", "runtime/default"}

allowed_annotation(value) if {
	is_string(value)
	startswith(value, "localhost/")
}
