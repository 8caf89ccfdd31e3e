package tollgate.k8s.missing_network_policy_test

import rego.v1

import data.tollgate.k8s.missing_network_policy

deploy(ns, labels, spec) := {
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"labels": labels}, "spec": spec}},
}

netpol(ns, selector) := {"kind": "NetworkPolicy", "name": "np", "namespace": ns, "pod_selector": selector}

# The inventory's index of NetworkPolicy selectors in a namespace, every selector in its "all"
# list (a valid index: it only costs more matching than filing them by label).
inv(ns, policies) := {"selector_index": {ns: {"NetworkPolicy": {"all": [p.pod_selector | some p in policies]}}}}

# An index as tollgate files the selectors: by a label or key that the selected pods must have.
indexed(index) := {"selector_index": {"shop": {"NetworkPolicy": index}}}

# n distinct selectors that ask for app=web and for a label no pod has.
decoys(n) := [{"matchLabels": {"app": "web", "decoy": sprintf("d%d", [i])}} | some i in numbers.range(1, n)]

finding := {
	"msg": "Deployment/web: no NetworkPolicy in namespace 'shop' selects its pods",
	"path": ["spec", "template", "metadata", "labels"],
}

test_namespace_without_policies_fails if {
	missing_network_policy.deny == {finding} with input as deploy("shop", {"app": "web"}, {}) with data.tollgate.inventory as {}
	missing_network_policy.deny == {finding} with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as inv("other", [netpol("other", {})])
}

test_empty_pod_selector_covers_the_namespace if {
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as inv("shop", [netpol("shop", {})])
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {}, {})
		with data.tollgate.inventory as inv("shop", [netpol("shop", null)])
}

test_selector_must_match_pod_labels if {
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as inv("shop", [netpol("shop", {"matchLabels": {"app": "api"}}), netpol("shop", {"matchLabels": {"app": "web"}})])
	missing_network_policy.deny == {finding} with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as inv("shop", [netpol("shop", {"matchLabels": {"app": "api"}})])
}

test_unset_namespace_is_default if {
	count(missing_network_policy.deny) == 0 with input as {"kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {}}
		with data.tollgate.inventory as inv("default", [netpol(null, {"matchExpressions": [{"key": "a", "operator": "Exists"}]})])
	findings := missing_network_policy.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {}}
		with data.tollgate.inventory as {}
	findings == {{"msg": "Pod/p: no NetworkPolicy in namespace 'default' selects its pods", "path": ["metadata", "labels"]}}
}

test_host_network_and_templates_are_exempt if {
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {}, {"hostNetwork": true}) with data.tollgate.inventory as {}
	count(missing_network_policy.deny) == 0 with input as {"kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": {}}}
		with data.tollgate.inventory as {}
	count(missing_network_policy.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "s"}} with data.tollgate.inventory as {}
}

test_cronjob_points_at_its_pod_labels if {
	cj := {"kind": "CronJob", "metadata": {"name": "c", "namespace": "shop"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}
	findings := missing_network_policy.deny with input as cj with data.tollgate.inventory as {}
	findings == {{
		"msg": "CronJob/c: no NetworkPolicy in namespace 'shop' selects its pods",
		"path": ["spec", "jobTemplate", "spec", "template", "metadata", "labels"],
	}}
}

test_indexed_selectors_are_looked_up_by_label_and_key if {
	web := {"matchLabels": {"app": "web", "team": "a"}}
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {"app": "web", "team": "a"}, {})
		with data.tollgate.inventory as indexed({"labels": {"team": {"a": [web]}}})
	missing_network_policy.deny == {finding} with input as deploy("shop", {"app": "web", "team": "b"}, {})
		with data.tollgate.inventory as indexed({"labels": {"team": {"a": [web]}}})
	tiered := {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {"app": "web", "tier": "x"}, {})
		with data.tollgate.inventory as indexed({"keys": {"tier": [tiered]}})
	missing_network_policy.deny == {finding} with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as indexed({"keys": {"tier": [tiered]}})
	# A candidate is still matched in full: filed under app=web, it asks for team=a too.
	missing_network_policy.deny == {finding} with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as indexed({"labels": {"app": {"web": [web]}}})
}

test_more_candidates_than_the_bound_is_undecided if {
	# 100 candidates are matched: none selects, a finding; the 100th selects, none.
	missing_network_policy.deny == {finding} with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as indexed({"labels": {"app": {"web": decoys(100)}}})
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {"app": "web", "decoy": "d100"}, {})
		with data.tollgate.inventory as indexed({"labels": {"app": {"web": decoys(100)}}})
	# 101 are not, even when one of them would select the pods.
	findings := missing_network_policy.deny with input as deploy("shop", {"app": "web", "decoy": "d7"}, {})
		with data.tollgate.inventory as indexed({"labels": {"app": {"web": decoys(100)}}, "all": [{"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}]})
	findings == {{
		"msg": "Deployment/web: cannot tell whether a NetworkPolicy in namespace 'shop' selects its pods: 101 distinct podSelectors there could, more than the 100 tollgate matches against one workload",
		"path": ["spec", "template", "metadata", "labels"],
	}}
	# The selectors that need no label are matched on their own: an empty one still decides.
	count(missing_network_policy.deny) == 0 with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as indexed({"labels": {"app": {"web": decoys(200)}}, "all": [null]})
	findings_all := missing_network_policy.deny with input as deploy("shop", {"app": "web"}, {})
		with data.tollgate.inventory as indexed({"all": decoys(101)})
	count(findings_all) == 1
	some f in findings_all
	startswith(f.msg, "Deployment/web: cannot tell whether")
}
