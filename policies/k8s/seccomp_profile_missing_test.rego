package tollgate.k8s.seccomp_profile_missing_test

import rego.v1

import data.tollgate.k8s.seccomp_profile_missing

deployment(spec) := {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}}

runtime_default := {"seccompProfile": {"type": "RuntimeDefault"}}

test_pod_level_passes if {
	count(seccomp_profile_missing.deny) == 0 with input as deployment({"securityContext": runtime_default, "containers": [{"name": "a"}, {"name": "b"}]})
}

test_every_container_passes if {
	count(seccomp_profile_missing.deny) == 0 with input as deployment({"containers": [
		{"name": "a", "securityContext": runtime_default},
		{"name": "b", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "x.json"}}},
	]})
}

test_unset_everywhere_fails_once_at_pod if {
	findings := seccomp_profile_missing.deny with input as deployment({"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "a"}, {"name": "b", "securityContext": {}}]})
	findings == {{
		"msg": "Deployment/d: no seccomp profile is set, neither on the pod nor on its containers",
		"path": ["spec", "template", "spec", "securityContext", "seccompProfile"],
	}}
}

test_some_containers_unset_fail if {
	findings := seccomp_profile_missing.deny with input as deployment({
		"initContainers": [{"name": "i", "securityContext": {"seccompProfile": {"type": ""}}}],
		"containers": [{"name": "a", "securityContext": runtime_default}],
	})
	findings == {{
		"msg": "Deployment/d: init container 'i' has no seccomp profile (set neither on the container nor on the pod)",
		"path": ["spec", "template", "spec", "initContainers", 0, "securityContext", "seccompProfile"],
	}}
}

test_windows_pods_exempt if {
	doc := deployment({"os": {"name": "windows"}, "containers": [{"name": "a"}]})
	count(seccomp_profile_missing.deny) == 0 with input as doc
	count(seccomp_profile_missing.deny) == 1 with input as doc with data.tollgate.params.kube_version as "1.24"
}
