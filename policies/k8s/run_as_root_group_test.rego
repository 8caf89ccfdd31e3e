package tollgate.k8s.run_as_root_group_test

import rego.v1

import data.tollgate.k8s.run_as_root_group

pod(pod_sc, container_sc) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"securityContext": pod_sc, "containers": [{"name": "a", "securityContext": container_sc}]}}

test_non_zero_groups_pass if {
	count(run_as_root_group.deny) == 0 with input as pod({"runAsGroup": 3000, "fsGroup": 2000, "supplementalGroups": [4000]}, {"runAsGroup": 3000})
	count(run_as_root_group.deny) == 0 with input as pod({}, {})
}

test_zero_groups_fail if {
	findings := run_as_root_group.deny with input as pod({"runAsGroup": 0, "fsGroup": 0, "supplementalGroups": [10, 0]}, {"runAsGroup": 0})
	findings == {
		{"msg": "Pod/p: pod securityContext.runAsGroup is 0 (root group)", "path": ["spec", "securityContext", "runAsGroup"]},
		{"msg": "Pod/p: pod securityContext.fsGroup is 0 (root group)", "path": ["spec", "securityContext", "fsGroup"]},
		{"msg": "Pod/p: pod securityContext.supplementalGroups contains 0 (root group)", "path": ["spec", "securityContext", "supplementalGroups", 1]},
		{"msg": "Pod/p: container 'a' securityContext.runAsGroup is 0 (root group)", "path": ["spec", "containers", 0, "securityContext", "runAsGroup"]},
	}
}
