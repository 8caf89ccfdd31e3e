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
#   without metadata.namespace counts as being in "default".
# custom:
#   id: k8s/missing-pdb
#   severity: medium
#   remediation: Add a PodDisruptionBudget (policy/v1) in the same namespace whose selector matches the pod template's labels, with maxUnavailable 1 or a minAvailable below the replica count.
#   kinds: [Deployment, StatefulSet]
#   scope: inventory
#   profiles: [extended]
#   aliases: {polaris: missingPodDisruptionBudget}
package tollgate.k8s.missing_pdb

import rego.v1

import data.tollgate.lib.inventory
deny contains result if {
	input.kind in {"Deployment", "StatefulSet"}
	count(replica_counts) > 0
	replicas = max(replica_counts)
	replicas > 1
	not budgeted
	result = {
		"msg": sprintf(
			"%s: %v replicas and no PodDisruptionBudget in namespace '%s' selects its pods",
			[data.tollgate.lib.k8s.resource, replicas, data.tollgate.lib.inventory.namespace],
		),
		"path": ["spec", "replicas"],
	}
}

replica_counts contains n if {
	n = input.spec.replicas
	is_number(n)
}

# A HorizontalPodAutoscaler sets the replica count of its target (minReplicas defaults to 1).
replica_counts contains n if {
	some hpa in data.tollgate.lib.inventory.autoscalers
	n = min_replicas(hpa)
}

min_replicas(hpa) := n if {
	n = hpa.min_replicas
	is_number(n)
} else := 1

budgeted if {
	some selector in inventory.selectors("PodDisruptionBudget")
	inventory.selects(selector, data.tollgate.lib.inventory.pod_labels)
}
