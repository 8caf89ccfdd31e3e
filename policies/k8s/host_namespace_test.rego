package tollgate.k8s.host_namespace_test

import rego.v1

import data.tollgate.k8s.host_namespace

daemonset(pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "node-agent"},
	"spec": {"template": {"spec": pod_spec}},
}

test_unset_and_false_pass if {
	findings := host_namespace.deny with input as daemonset({
		"hostNetwork": false,
		"containers": [{"name": "agent"}],
	})
	count(findings) == 0
}

test_host_network_fails if {
	findings := host_namespace.deny with input as daemonset({"hostNetwork": true, "containers": [{"name": "agent"}]})
	findings == {{
		"msg": "DaemonSet/node-agent: pod shares the node's network namespace (hostNetwork: true)",
		"path": ["spec", "template", "spec", "hostNetwork"],
	}}
}

test_one_finding_per_field if {
	findings := host_namespace.deny with input as daemonset({
		"hostNetwork": true,
		"hostPID": true,
		"hostIPC": true,
		"containers": [{"name": "agent"}],
	})
	findings == {
		{
			"msg": "DaemonSet/node-agent: pod shares the node's network namespace (hostNetwork: true)",
			"path": ["spec", "template", "spec", "hostNetwork"],
		},
		{
			"msg": "DaemonSet/node-agent: pod shares the node's process (PID) namespace (hostPID: true)",
			"path": ["spec", "template", "spec", "hostPID"],
		},
		{
			"msg": "DaemonSet/node-agent: pod shares the node's IPC namespace (hostIPC: true)",
			"path": ["spec", "template", "spec", "hostIPC"],
		},
	}
}

test_pod_fails if {
	findings := host_namespace.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostPID": true}}
	findings == {{
		"msg": "Pod/p: pod shares the node's process (PID) namespace (hostPID: true)",
		"path": ["spec", "hostPID"],
	}}
}

test_cronjob_fails if {
	findings := host_namespace.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "probe"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostIPC": true}}}}},
	}
	findings == {{
		"msg": "CronJob/probe: pod shares the node's IPC namespace (hostIPC: true)",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "hostIPC"],
	}}
}

# Container-level fields of the same name do not exist; only the pod spec counts.
test_fields_outside_the_pod_spec_are_ignored if {
	findings := host_namespace.deny with input as daemonset({"containers": [{"name": "agent", "hostNetwork": true}]})
	count(findings) == 0
}
