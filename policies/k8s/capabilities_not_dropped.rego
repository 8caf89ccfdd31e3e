# METADATA
# title: Capabilities not dropped
# description: |
#   Flags containers whose securityContext.capabilities.drop does not contain ALL, and each
#   capabilities.add entry other than NET_BIND_SERVICE (the restricted Pod Security Standard).
#   Container runtimes grant a default set of Linux capabilities (including NET_RAW, which
#   allows spoofing on the pod network); drop them all and add back only what is needed.
#   Windows pods (spec.os.name: windows) are exempt from Kubernetes 1.25 (kube_version parameter).
# custom:
#   id: k8s/capabilities-not-dropped
#   severity: medium
#   remediation: Set securityContext.capabilities.drop to [ALL] and add back only required capabilities such as NET_BIND_SERVICE.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [restricted]
#   frameworks:
#     pss: {level: restricted, control: Capabilities}
#     cis: [{version: "1.12", id: "5.2.9"}]
#     nsa: [PSE]
#   aliases:
#     trivy: [KSV-0003, KSV-0106, KSV-0004]
#     checkov: CKV_K8S_37
#     polaris: insecureCapabilities
#     kyverno: [disallow-capabilities-strict, require-drop-all, drop-all-capabilities]
#     gatekeeper: k8spspcapabilities
package tollgate.k8s.capabilities_not_dropped

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	not data.tollgate.lib.k8s.patch
	not data.tollgate.lib.k8s.windows_restricted_exempt
	some entry in data.tollgate.lib.k8s.containers
	not drops_all(entry.container)
	result = {
		"msg": sprintf("%s: %s does not drop ALL capabilities", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "drop"]),
	}
}

deny contains result if {
	not data.tollgate.lib.k8s.windows_restricted_exempt
	some entry in data.tollgate.lib.k8s.containers
	add = entry.container.securityContext.capabilities.add
	is_array(add)
	some i, capability in add
	capability != "NET_BIND_SERVICE"
	result = {
		"msg": sprintf("%s: %s adds capability %v (the restricted level allows only NET_BIND_SERVICE)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), capability]),
		"path": array.concat(entry.path, ["securityContext", "capabilities", "add", i]),
	}
}

drops_all(c) if {
	drop = c.securityContext.capabilities.drop
	is_array(drop)
	some capability in drop
	is_string(capability)
	upper(capability) == "ALL"
}
