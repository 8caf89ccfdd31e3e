package tollgate.k8s.run_as_root_allowed_test

import rego.v1

import data.tollgate.k8s.run_as_root_allowed

statefulset(pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": "StatefulSet",
	"metadata": {"name": "db"},
	"spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"spec": pod_spec}},
}

test_pod_level_true_passes if {
	findings := run_as_root_allowed.deny with input as statefulset({
		"securityContext": {"runAsNonRoot": true},
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "db"}, {"name": "exporter", "securityContext": {"runAsNonRoot": true}}],
	})
	count(findings) == 0
}

test_container_level_true_passes if {
	findings := run_as_root_allowed.deny with input as statefulset({"containers": [{"name": "db", "securityContext": {"runAsNonRoot": true}}]})
	count(findings) == 0
}

test_container_level_true_overrides_pod_false if {
	findings := run_as_root_allowed.deny with input as statefulset({
		"securityContext": {"runAsNonRoot": false},
		"containers": [{"name": "db", "securityContext": {"runAsNonRoot": true}}],
	})
	count(findings) == 0
}

test_unset_everywhere_fails_on_the_container if {
	findings := run_as_root_allowed.deny with input as statefulset({"containers": [{"name": "db"}]})
	findings == {{
		"msg": "StatefulSet/db: container 'db' may run as root (runAsNonRoot is set neither on the container nor on the pod)",
		"path": ["spec", "template", "spec", "containers", 0, "securityContext", "runAsNonRoot"],
	}}
}

test_container_false_overrides_pod_true if {
	findings := run_as_root_allowed.deny with input as statefulset({
		"securityContext": {"runAsNonRoot": true},
		"containers": [{"name": "db", "securityContext": {"runAsNonRoot": false}}],
	})
	findings == {{
		"msg": "StatefulSet/db: container 'db' may run as root (its securityContext.runAsNonRoot is false)",
		"path": ["spec", "template", "spec", "containers", 0, "securityContext", "runAsNonRoot"],
	}}
}

test_pod_false_is_reported_at_the_pod_field if {
	findings := run_as_root_allowed.deny with input as statefulset({
		"securityContext": {"runAsNonRoot": false},
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "db"}],
	})
	findings == {
		{
			"msg": "StatefulSet/db: init container 'init' may run as root (the pod securityContext.runAsNonRoot is false)",
			"path": ["spec", "template", "spec", "securityContext", "runAsNonRoot"],
		},
		{
			"msg": "StatefulSet/db: container 'db' may run as root (the pod securityContext.runAsNonRoot is false)",
			"path": ["spec", "template", "spec", "securityContext", "runAsNonRoot"],
		},
	}
}

# runAsUser: 1000 alone does not satisfy the check (PSS requires runAsNonRoot).
test_run_as_user_alone_fails if {
	findings := run_as_root_allowed.deny with input as statefulset({
		"securityContext": {"runAsUser": 1000},
		"containers": [{"name": "db"}],
	})
	count(findings) == 1
}

test_ephemeral_container_fails if {
	findings := run_as_root_allowed.deny with input as {
		"kind": "Pod",
		"metadata": {"name": "web"},
		"spec": {
			"securityContext": {"runAsNonRoot": true},
			"containers": [{"name": "web"}],
			"ephemeralContainers": [{"name": "debug", "securityContext": {"runAsNonRoot": false}}],
		},
	}
	findings == {{
		"msg": "Pod/web: ephemeral container 'debug' may run as root (its securityContext.runAsNonRoot is false)",
		"path": ["spec", "ephemeralContainers", 0, "securityContext", "runAsNonRoot"],
	}}
}

test_cronjob_fails if {
	findings := run_as_root_allowed.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "backup"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "b"}]}}}}},
	}
	findings == {{
		"msg": "CronJob/backup: container 'b' may run as root (runAsNonRoot is set neither on the container nor on the pod)",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "runAsNonRoot"],
	}}
}

test_user_namespace_exempt_from_1_35 if {
	doc := {"kind": "Pod", "metadata": {"name": "userns"}, "spec": {"hostUsers": false, "containers": [{"name": "a"}]}}
	count(run_as_root_allowed.deny) == 0 with input as doc
	count(run_as_root_allowed.deny) == 1 with input as doc with data.tollgate.params.kube_version as "1.34"
	count(run_as_root_allowed.deny) == 1 with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostUsers": true, "containers": [{"name": "a"}]}}
}
