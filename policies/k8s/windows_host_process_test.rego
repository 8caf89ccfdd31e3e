package tollgate.k8s.windows_host_process_test

import rego.v1

import data.tollgate.k8s.windows_host_process

ds(pod_sc, container_sc) := {
	"kind": "DaemonSet",
	"metadata": {"name": "agent"},
	"spec": {"template": {"spec": {"securityContext": pod_sc, "containers": [{"name": "agent", "securityContext": container_sc}]}}},
}

test_unset_or_false_passes if {
	count(windows_host_process.deny) == 0 with input as ds({}, {})
	count(windows_host_process.deny) == 0 with input as ds({"windowsOptions": {"hostProcess": false}}, {"windowsOptions": {"runAsUserName": "ContainerUser"}})
}

test_pod_and_container_fail if {
	findings := windows_host_process.deny with input as ds({"windowsOptions": {"hostProcess": true}}, {"windowsOptions": {"hostProcess": true}})
	findings == {
		{
			"msg": "DaemonSet/agent: pod runs as a Windows HostProcess pod",
			"path": ["spec", "template", "spec", "securityContext", "windowsOptions", "hostProcess"],
		},
		{
			"msg": "DaemonSet/agent: container 'agent' runs as a Windows HostProcess container",
			"path": ["spec", "template", "spec", "containers", 0, "securityContext", "windowsOptions", "hostProcess"],
		},
	}
}
