# METADATA
# title: Dangerous capability added
# description: |
#   Flags capabilities.add entries that amount to (or come close to) root on the node: ALL,
#   SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, SYS_BOOT, NET_ADMIN, BPF, PERFMON,
#   DAC_READ_SEARCH and MAC_ADMIN/MAC_OVERRIDE (with or without the CAP_ prefix, any case).
#   With one of them a compromised container can load kernel modules, read other processes'
#   memory, reconfigure the node's network or escape through mounts.
# custom:
#   id: k8s/dangerous-capability
#   severity: critical
#   remediation: Remove the capability; if a node agent truly needs it, isolate it in a dedicated namespace and waive this finding with a reason.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.2.9"}]
#     nsa: [PSE]
#   aliases: {trivy: [KSV-0005, KSV-0120], checkov: CKV_K8S_39, polaris: dangerousCapabilities}
package tollgate.k8s.dangerous_capability

import rego.v1

import data.tollgate.lib.k8s

dangerous := {
	"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT", "NET_ADMIN", "BPF",
	"PERFMON", "DAC_READ_SEARCH", "MAC_ADMIN", "MAC_OVERRIDE",
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	add = entry.container.securityContext.capabilities.add
	is_array(add)
	some i, capability in add
	is_string(capability)
	trim_prefix(upper(capability), "CAP_") in dangerous
	result = {
		"msg": sprintf("%s: %s adds the dangerous capability %s", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), capability]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "add", i]),
	}
}
