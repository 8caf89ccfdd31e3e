package tollgate.k8s.custom_selinux_options_test

import rego.v1

import data.tollgate.k8s.custom_selinux_options

pod(pod_sc, container_sc) := {
	"kind": "Pod",
	"metadata": {"name": "p"},
	"spec": {"securityContext": pod_sc, "containers": [{"name": "app", "securityContext": container_sc}]},
}

test_allowed_types_pass if {
	findings := custom_selinux_options.deny with input as pod({"seLinuxOptions": {"type": "container_t", "level": "s0:c123,c456"}}, {"seLinuxOptions": {"type": "container_init_t", "user": ""}})
	count(findings) == 0
}

test_unset_passes if {
	findings := custom_selinux_options.deny with input as pod({}, {})
	count(findings) == 0
}

test_spc_t_fails if {
	findings := custom_selinux_options.deny with input as pod({"seLinuxOptions": {"type": "spc_t"}}, {})
	findings == {{
		"msg": "Pod/p: pod sets SELinux type spc_t (allowed: container_t, container_init_t, container_kvm_t, container_engine_t)",
		"path": ["spec", "securityContext", "seLinuxOptions", "type"],
	}}
}

test_user_and_role_fail if {
	findings := custom_selinux_options.deny with input as pod({}, {"seLinuxOptions": {"user": "system_u", "role": "system_r"}})
	findings == {
		{
			"msg": "Pod/p: container 'app' sets a custom SELinux user (system_u)",
			"path": ["spec", "containers", 0, "securityContext", "seLinuxOptions", "user"],
		},
		{
			"msg": "Pod/p: container 'app' sets a custom SELinux role (system_r)",
			"path": ["spec", "containers", 0, "securityContext", "seLinuxOptions", "role"],
		},
	}
}

test_container_engine_t_depends_on_version if {
	doc := pod({}, {"seLinuxOptions": {"type": "container_engine_t"}})
	count(custom_selinux_options.deny) == 0 with input as doc
	count(custom_selinux_options.deny) == 0 with input as doc with data.tollgate.params.kube_version as "v1.31.0"
	findings := custom_selinux_options.deny with input as doc with data.tollgate.params.kube_version as "1.30"
	findings == {{
		"msg": "Pod/p: container 'app' sets SELinux type container_engine_t (allowed: container_t, container_init_t, container_kvm_t)",
		"path": ["spec", "containers", 0, "securityContext", "seLinuxOptions", "type"],
	}}
}

test_bad_kube_version_means_latest if {
	doc := pod({}, {"seLinuxOptions": {"type": "container_engine_t"}})
	count(custom_selinux_options.deny) == 0 with input as doc with data.tollgate.params.kube_version as "latest"
}
