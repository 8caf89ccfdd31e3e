package tollgate.k8s.privileged_group_binding_test

import rego.v1

import data.tollgate.k8s.privileged_group_binding

binding(subjects) := {"kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "subjects": subjects}

test_named_subjects_pass if {
	count(privileged_group_binding.deny) == 0 with input as binding([
		{"kind": "ServiceAccount", "name": "ci", "namespace": "ci"},
		{"kind": "Group", "name": "platform-team"},
		{"kind": "User", "name": "alice@example.com"},
	])
}

test_privileged_groups_fail if {
	findings := privileged_group_binding.deny with input as binding([
		{"kind": "ServiceAccount", "name": "ci", "namespace": "ci"},
		{"kind": "Group", "name": "system:masters"},
		{"kind": "User", "name": "system:anonymous"},
	])
	findings == {
		{"msg": "ClusterRoleBinding/b: binds Group system:masters", "path": ["subjects", 1, "name"]},
		{"msg": "ClusterRoleBinding/b: binds User system:anonymous", "path": ["subjects", 2, "name"]},
	}
}
