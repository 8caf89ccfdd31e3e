package tollgate.k8s.privilege_escalation_allowed_test

import rego.v1

import data.tollgate.k8s.privilege_escalation_allowed

pod(pod_spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": pod_spec}

test_explicit_false_passes if {
	findings := privilege_escalation_allowed.deny with input as pod({
		"initContainers": [{"name": "init", "securityContext": {"allowPrivilegeEscalation": false}}],
		"containers": [{"name": "app", "securityContext": {"allowPrivilegeEscalation": false}}],
	})
	count(findings) == 0
}

test_explicit_true_fails if {
	findings := privilege_escalation_allowed.deny with input as pod({"containers": [{"name": "app", "securityContext": {"allowPrivilegeEscalation": true}}]})
	findings == {{
		"msg": "Pod/web: container 'app' allows privilege escalation (securityContext.allowPrivilegeEscalation is not false)",
		"path": ["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"],
	}}
}

test_unset_fails_with_path_of_missing_field if {
	findings := privilege_escalation_allowed.deny with input as pod({"containers": [{"name": "app"}]})
	findings == {{
		"msg": "Pod/web: container 'app' allows privilege escalation (securityContext.allowPrivilegeEscalation is not false)",
		"path": ["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"],
	}}
}

# There is no pod-level allowPrivilegeEscalation: a pod securityContext does not help.
test_pod_level_setting_is_not_inherited if {
	findings := privilege_escalation_allowed.deny with input as pod({
		"securityContext": {"allowPrivilegeEscalation": false},
		"containers": [{"name": "app"}],
	})
	count(findings) == 1
}

test_init_container_fails if {
	findings := privilege_escalation_allowed.deny with input as {
		"kind": "Job",
		"metadata": {"name": "migrate"},
		"spec": {"template": {"spec": {
			"initContainers": [{"name": "wait"}],
			"containers": [{"name": "migrate", "securityContext": {"allowPrivilegeEscalation": false}}],
		}}},
	}
	findings == {{
		"msg": "Job/migrate: init container 'wait' allows privilege escalation (securityContext.allowPrivilegeEscalation is not false)",
		"path": ["spec", "template", "spec", "initContainers", 0, "securityContext", "allowPrivilegeEscalation"],
	}}
}

test_cronjob_fails if {
	findings := privilege_escalation_allowed.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "report"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "r"}]}}}}},
	}
	findings == {{
		"msg": "CronJob/report: container 'r' allows privilege escalation (securityContext.allowPrivilegeEscalation is not false)",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"],
	}}
}

test_windows_pods_exempt_from_1_25 if {
	doc := {"kind": "Pod", "metadata": {"name": "win"}, "spec": {"os": {"name": "windows"}, "containers": [{"name": "a"}]}}
	count(privilege_escalation_allowed.deny) == 0 with input as doc
	count(privilege_escalation_allowed.deny) == 1 with input as doc with data.tollgate.params.kube_version as "1.24"
}
