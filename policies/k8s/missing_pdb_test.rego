package tollgate.k8s.missing_pdb_test

import rego.v1

import data.tollgate.k8s.missing_pdb

deploy(kind, replicas) := {
	"kind": kind,
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}},
}

pdb(selector) := {"kind": "PodDisruptionBudget", "name": "web", "namespace": "shop", "selector": selector}

hpa(kind, name, min) := {"kind": "HorizontalPodAutoscaler", "scale_target_ref": {"kind": kind, "name": name}, "min_replicas": min}

# The inventory's index of PodDisruptionBudget selectors, and of autoscalers by target.
budgets(objs) := {"selectors": {"shop": {"PodDisruptionBudget": [o.selector | some o in objs]}}}

autoscaled(targets) := {"scale_targets": {"shop": targets}}

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
		with data.tollgate.inventory as autoscaled({"Deployment": {"web": [hpa("Deployment", "web", 2)]}})
	findings == {{"msg": "Deployment/web: 2 replicas and no PodDisruptionBudget in namespace 'shop' selects its pods", "path": ["spec", "replicas"]}}
	count(missing_pdb.deny) == 0 with input as deploy("Deployment", null)
		with data.tollgate.inventory as autoscaled({
			"Deployment": {"web": [hpa("Deployment", "web", null)], "api": [hpa("Deployment", "api", 5)]},
			"StatefulSet": {"web": [hpa("StatefulSet", "web", 5)]},
		})
}
