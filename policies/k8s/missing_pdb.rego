# METADATA
# title: Replicated workload without a PodDisruptionBudget
# description: |
#   Flags Deployments and StatefulSets that run more than one replica (spec.replicas above 1, or
#   a HorizontalPodAutoscaler of the commit that targets them with minReplicas above 1) when no
#   PodDisruptionBudget of their namespace, among the manifests of the commit, selects their pod
#   template's labels (a cross-resource check: it reads the commit's inventory). Without one, a
#   node drain or cluster upgrade may evict every replica at once. An unset spec.replicas (one
#   replica) without such an autoscaler is not flagged. PodDisruptionBudget selectors follow
#   policy/v1: `{}` selects every pod of the namespace, a missing selector none. A manifest
#   without metadata.namespace counts as being in "default". When more than 100 distinct
#   selectors of the namespace could select the pods, the check reports that it cannot tell
#   instead of matching them all (a bound on the work per workload).
# custom:
#   id: k8s/missing-pdb
#   severity: medium
#   remediation: Add a PodDisruptionBudget (policy/v1) in the same namespace whose selector matches the pod template's labels, with maxUnavailable 1 or a minAvailable below the replica count.
#   kinds: [Deployment, StatefulSet]
#   scope: inventory
#   profiles: [extended]
#   aliases: {polaris: missingPodDisruptionBudget, kyverno: require-pdb}
package tollgate.k8s.missing_pdb

import rego.v1

import data.tollgate.lib.inventory
deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind in {"Deployment", "StatefulSet"}
	count(replica_counts) > 0
	replicas = max(replica_counts)
	replicas > 1
	data.tollgate.k8s.missing_pdb.selection == "unselected"
	result = {
		"msg": sprintf(
			"%s: %v replicas and no PodDisruptionBudget in namespace '%s' selects its pods",
			[data.tollgate.lib.k8s.resource, replicas, data.tollgate.lib.inventory.namespace],
		),
		"path": ["spec", "replicas"],
	}
}

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind in {"Deployment", "StatefulSet"}
	count(replica_counts) > 0
	replicas = max(replica_counts)
	replicas > 1
	data.tollgate.k8s.missing_pdb.selection == "undecided"
	result = {
		"msg": sprintf(
			"%s: %v replicas and tollgate cannot tell whether a PodDisruptionBudget in namespace '%s' selects its pods: %d distinct selectors there could, more than the %d it matches against one workload",
			[
				data.tollgate.lib.k8s.resource, replicas, data.tollgate.lib.inventory.namespace,
				inventory.candidate_count("PodDisruptionBudget", data.tollgate.lib.inventory.pod_labels),
				data.tollgate.lib.inventory.max_candidates,
			],
		),
		"path": ["spec", "replicas"],
	}
}

replica_counts contains n if {
	n = input.spec.replicas
	is_number(n)
}

# The HorizontalPodAutoscalers that target it set its replica count (the inventory keeps the
# largest minReplicas among them; minReplicas defaults to 1).
replica_counts contains n if {
	n = data.tollgate.lib.inventory.autoscaler_min_replicas
}

# policy/v1: a null selector selects nothing.
selection := inventory.selection("PodDisruptionBudget", data.tollgate.lib.inventory.pod_labels, null)
