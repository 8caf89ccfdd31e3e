package tollgate.k8s.unmasked_proc_mount_user_namespace_test

import rego.v1

import data.tollgate.k8s.unmasked_proc_mount_user_namespace

pod(host_users, proc_mount) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostUsers": host_users, "containers": [{"name": "a", "securityContext": {"procMount": proc_mount}}]}}

test_default_passes if {
	count(unmasked_proc_mount_user_namespace.deny) == 0 with input as pod(false, "Default")
}

test_host_users_left_to_baseline_check if {
	count(unmasked_proc_mount_user_namespace.deny) == 0 with input as pod(true, "Unmasked")
	count(unmasked_proc_mount_user_namespace.deny) == 0 with input as pod(false, "Unmasked") with data.tollgate.params.kube_version as "1.34"
}

test_unmasked_in_user_namespace_fails if {
	findings := unmasked_proc_mount_user_namespace.deny with input as pod(false, "Unmasked")
	findings == {{
		"msg": "Pod/p: container 'a' sets procMount Unmasked in a user namespace (restricted allows only Default)",
		"path": ["spec", "containers", 0, "securityContext", "procMount"],
	}}
}
