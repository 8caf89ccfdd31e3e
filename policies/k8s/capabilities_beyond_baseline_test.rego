package tollgate.k8s.capabilities_beyond_baseline_test

import rego.v1

import data.tollgate.k8s.capabilities_beyond_baseline

pod(containers) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

test_baseline_capabilities_pass if {
	findings := capabilities_beyond_baseline.deny with input as pod([
		{"name": "a", "securityContext": {"capabilities": {"add": ["CHOWN", "NET_BIND_SERVICE", "SYS_CHROOT"], "drop": ["ALL"]}}},
		{"name": "b", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
		{"name": "c"},
	])
	count(findings) == 0
}

test_net_raw_and_sys_time_fail if {
	findings := capabilities_beyond_baseline.deny with input as pod([{"name": "a", "securityContext": {"capabilities": {"add": ["CHOWN", "NET_RAW", "SYS_TIME"]}}}])
	findings == {
		{
			"msg": "Pod/p: container 'a' adds capability NET_RAW, which is outside the baseline set",
			"path": ["spec", "containers", 0, "securityContext", "capabilities", "add", 1],
		},
		{
			"msg": "Pod/p: container 'a' adds capability SYS_TIME, which is outside the baseline set",
			"path": ["spec", "containers", 0, "securityContext", "capabilities", "add", 2],
		},
	}
}

# Exact names, as PSA compares them: ALL and lowercase spellings are outside the set.
test_all_and_lowercase_fail if {
	findings := capabilities_beyond_baseline.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"name": "i", "securityContext": {"capabilities": {"add": ["ALL", "chown"]}}}]}}}}},
	}
	count(findings) == 2
	some f in findings
	f.path == ["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "capabilities", "add", 0]
}

test_malformed_add_is_ignored if {
	findings := capabilities_beyond_baseline.deny with input as pod([{"name": "a", "securityContext": {"capabilities": {"add": "NET_RAW"}}}])
	count(findings) == 0
}
