# METADATA
# title: Workload not selected by any NetworkPolicy
# description: |
#   Flags workloads whose pods no NetworkPolicy of their namespace selects, among the manifests
#   of the commit (a cross-resource check: it reads the commit's inventory). Such pods accept
#   traffic from every pod of the cluster and may send traffic anywhere. A NetworkPolicy with an
#   empty podSelector selects every pod of its namespace; other selectors are matched against
#   the pod template's labels (matchLabels; matchExpressions In, NotIn, Exists, DoesNotExist).
#   Pods on the host network are exempt: NetworkPolicy does not apply to them. A manifest without
#   metadata.namespace counts as being in "default". When more than 100 distinct podSelectors of
#   the namespace could select the pods (each asks for one of their labels or keys, or for none)
#   and none of those asking for none does, the check reports that it cannot tell instead of
#   matching them all (a bound on the work per workload).
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
#   aliases:
#     trivy: KSV-0038
#     kube-linter: non-isolated-pod
#     checkov: CKV2_K8S_6
#     polaris: missingNetworkPolicy
#     kyverno: [require-netpol, require-network-policy]
package tollgate.k8s.missing_network_policy

import rego.v1

import data.tollgate.lib.inventory
deny contains result if {
	not data.tollgate.lib.k8s.patch
	data.tollgate.lib.k8s.pod_spec
	input.kind != "PodTemplate"
	not data.tollgate.lib.k8s.pod_spec.hostNetwork == true
	data.tollgate.k8s.missing_network_policy.selection == "unselected"
	result = {
		"msg": sprintf("%s: no NetworkPolicy in namespace '%s' selects its pods", [data.tollgate.lib.k8s.resource, data.tollgate.lib.inventory.namespace]),
		"path": array.concat(data.tollgate.lib.k8s.pod_metadata_path, ["labels"]),
	}
}

deny contains result if {
	not data.tollgate.lib.k8s.patch
	data.tollgate.lib.k8s.pod_spec
	input.kind != "PodTemplate"
	not data.tollgate.lib.k8s.pod_spec.hostNetwork == true
	data.tollgate.k8s.missing_network_policy.selection == "undecided"
	result = {
		"msg": sprintf(
			"%s: cannot tell whether a NetworkPolicy in namespace '%s' selects its pods: %d distinct podSelectors there could, more than the %d tollgate matches against one workload",
			[
				data.tollgate.lib.k8s.resource, data.tollgate.lib.inventory.namespace,
				inventory.candidate_count("NetworkPolicy", data.tollgate.lib.inventory.pod_labels),
				data.tollgate.lib.inventory.max_candidates,
			],
		),
		"path": array.concat(data.tollgate.lib.k8s.pod_metadata_path, ["labels"]),
	}
}

# An absent podSelector is the empty selector, as the API server stores it.
selection := inventory.selection("NetworkPolicy", data.tollgate.lib.inventory.pod_labels, {})
