# METADATA
# title: Capability added beyond the baseline set
# description: |
#   Flags each entry of securityContext.capabilities.add that is not in the Pod Security
#   Standards baseline set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD,
#   NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT). NET_RAW, SYS_ADMIN, ALL and
#   every other capability widen the kernel attack surface of the container. Names are compared
#   exactly, as Pod Security Admission does.
# custom:
#   id: k8s/capabilities-beyond-baseline
#   severity: high
#   remediation: Remove the capability from capabilities.add; if the workload truly needs it, run it in a namespace with the privileged Pod Security level and waive this finding.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   frameworks:
#     pss: {level: baseline, control: Capabilities}
#     cis: [{version: "1.12", id: "5.2.9"}]
#     nsa: [PSE]
#   aliases: {trivy: KSV-0022, checkov: CKV_K8S_25, kyverno: [disallow-capabilities, restrict-adding-capabilities], gatekeeper: k8spspcapabilities}
package tollgate.k8s.capabilities_beyond_baseline

import rego.v1

import data.tollgate.lib.k8s

baseline_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	add = entry.container.securityContext.capabilities.add
	is_array(add)
	some i, capability in add
	not capability in baseline_capabilities
	result = {
		"msg": sprintf("%s: %s adds capability %v, which is outside the baseline set", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), capability]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "add", i]),
	}
}
