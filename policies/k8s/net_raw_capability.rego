# METADATA
# title: NET_RAW capability kept
# description: |
#   Flags containers that keep the NET_RAW capability: capabilities.drop contains neither ALL nor
#   NET_RAW (most runtimes grant NET_RAW by default), or capabilities.add contains it. NET_RAW
#   allows crafting raw packets, for ARP and DNS spoofing against other pods on the node. When
#   k8s/capabilities-not-dropped runs too (restricted, all), it reports such a container (it
#   drops no ALL either), and an added NET_RAW is left to it and k8s/capabilities-beyond-baseline:
#   one finding per problem and field.
# custom:
#   id: k8s/net-raw-capability
#   severity: medium
#   remediation: Add NET_RAW (or ALL) to securityContext.capabilities.drop and remove it from capabilities.add.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.2.8"}]
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0119
#     checkov: CKV_K8S_28
#     kube-linter: drop-net-raw-capability
#     kyverno: [require-drop-cap-net-raw, drop-cap-net-raw]
package tollgate.k8s.net_raw_capability

import rego.v1

import data.tollgate.lib.k8s

# Not when k8s/capabilities-not-dropped runs too: a container that does not drop NET_RAW does not
# drop ALL either, and that check reports it on the same field.
deny contains result if {
	not data.tollgate.selected["k8s/capabilities-not-dropped"]
	not data.tollgate.lib.k8s.patch
	some entry in data.tollgate.lib.k8s.containers
	not drops_net_raw(entry.container)
	result = {
		"msg": sprintf("%s: %s does not drop NET_RAW (capabilities.drop has neither ALL nor NET_RAW)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "drop"]),
	}
}

# Not when k8s/capabilities-beyond-baseline or k8s/capabilities-not-dropped runs too: both report
# an added NET_RAW on the same entry.
deny contains result if {
	not data.tollgate.selected["k8s/capabilities-beyond-baseline"]
	not data.tollgate.selected["k8s/capabilities-not-dropped"]
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
