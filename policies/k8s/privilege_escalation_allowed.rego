# METADATA
# title: Privilege escalation allowed
# description: |
#   Flags containers that do not set securityContext.allowPrivilegeEscalation to false. Unless
#   it is explicitly false, a process in the container can gain more privileges than its
#   parent, for example through setuid binaries. Windows pods (spec.os.name: windows) are exempt
#   from Kubernetes 1.25 (kube_version parameter, default: the newest release).
# custom:
#   id: k8s/privilege-escalation-allowed
#   severity: medium
#   remediation: Set securityContext.allowPrivilegeEscalation to false on every container, including init and ephemeral containers.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [restricted]
#   frameworks:
#     pss: {level: restricted, control: Privilege Escalation}
#     cis: [{version: "1.12", id: "5.2.6"}]
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0001
#     checkov: CKV_K8S_20
#     kube-linter: privilege-escalation-container
#     polaris: privilegeEscalationAllowed
#     kyverno: disallow-privilege-escalation
#     gatekeeper: k8spspallowprivilegeescalationcontainer
package tollgate.k8s.privilege_escalation_allowed

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	not data.tollgate.lib.k8s.patch
	not data.tollgate.lib.k8s.windows_restricted_exempt
	some entry in data.tollgate.lib.k8s.containers
	not entry.container.securityContext.allowPrivilegeEscalation == false
	result = {
		"msg": sprintf("%s: %s allows privilege escalation (securityContext.allowPrivilegeEscalation is not false)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "allowPrivilegeEscalation"]),
	}
}
