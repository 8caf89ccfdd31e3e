package tollgate.k8s.run_as_user_root_test

import rego.v1

import data.tollgate.k8s.run_as_user_root

pod(pod_sc, container_sc) := {"kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": {"securityContext": pod_sc, "initContainers": [{"name": "i", "securityContext": container_sc}]}}}

test_non_zero_passes if {
	count(run_as_user_root.deny) == 0 with input as pod({"runAsUser": 1000}, {"runAsUser": 10001})
	count(run_as_user_root.deny) == 0 with input as pod({}, {})
}

test_zero_fails if {
	findings := run_as_user_root.deny with input as pod({"runAsUser": 0}, {"runAsUser": 0})
	findings == {
		{
			"msg": "PodTemplate/t: pod securityContext.runAsUser is 0 (root)",
			"path": ["template", "spec", "securityContext", "runAsUser"],
		},
		{
			"msg": "PodTemplate/t: init container 'i' securityContext.runAsUser is 0 (root)",
			"path": ["template", "spec", "initContainers", 0, "securityContext", "runAsUser"],
		},
	}
}
