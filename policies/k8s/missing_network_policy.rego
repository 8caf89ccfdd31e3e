# METADATA
# title: Workload not selected by any NetworkPolicy
# description: |
#   Flags workloads whose pods no NetworkPolicy of their namespace selects, among the manifests
#   of the commit (a cross-resource check: it reads the commit's inventory). Such pods accept
#   traffic from every pod of the cluster and may send traffic anywhere. A NetworkPolicy with an
#   empty podSelector selects every pod of its namespace; other selectors are matched against
#   the pod template's labels (matchLabels; matchExpressions In, NotIn, Exists, DoesNotExist).
#   Pods on the host network are exempt: NetworkPolicy does not apply to them. A manifest without
#   metadata.namespace counts as being in "default".
# custom:
#   id: k8s/missing-network-policy
#   severity: medium
#   remediation: Add a NetworkPolicy to the workload's namespace that selects its pods, such as a default-deny policy with an empty podSelector plus policies that allow the traffic the workload needs.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   scope: inventory
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.3.2"}]
#     nsa: [NP]
#   aliases: {trivy: KSV-0038, kube-linter: non-isolated-pod, checkov: CKV2_K8S_6, polaris: missingNetworkPolicy}
package tollgate.k8s.missing_network_policy

import rego.v1

import data.tollgate.lib.inventory
deny contains result if {
	data.tollgate.lib.k8s.pod_spec
	input.kind != "PodTemplate"
	not data.tollgate.lib.k8s.pod_spec.hostNetwork == true
	not selected
	result = {
		"msg": sprintf("%s: no NetworkPolicy in namespace '%s' selects its pods", [data.tollgate.lib.k8s.resource, data.tollgate.lib.inventory.namespace]),
		"path": array.concat(data.tollgate.lib.k8s.pod_metadata_path, ["labels"]),
	}
}

selected if {
	some selector in inventory.selectors("NetworkPolicy")
	inventory.selects(pod_selector(selector), data.tollgate.lib.inventory.pod_labels)
}

# An absent podSelector is the empty selector, as the API server stores it.
pod_selector(selector) := selector if {
	selector != null
} else := {}
