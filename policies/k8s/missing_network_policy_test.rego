package tollgate.k8s.missing_network_policy_test

import rego.v1

import data.tollgate.k8s.missing_network_policy

deploy(ns, labels, spec) := {
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"labels": labels}, "spec": spec}},
}

netpol(ns, selector) := {"kind": "NetworkPolicy", "name": "np", "namespace": ns, "pod_selector": selector}

# The inventory's index of NetworkPolicy selectors in a namespace.
inv(ns, policies) := {"selectors": {ns: {"NetworkPolicy": [p.pod_selector | some p in policies]}}}

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
