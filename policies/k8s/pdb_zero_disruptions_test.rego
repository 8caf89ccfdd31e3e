package tollgate.k8s.pdb_zero_disruptions_test

import rego.v1

import data.tollgate.k8s.pdb_zero_disruptions

pdb(spec) := {"kind": "PodDisruptionBudget", "metadata": {"name": "web"}, "spec": spec}

test_some_disruption_passes if {
	count(pdb_zero_disruptions.deny) == 0 with input as pdb({"maxUnavailable": 1})
	count(pdb_zero_disruptions.deny) == 0 with input as pdb({"minAvailable": "50%"})
	count(pdb_zero_disruptions.deny) == 0 with input as pdb({"minAvailable": 2})
}

test_zero_disruptions_fail if {
	findings := pdb_zero_disruptions.deny with input as pdb({"maxUnavailable": 0})
	findings == {{"msg": "PodDisruptionBudget/web: maxUnavailable is 0, so no pod can ever be evicted", "path": ["spec", "maxUnavailable"]}}
	count(pdb_zero_disruptions.deny) == 1 with input as pdb({"maxUnavailable": "0%"})
	findings2 := pdb_zero_disruptions.deny with input as pdb({"minAvailable": "100%"})
	findings2 == {{"msg": "PodDisruptionBudget/web: minAvailable is 100%, so no pod can ever be evicted", "path": ["spec", "minAvailable"]}}
}
