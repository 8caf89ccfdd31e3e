# METADATA
# title: Runs as UID 0
# description: |
#   Flags runAsUser set to 0 on the pod securityContext or on a container. The process then
#   runs as root inside the container, and a runtime or kernel escape starts with root
#   privileges (runAsNonRoot is also defeated for that container).
# custom:
#   id: k8s/run-as-user-root
#   severity: high
#   remediation: Set runAsUser to a non-zero UID (for example 10001) and make the image work as that user.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [restricted]
#   frameworks:
#     pss: {level: restricted, control: Running as Non-root user}
#     cis: [{version: "1.12", id: "5.2.7"}]
#     nsa: [NR]
#   aliases:
#     trivy: KSV-0105
#     checkov: CKV_K8S_23
#     kube-linter: run-as-non-root
#     kyverno: require-run-as-non-root-user
#     gatekeeper: k8spspallowedusers
package tollgate.k8s.run_as_user_root

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	data.tollgate.lib.k8s.pod_security_context.runAsUser == 0
	result = {
		"msg": sprintf("%s: pod securityContext.runAsUser is 0 (root)", [data.tollgate.lib.k8s.resource]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "runAsUser"]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	entry.container.securityContext.runAsUser == 0
	result = {
		"msg": sprintf("%s: %s securityContext.runAsUser is 0 (root)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "runAsUser"]),
	}
}
