package tollgate.k8s.net_raw_capability_test

import rego.v1

import data.tollgate.k8s.net_raw_capability

pod(containers) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

test_drop_all_or_net_raw_passes if {
	count(net_raw_capability.deny) == 0 with input as pod([
		{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
		{"name": "b", "securityContext": {"capabilities": {"drop": ["net_raw"]}}},
		{"name": "c", "securityContext": {"capabilities": {"drop": ["CAP_NET_RAW"], "add": ["CHOWN"]}}},
	])
}

test_no_drop_fails if {
	findings := net_raw_capability.deny with input as pod([{"name": "a"}, {"name": "b", "securityContext": {"capabilities": {"drop": ["SYS_ADMIN", 7]}}}])
	findings == {
		{
			"msg": "Pod/p: container 'a' does not drop NET_RAW (capabilities.drop has neither ALL nor NET_RAW)",
			"path": ["spec", "containers", 0, "securityContext", "capabilities", "drop"],
		},
		{
			"msg": "Pod/p: container 'b' does not drop NET_RAW (capabilities.drop has neither ALL nor NET_RAW)",
			"path": ["spec", "containers", 1, "securityContext", "capabilities", "drop"],
		},
	}
}

test_add_net_raw_fails if {
	findings := net_raw_capability.deny with input as pod([{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "NET_RAW"]}}}])
	findings == {{
		"msg": "Pod/p: container 'a' adds the NET_RAW capability",
		"path": ["spec", "containers", 0, "securityContext", "capabilities", "add", 1],
	}}
}

# With k8s/capabilities-not-dropped (and capabilities-beyond-baseline) selected, they report it.
test_left_to_broader_checks_when_selected if {
	pod := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "a:1", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}]}}
	count(net_raw_capability.deny) == 2 with input as pod
	count(net_raw_capability.deny) == 0 with input as pod
		with data.tollgate.selected as {"k8s/capabilities-not-dropped": true, "k8s/capabilities-beyond-baseline": true}
	count(net_raw_capability.deny) == 1 with input as pod with data.tollgate.selected as {"k8s/capabilities-beyond-baseline": true}
}
