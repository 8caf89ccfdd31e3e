package tollgate.k8s.capabilities_not_dropped_test

import rego.v1

import data.tollgate.k8s.capabilities_not_dropped

deployment(containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api"},
	"spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"spec": {"containers": containers}}},
}

test_drop_all_passes if {
	findings := capabilities_not_dropped.deny with input as deployment([
		{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
		{"name": "b", "securityContext": {"capabilities": {"drop": ["NET_RAW", "ALL"], "add": ["NET_BIND_SERVICE"]}}},
	])
	count(findings) == 0
}

# Same leniency as the reference policy: the case of ALL is not significant.
test_lowercase_all_passes if {
	findings := capabilities_not_dropped.deny with input as deployment([{"name": "a", "securityContext": {"capabilities": {"drop": ["all"]}}}])
	count(findings) == 0
}

test_partial_drop_fails if {
	findings := capabilities_not_dropped.deny with input as deployment([{"name": "api", "securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}])
	findings == {{
		"msg": "Deployment/api: container 'api' does not drop ALL capabilities",
		"path": ["spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "drop"],
	}}
}

test_missing_drop_fails if {
	findings := capabilities_not_dropped.deny with input as deployment([
		{"name": "a"},
		{"name": "b", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}},
	])
	findings == {
		{
			"msg": "Deployment/api: container 'a' does not drop ALL capabilities",
			"path": ["spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "drop"],
		},
		{
			"msg": "Deployment/api: container 'b' does not drop ALL capabilities",
			"path": ["spec", "template", "spec", "containers", 1, "securityContext", "capabilities", "drop"],
		},
	}
}

test_malformed_drop_fails_without_error if {
	findings := capabilities_not_dropped.deny with input as deployment([
		{"name": "a", "securityContext": {"capabilities": {"drop": "ALL"}}},
		{"name": "b", "securityContext": {"capabilities": {"drop": [1, null]}}},
	])
	count(findings) == 2
}

test_init_container_fails if {
	findings := capabilities_not_dropped.deny with input as {
		"kind": "Pod",
		"metadata": {"name": "p"},
		"spec": {
			"initContainers": [{"name": "init"}],
			"containers": [{"name": "app", "securityContext": {"capabilities": {"drop": ["ALL"]}}}],
		},
	}
	findings == {{
		"msg": "Pod/p: init container 'init' does not drop ALL capabilities",
		"path": ["spec", "initContainers", 0, "securityContext", "capabilities", "drop"],
	}}
}

test_cronjob_fails if {
	findings := capabilities_not_dropped.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}},
	}
	count(findings) == 1
}

test_add_beyond_net_bind_service_fails if {
	findings := capabilities_not_dropped.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CHOWN"]}}}]}}
	findings == {{
		"msg": "Pod/p: container 'a' adds capability CHOWN (the restricted level allows only NET_BIND_SERVICE)",
		"path": ["spec", "containers", 0, "securityContext", "capabilities", "add", 1],
	}}
}

test_windows_pods_exempt_from_1_25 if {
	doc := {"kind": "Pod", "metadata": {"name": "win"}, "spec": {"os": {"name": "windows"}, "containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["CHOWN"]}}}]}}
	count(capabilities_not_dropped.deny) == 0 with input as doc
	count(capabilities_not_dropped.deny) == 2 with input as doc with data.tollgate.params.kube_version as "1.24"
}
