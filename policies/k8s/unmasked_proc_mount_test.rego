package tollgate.k8s.unmasked_proc_mount_test

import rego.v1

import data.tollgate.k8s.unmasked_proc_mount

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

test_default_passes if {
	findings := unmasked_proc_mount.deny with input as pod({"containers": [
		{"name": "a", "securityContext": {"procMount": "Default"}},
		{"name": "b"},
	]})
	count(findings) == 0
}

test_unmasked_fails if {
	findings := unmasked_proc_mount.deny with input as pod({"initContainers": [{"name": "i", "securityContext": {"procMount": "Unmasked"}}], "containers": [{"name": "a"}]})
	findings == {{
		"msg": "Pod/p: init container 'i' sets procMount Unmasked (only Default is allowed)",
		"path": ["spec", "initContainers", 0, "securityContext", "procMount"],
	}}
}

test_user_namespace_exempt_from_1_35 if {
	doc := pod({"hostUsers": false, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]})
	count(unmasked_proc_mount.deny) == 0 with input as doc
	count(unmasked_proc_mount.deny) == 1 with input as doc with data.tollgate.params.kube_version as "1.34"
}

test_host_users_true_fails if {
	doc := pod({"hostUsers": true, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]})
	count(unmasked_proc_mount.deny) == 1 with input as doc
}
