package tollgate.k8s.service_account_token_automount_test

import rego.v1

import data.tollgate.k8s.service_account_token_automount

job(spec) := {"kind": "Job", "metadata": {"name": "j", "namespace": "ops"}, "spec": {"template": {"spec": spec}}}

sa(name, automount) := {"kind": "ServiceAccount", "name": name, "automount_service_account_token": automount}

# The inventory's ServiceAccounts by name, and whether one of each name turns the token off.
inv(accounts) := {
	"names": {"ops": {"ServiceAccount": {name: [a | some a in accounts; a.name == name] |
		some b in accounts
		name := b.name
	}}},
	"automount_disabled": {"ops": {name: off |
		some b in accounts
		name := b.name
		off := count([a | some a in accounts; a.name == name; a.automount_service_account_token == false]) > 0
	}},
}

path := ["spec", "template", "spec", "automountServiceAccountToken"]

test_pod_opt_out_passes if {
	count(service_account_token_automount.deny) == 0 with input as job({"automountServiceAccountToken": false}) with data.tollgate.inventory as {}
	count(service_account_token_automount.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "s"}} with data.tollgate.inventory as {}
}

test_service_account_opt_out_passes if {
	count(service_account_token_automount.deny) == 0 with input as job({"serviceAccountName": "runner"})
		with data.tollgate.inventory as inv([sa("runner", false)])
	count(service_account_token_automount.deny) == 0 with input as job({})
		with data.tollgate.inventory as inv([sa("default", false)])
}

test_pod_true_fails_whatever_the_account if {
	findings := service_account_token_automount.deny with input as job({"automountServiceAccountToken": true, "serviceAccountName": "runner"})
		with data.tollgate.inventory as inv([sa("runner", false)])
	findings == {{"msg": "Job/j: pod sets automountServiceAccountToken to true, so its containers get an API token", "path": path}}
}

test_account_without_opt_out_fails if {
	findings := service_account_token_automount.deny with input as job({"serviceAccountName": "runner"})
		with data.tollgate.inventory as inv([sa("runner", null), sa("other", false)])
	findings == {{"msg": "Job/j: pods get an API token: automountServiceAccountToken is unset and ServiceAccount 'runner' does not set it to false", "path": path}}
}

test_account_not_in_commit_fails if {
	findings := service_account_token_automount.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {}}
		with data.tollgate.inventory as {}
	findings == {{
		"msg": "Pod/p: pods get an API token: automountServiceAccountToken is unset and ServiceAccount 'default' is not among the manifests of the commit to set it to false",
		"path": ["spec", "automountServiceAccountToken"],
	}}
}

test_one_opt_out_among_same_named_accounts_passes if {
	count(service_account_token_automount.deny) == 0 with input as job({"serviceAccountName": "runner"})
		with data.tollgate.inventory as inv([sa("runner", null), sa("runner", false)])
}
