package tollgate.k8s.unsafe_sysctl_test

import rego.v1

import data.tollgate.k8s.unsafe_sysctl

sts(sysctls) := {
	"kind": "StatefulSet",
	"metadata": {"name": "db"},
	"spec": {"template": {"spec": {"securityContext": {"sysctls": sysctls}, "containers": [{"name": "db"}]}}},
}

test_safe_sysctls_pass if {
	findings := unsafe_sysctl.deny with input as sts([
		{"name": "kernel.shm_rmid_forced", "value": "1"},
		{"name": "net.ipv4.tcp_keepalive_time", "value": "600"},
		{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"},
	])
	count(findings) == 0
}

test_unsafe_sysctl_fails if {
	findings := unsafe_sysctl.deny with input as sts([{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax", "value": "65536"}])
	findings == {{
		"msg": "StatefulSet/db: pod sets sysctl kernel.msgmax, which is not in the safe set for Kubernetes 1.37",
		"path": ["spec", "template", "spec", "securityContext", "sysctls", 1, "name"],
	}}
}

test_safe_set_depends_on_version if {
	doc := sts([{"name": "net.ipv4.tcp_wmem"}, {"name": "net.ipv4.tcp_fin_timeout"}, {"name": "net.ipv4.ip_local_reserved_ports"}])
	count(unsafe_sysctl.deny) == 0 with input as doc with data.tollgate.params.kube_version as "1.32"
	count(unsafe_sysctl.deny) == 1 with input as doc with data.tollgate.params.kube_version as "1.31"
	count(unsafe_sysctl.deny) == 2 with input as doc with data.tollgate.params.kube_version as "1.28"
	count(unsafe_sysctl.deny) == 3 with input as doc with data.tollgate.params.kube_version as "1.26"
}

test_nameless_sysctl_fails if {
	findings := unsafe_sysctl.deny with input as sts([{"value": "1"}, "junk"])
	count(findings) == 1
}
