# METADATA
# title: Secret consumed through environment variables
# description: |
#   Flags env entries with valueFrom.secretKeyRef and envFrom entries with secretRef. Environment
#   variables leak into crash dumps, debug endpoints, child processes and logs, and are not
#   updated when the Secret rotates; a Secret mounted as a volume has none of these problems.
# custom:
#   id: k8s/secret-in-env
#   severity: low
#   remediation: Mount the Secret as a volume (or use a CSI secrets driver) and read the file from the application.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.4.1"}]
#     nsa: [SEC]
#   aliases:
#     checkov: CKV_K8S_35
#     kube-linter: read-secret-from-env-var
#     kyverno: [disallow-secrets-from-env-vars, secrets-not-from-env-vars]
package tollgate.k8s.secret_in_env

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	env = entry.container.env
	is_array(env)
	some i, var in env
	ref = var.valueFrom.secretKeyRef
	is_object(ref)
	result = {
		"msg": sprintf("%s: %s reads Secret '%s' into the environment variable %v", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), k8s.name(ref), object.get(var, "name", "<unnamed>")]),
		"path": array.concat(entry.path, ["env", i, "valueFrom", "secretKeyRef"]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	env_from = entry.container.envFrom
	is_array(env_from)
	some i, source in env_from
	ref = source.secretRef
	is_object(ref)
	result = {
		"msg": sprintf("%s: %s loads every key of Secret '%s' into environment variables", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), k8s.name(ref)]),
		"path": array.concat(entry.path, ["envFrom", i, "secretRef"]),
	}
}
