package tollgate.k8s.replica_count_out_of_range_test

import rego.v1

import data.tollgate.k8s.replica_count_out_of_range

deployment(replicas) := {"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": replicas}}

limits := {"replica_limits": {"min": 2, "max": 10}}

test_unset_parameter_passes if {
	count(replica_count_out_of_range.deny) == 0 with input as deployment(1)
}

test_in_range_passes if {
	count(replica_count_out_of_range.deny) == 0 with input as deployment(2) with data.tollgate.params as limits
	count(replica_count_out_of_range.deny) == 0 with input as deployment(10) with data.tollgate.params as limits
}

test_below_min_fails if {
	findings := replica_count_out_of_range.deny with input as deployment(1) with data.tollgate.params as limits
	findings == {{"msg": "Deployment/api: replicas is 1, below the min of 2 (replica_limits)", "path": ["spec", "replicas"]}}
}

test_above_max_fails if {
	findings := replica_count_out_of_range.deny with input as deployment(40) with data.tollgate.params as limits
	findings == {{"msg": "Deployment/api: replicas is 40, above the max of 10 (replica_limits)", "path": ["spec", "replicas"]}}
}

test_one_bound if {
	count(replica_count_out_of_range.deny) == 1 with input as deployment(0) with data.tollgate.params as {"replica_limits": {"min": 1}}
	count(replica_count_out_of_range.deny) == 0 with input as deployment(500) with data.tollgate.params as {"replica_limits": {"min": 1}}
}

test_unset_replicas_and_other_kinds_pass if {
	count(replica_count_out_of_range.deny) == 0 with input as {"kind": "Deployment", "metadata": {"name": "a"}, "spec": {}} with data.tollgate.params as limits
	count(replica_count_out_of_range.deny) == 0 with input as {"kind": "DaemonSet", "metadata": {"name": "a"}, "spec": {"replicas": 1}} with data.tollgate.params as limits
}

test_malformed_passes if {
	count(replica_count_out_of_range.deny) == 0 with input as deployment("1") with data.tollgate.params as limits
	count(replica_count_out_of_range.deny) == 0 with input as deployment(1) with data.tollgate.params as {"replica_limits": {"min": "2"}}
	count(replica_count_out_of_range.deny) == 0 with input as deployment(1) with data.tollgate.params as {"replica_limits": [2, 10]}
}
