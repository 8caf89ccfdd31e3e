package tollgate.k8s.rbac_privilege_escalation_test

import rego.v1

import data.tollgate.k8s.rbac_privilege_escalation

role(rules) := {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}

test_plain_rules_pass if {
	count(rbac_privilege_escalation.deny) == 0 with input as role([
		{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["get", "list"]},
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]},
	])
}

test_escalate_fails if {
	findings := rbac_privilege_escalation.deny with input as role([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["get", "escalate"]}])
	findings == {{"msg": "ClusterRole/r: rule 0 grants the escalate verb", "path": ["rules", 0, "verbs", 1]}}
}

test_binding_write_and_star_verbs_fail if {
	findings := rbac_privilege_escalation.deny with input as role([
		{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]},
		{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["*"]},
	])
	findings == {
		{"msg": "ClusterRole/r: rule 0 can write rolebindings", "path": ["rules", 0, "resources", 0]},
		{"msg": "ClusterRole/r: rule 1 grants the * verb", "path": ["rules", 1, "verbs", 0]},
	}
}

test_star_verbs_on_star_resources_reported_once if {
	findings := rbac_privilege_escalation.deny with input as role([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	findings == {{"msg": "ClusterRole/r: rule 0 can write *", "path": ["rules", 0, "resources", 0]}}
}
