# METADATA
# title: NET_RAW capability kept
# description: |
#   Flags containers that keep the NET_RAW capability: capabilities.drop contains neither ALL nor
#   NET_RAW (most runtimes grant NET_RAW by default), or capabilities.add contains it. NET_RAW
#   allows crafting raw packets, for ARP and DNS spoofing against other pods on the node.
# custom:
#   id: k8s/net-raw-capability
#   severity: medium
#   remediation: Add NET_RAW (or ALL) to securityContext.capabilities.drop and remove it from capabilities.add.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.2.8"}]
#     nsa: [PSE]
#   aliases: {trivy: KSV-0119, checkov: CKV_K8S_28, kube-linter: drop-net-raw-capability}
package tollgate.k8s.net_raw_capability

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	not drops_net_raw(entry.container)
	result = {
		"msg": sprintf("%s: %s does not drop NET_RAW (capabilities.drop has neither ALL nor NET_RAW)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "drop"]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	add = entry.container.securityContext.capabilities.add
	is_array(add)
	some i, capability in add
	normalize(capability) == "NET_RAW"
	result = {
		"msg": sprintf("%s: %s adds the NET_RAW capability", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "add", i]),
	}
}

normalize(capability) := trim_prefix(upper(capability), "CAP_") if is_string(capability)

drops_net_raw(c) if {
	drop = c.securityContext.capabilities.drop
	is_array(drop)
	some capability in drop
	normalize(capability) in {"ALL", "NET_RAW"}
}
