package tollgate.k8s.writable_root_filesystem_test

import rego.v1

import data.tollgate.k8s.writable_root_filesystem

daemonset(pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "agent"},
	"spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"spec": pod_spec}},
}

test_read_only_passes if {
	findings := writable_root_filesystem.deny with input as daemonset({
		"initContainers": [{"name": "init", "securityContext": {"readOnlyRootFilesystem": true}}],
		"containers": [{"name": "agent", "securityContext": {"readOnlyRootFilesystem": true}}],
	})
	count(findings) == 0
}

test_false_fails if {
	findings := writable_root_filesystem.deny with input as daemonset({"containers": [{"name": "agent", "securityContext": {"readOnlyRootFilesystem": false}}]})
	findings == {{
		"msg": "DaemonSet/agent: container 'agent' has a writable root filesystem (securityContext.readOnlyRootFilesystem is not true)",
		"path": ["spec", "template", "spec", "containers", 0, "securityContext", "readOnlyRootFilesystem"],
	}}
}

test_unset_fails if {
	findings := writable_root_filesystem.deny with input as daemonset({"containers": [{"name": "agent", "securityContext": {"runAsNonRoot": true}}]})
	findings == {{
		"msg": "DaemonSet/agent: container 'agent' has a writable root filesystem (securityContext.readOnlyRootFilesystem is not true)",
		"path": ["spec", "template", "spec", "containers", 0, "securityContext", "readOnlyRootFilesystem"],
	}}
}

# A string "true" is not the boolean true (the API server would reject it anyway).
test_string_true_fails if {
	findings := writable_root_filesystem.deny with input as daemonset({"containers": [{"name": "agent", "securityContext": {"readOnlyRootFilesystem": "true"}}]})
	count(findings) == 1
}

test_init_container_fails if {
	findings := writable_root_filesystem.deny with input as daemonset({
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "agent", "securityContext": {"readOnlyRootFilesystem": true}}],
	})
	findings == {{
		"msg": "DaemonSet/agent: init container 'init' has a writable root filesystem (securityContext.readOnlyRootFilesystem is not true)",
		"path": ["spec", "template", "spec", "initContainers", 0, "securityContext", "readOnlyRootFilesystem"],
	}}
}

test_replication_controller_fails if {
	findings := writable_root_filesystem.deny with input as {
		"kind": "ReplicationController",
		"metadata": {"name": "legacy"},
		"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}},
	}
	count(findings) == 1
}
