# METADATA
# title: Capabilities not dropped
# description: |
#   Flags containers whose securityContext.capabilities.drop does not contain ALL. Container
#   runtimes grant a default set of Linux capabilities (including NET_RAW, which allows
#   spoofing on the pod network); drop them all and add back only what is needed.
# custom:
#   id: k8s/capabilities-not-dropped
#   severity: medium
#   remediation: Set securityContext.capabilities.drop to [ALL] and add back only required capabilities such as NET_BIND_SERVICE.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   frameworks:
#     pss: {level: restricted, control: Capabilities}
#     cis: [{version: "1.12", id: "5.2.9"}]
#     nsa: [PSE]
#   aliases: {trivy: [KSV-0003, KSV-0106], checkov: CKV_K8S_37, polaris: insecureCapabilities}
package tollgate.k8s.capabilities_not_dropped

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in k8s.containers
	not drops_all(entry.container)
	result := {
		"msg": sprintf("%s: %s does not drop ALL capabilities", [k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "drop"]),
	}
}

drops_all(c) if {
	drop := c.securityContext.capabilities.drop
	is_array(drop)
	some capability in drop
	is_string(capability)
	upper(capability) == "ALL"
}
