package tollgate.k8s.host_range_gid_test

import rego.v1

import data.tollgate.k8s.host_range_gid

deployment(pod_spec) := {"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"template": {"spec": pod_spec}}}

test_high_uid_and_unset_pass if {
	count(host_range_gid.deny) == 0 with input as deployment({"securityContext": {"runAsGroup": 10001}, "containers": [{"name": "a"}]})
	count(host_range_gid.deny) == 0 with input as deployment({"containers": [{"name": "a"}]})
	count(host_range_gid.deny) == 0 with input as deployment({"containers": [{"name": "a", "securityContext": {"runAsGroup": 65534}}]})
}

test_pod_level_low_uid_fails if {
	findings := host_range_gid.deny with input as deployment({"securityContext": {"runAsGroup": 1000}, "containers": [{"name": "a"}, {"name": "b"}]})
	findings == {{
		"msg": "Deployment/api: pod securityContext.runAsGroup is 1000, a GID in the node's range (10000 or below)",
		"path": ["spec", "template", "spec", "securityContext", "runAsGroup"],
	}}
}

test_container_level_low_uid_fails if {
	findings := host_range_gid.deny with input as deployment({
		"securityContext": {"runAsGroup": 20000},
		"initContainers": [{"name": "i", "securityContext": {"runAsGroup": 10000}}],
		"containers": [{"name": "a"}],
	})
	findings == {{
		"msg": "Deployment/api: init container 'i' securityContext.runAsGroup is 10000, a GID in the node's range (10000 or below)",
		"path": ["spec", "template", "spec", "initContainers", 0, "securityContext", "runAsGroup"],
	}}
}

# A pod-level GID every container overrides applies to nothing.
test_overridden_pod_level_passes if {
	findings := host_range_gid.deny with input as deployment({
		"securityContext": {"runAsGroup": 101},
		"containers": [{"name": "a", "securityContext": {"runAsGroup": 10001}}],
	})
	count(findings) == 0
}

# GID 0 is k8s/run-as-root-group's when that check runs.
test_root_left_to_run_as_user_root if {
	doc := deployment({"securityContext": {"runAsGroup": 0}, "containers": [{"name": "a"}]})
	count(host_range_gid.deny) == 1 with input as doc
	count(host_range_gid.deny) == 0 with input as doc with data.tollgate.selected as {"k8s/run-as-root-group": true}
	count(host_range_gid.deny) == 1 with input as deployment({"securityContext": {"runAsGroup": 5}, "containers": [{"name": "a"}]})
		with data.tollgate.selected as {"k8s/run-as-root-group": true}
}

test_user_namespace_and_windows_exempt if {
	count(host_range_gid.deny) == 0 with input as deployment({"hostUsers": false, "securityContext": {"runAsGroup": 1000}, "containers": [{"name": "a"}]})
	count(host_range_gid.deny) == 0 with input as deployment({"os": {"name": "windows"}, "containers": [{"name": "a", "securityContext": {"runAsGroup": 1000}}]})
}

test_malformed_passes if {
	count(host_range_gid.deny) == 0 with input as deployment({"securityContext": {"runAsGroup": "1000"}, "containers": [{"name": "a"}]})
	count(host_range_gid.deny) == 0 with input as deployment({"securityContext": "x", "containers": [{"name": "a", "securityContext": [1]}]})
}

test_pod_template_path if {
	findings := host_range_gid.deny with input as {"kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": {"containers": [{"name": "a", "securityContext": {"runAsGroup": 1}}]}}}
	[f.path | some f in findings] == [["template", "spec", "containers", 0, "securityContext", "runAsGroup"]]
}
