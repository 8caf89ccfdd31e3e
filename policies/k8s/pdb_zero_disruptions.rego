# METADATA
# title: PodDisruptionBudget allows no disruption
# description: |
#   Flags PodDisruptionBudgets with maxUnavailable 0 (or "0%") or minAvailable "100%". Such a
#   budget never allows a voluntary eviction, so node drains, cluster upgrades and autoscaler
#   scale-downs hang until someone deletes it. (A minAvailable equal to the workload's replica
#   count has the same effect; that comparison needs the workload and is not made here.)
# custom:
#   id: k8s/pdb-zero-disruptions
#   severity: medium
#   remediation: Set maxUnavailable to 1 (or a percentage that rounds to at least one pod), or minAvailable below the replica count.
#   kinds: [PodDisruptionBudget]
#   profiles: [extended]
#   aliases:
#     kube-linter: [pdb-max-unavailable, pdb-min-available]
#     polaris: pdbDisruptionsIsZero
#     kyverno: [pdb-maxunavailable, pdb-maxunavailable-with-deployments, require-reasonable-pdbs]
#     gatekeeper: k8spoddisruptionbudget
package tollgate.k8s.pdb_zero_disruptions

import rego.v1

deny contains result if {
	input.kind == "PodDisruptionBudget"
	input.spec.maxUnavailable in {0, "0", "0%"}
	result = {
		"msg": sprintf("%s: maxUnavailable is %v, so no pod can ever be evicted", [data.tollgate.lib.k8s.resource, input.spec.maxUnavailable]),
		"path": ["spec", "maxUnavailable"],
	}
}

deny contains result if {
	input.kind == "PodDisruptionBudget"
	input.spec.minAvailable == "100%"
	result = {
		"msg": sprintf("%s: minAvailable is 100%%, so no pod can ever be evicted", [data.tollgate.lib.k8s.resource]),
		"path": ["spec", "minAvailable"],
	}
}
