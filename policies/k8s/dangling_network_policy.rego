# METADATA
# title: NetworkPolicy whose podSelector matches no pod of the commit
# description: |
#   Flags a NetworkPolicy whose podSelector matches the pod template labels of no workload of its
#   namespace among the manifests of the commit (a cross-resource check: it reads the commit's
#   inventory). The policy then isolates nothing, usually because of a typo or a label changed
#   on the workload only, and the pods it was meant for stay open. The commit cannot tell when
#   the pods come from elsewhere, so the check stays quiet unless it can: an empty podSelector
#   (every pod) or one without matchLabels is not judged, nor is one in a namespace where the
#   commit holds no workload at all, or an object of an API group that is not Kubernetes' own (an
#   operator's resource, a HelmRelease: they create pods the manifests do not show). The
#   selector's matchExpressions are matched too (In, NotIn, Exists, DoesNotExist). A manifest
#   without metadata.namespace counts as being in "default". The workloads carrying the
#   selector's rarest label are matched (at most 100; beyond, the check stays quiet).
# custom:
#   id: k8s/dangling-network-policy
#   severity: medium
#   remediation: Make the podSelector match the labels of the pods the policy is for, or remove the policy.
#   kinds: [NetworkPolicy]
#   scope: inventory
#   profiles: [correctness]
#   aliases:
#     kube-linter: dangling-networkpolicy
package tollgate.k8s.dangling_network_policy

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "NetworkPolicy"
	selector = input.spec.podSelector
	not data.tollgate.lib.inventory.custom_resources
	data.tollgate.lib.inventory.workload_count > 0
	inventory.pod_match(selector) == "none"
	result = {
		"msg": sprintf(
			"%s: podSelector %s matches the pods of no workload in namespace '%s'; the policy isolates nothing",
			[data.tollgate.lib.k8s.resource, json.marshal(selector), data.tollgate.lib.inventory.namespace],
		),
		"path": ["spec", "podSelector"],
	}
}
