package tollgate.k8s.stdin_tty_test

import rego.v1

import data.tollgate.k8s.stdin_tty

pod(spec) := {"kind": "Pod", "metadata": {"name": "shell"}, "spec": spec}

test_unset_and_false_pass if {
	count(stdin_tty.deny) == 0 with input as pod({"containers": [{"name": "a"}, {"name": "b", "stdin": false, "tty": false}]})
}

test_stdin_and_tty_fail_each if {
	findings := stdin_tty.deny with input as pod({"containers": [{"name": "a", "stdin": true, "tty": true}]})
	findings == {
		{"msg": "Pod/shell: container 'a' sets stdin: true", "path": ["spec", "containers", 0, "stdin"]},
		{"msg": "Pod/shell: container 'a' sets tty: true", "path": ["spec", "containers", 0, "tty"]},
	}
}

test_init_container_fails_ephemeral_passes if {
	findings := stdin_tty.deny with input as pod({
		"initContainers": [{"name": "i", "tty": true}],
		"ephemeralContainers": [{"name": "debugger", "stdin": true, "tty": true}],
	})
	findings == {{"msg": "Pod/shell: init container 'i' sets tty: true", "path": ["spec", "initContainers", 0, "tty"]}}
}

test_statefulset_path if {
	findings := stdin_tty.deny with input as {
		"kind": "StatefulSet",
		"metadata": {"name": "s"},
		"spec": {"template": {"spec": {"containers": [{"name": "a", "stdinOnce": true, "stdin": true}]}}},
	}
	[f.path | some f in findings] == [["spec", "template", "spec", "containers", 0, "stdin"]]
}

# A string "true" is a schema error, not a terminal.
test_non_boolean_passes if {
	count(stdin_tty.deny) == 0 with input as pod({"containers": [{"name": "a", "stdin": "true"}]})
}
