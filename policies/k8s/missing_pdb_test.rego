package tollgate.k8s.missing_pdb_test

import rego.v1

import data.tollgate.k8s.missing_pdb

deploy(kind, replicas) := {
	"kind": kind,
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}},
}

pdb(selector) := {"kind": "PodDisruptionBudget", "name": "web", "namespace": "shop", "selector": selector}

# The inventory's index of PodDisruptionBudget selectors (every one in "all"), and the largest
# minReplicas of the autoscalers by target.
budgets(objs) := {"selector_index": {"shop": {"PodDisruptionBudget": {"all": [o.selector | some o in objs]}}}}

autoscaled(targets) := {"min_replicas": {"shop": targets}}

test_replicated_without_budget_fails if {
	findings := missing_pdb.deny with input as deploy("Deployment", 3) with data.tollgate.inventory as {}
	findings == {{"msg": "Deployment/web: 3 replicas and no PodDisruptionBudget in namespace 'shop' selects its pods", "path": ["spec", "replicas"]}}
	count(missing_pdb.deny) == 1 with input as deploy("StatefulSet", 2)
		with data.tollgate.inventory as budgets([pdb({"matchLabels": {"app": "db"}}), pdb(null)])
}

test_matching_budget_passes if {
	count(missing_pdb.deny) == 0 with input as deploy("Deployment", 3)
		with data.tollgate.inventory as budgets([pdb({"matchLabels": {"app": "web"}})])
	count(missing_pdb.deny) == 0 with input as deploy("StatefulSet", 3) with data.tollgate.inventory as budgets([pdb({})])
}

test_single_replica_passes if {
	count(missing_pdb.deny) == 0 with input as deploy("Deployment", 1) with data.tollgate.inventory as {}
	count(missing_pdb.deny) == 0 with input as deploy("Deployment", "3") with data.tollgate.inventory as {}
	count(missing_pdb.deny) == 0 with input as {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {}} with data.tollgate.inventory as {}
	count(missing_pdb.deny) == 0 with input as deploy("DaemonSet", 3) with data.tollgate.inventory as {}
}

test_autoscaler_min_replicas_count if {
	findings := missing_pdb.deny with input as deploy("Deployment", null)
		with data.tollgate.inventory as autoscaled({"Deployment": {"web": 2}})
	findings == {{"msg": "Deployment/web: 2 replicas and no PodDisruptionBudget in namespace 'shop' selects its pods", "path": ["spec", "replicas"]}}
	count(missing_pdb.deny) == 0 with input as deploy("Deployment", null)
		with data.tollgate.inventory as autoscaled({"Deployment": {"web": 1, "api": 5}, "StatefulSet": {"web": 5}})
	# The larger of spec.replicas and the autoscalers' count.
	findings_max := missing_pdb.deny with input as deploy("Deployment", 3)
		with data.tollgate.inventory as autoscaled({"Deployment": {"web": 7}})
	findings_max == {{"msg": "Deployment/web: 7 replicas and no PodDisruptionBudget in namespace 'shop' selects its pods", "path": ["spec", "replicas"]}}
}

test_more_candidates_than_the_bound_is_undecided if {
	decoys := [{"matchLabels": {"app": "web", "decoy": sprintf("d%d", [i])}} | some i in numbers.range(1, 101)]
	findings := missing_pdb.deny with input as deploy("Deployment", 3)
		with data.tollgate.inventory as {"selector_index": {"shop": {"PodDisruptionBudget": {"labels": {"app": {"web": decoys}}}}}}
	findings == {{
		"msg": "Deployment/web: 3 replicas and tollgate cannot tell whether a PodDisruptionBudget in namespace 'shop' selects its pods: 101 distinct selectors there could, more than the 100 it matches against one workload",
		"path": ["spec", "replicas"],
	}}
	count(missing_pdb.deny) == 0 with input as deploy("Deployment", 3)
		with data.tollgate.inventory as {"selector_index": {"shop": {"PodDisruptionBudget": {"labels": {"app": {"web": decoys}}, "all": [{}]}}}}
}
