package tollgate.k8s.dangerous_capability_test

import rego.v1

import data.tollgate.k8s.dangerous_capability

pod(add) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "i", "securityContext": {"capabilities": {"add": add}}}]}}

test_harmless_capabilities_pass if {
	count(dangerous_capability.deny) == 0 with input as pod(["NET_BIND_SERVICE", "CHOWN", 3])
	count(dangerous_capability.deny) == 0 with input as pod("SYS_ADMIN")
}

test_dangerous_capabilities_fail if {
	findings := dangerous_capability.deny with input as pod(["CHOWN", "SYS_ADMIN", "cap_sys_ptrace"])
	findings == {
		{
			"msg": "Pod/p: init container 'i' adds the dangerous capability SYS_ADMIN",
			"path": ["spec", "initContainers", 0, "securityContext", "capabilities", "add", 1],
		},
		{
			"msg": "Pod/p: init container 'i' adds the dangerous capability cap_sys_ptrace",
			"path": ["spec", "initContainers", 0, "securityContext", "capabilities", "add", 2],
		},
	}
}
