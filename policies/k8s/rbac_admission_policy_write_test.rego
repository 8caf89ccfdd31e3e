package tollgate.k8s.rbac_admission_policy_write_test

import rego.v1

import data.tollgate.k8s.rbac_admission_policy_write

role(kind, rules) := {"kind": kind, "metadata": {"name": "r"}, "rules": rules}

test_read_pass if {
	count(rbac_admission_policy_write.deny) == 0 with input as role("ClusterRole", [
		{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingadmissionpolicies"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingadmissionpolicies/status"], "verbs": ["update"]},
		{"apiGroups": [""], "resources": ["validatingadmissionpolicies"], "verbs": ["create"]},
	])
	count(rbac_admission_policy_write.deny) == 0 with input as role("Role", [
		{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingadmissionpolicies"], "verbs": ["delete"]},
	])
}

test_policy_write_fails if {
	findings := rbac_admission_policy_write.deny with input as role("ClusterRole", [
		{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingadmissionpolicies", "validatingadmissionpolicybindings"], "verbs": ["delete"]},
		{"apiGroups": ["*"], "resources": ["mutatingadmissionpolicies"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "ClusterRole/r: rule 0 can change validatingadmissionpolicies, disabling or rewriting admission control", "path": ["rules", 0, "resources", 0]},
		{"msg": "ClusterRole/r: rule 0 can change validatingadmissionpolicybindings, disabling or rewriting admission control", "path": ["rules", 0, "resources", 1]},
		{"msg": "ClusterRole/r: rule 1 can change mutatingadmissionpolicies, disabling or rewriting admission control", "path": ["rules", 1, "resources", 0]},
	}
}
