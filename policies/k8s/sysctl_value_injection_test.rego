package tollgate.k8s.sysctl_value_injection_test

import rego.v1

import data.tollgate.k8s.sysctl_value_injection

pod(sysctls) := {
	"kind": "Pod",
	"metadata": {"name": "web"},
	"spec": {"securityContext": {"sysctls": sysctls}, "containers": [{"name": "web"}]},
}

cronjob(sysctls) := {
	"kind": "CronJob",
	"metadata": {"name": "nightly"},
	"spec": {"jobTemplate": {"spec": {"template": {"spec": {"securityContext": {"sysctls": sysctls}, "containers": [{"name": "job"}]}}}}},
}

test_plain_values_pass if {
	count(sysctl_value_injection.deny) == 0 with input as pod([
		{"name": "kernel.shm_rmid_forced", "value": "1"},
		{"name": "net.ipv4.ip_local_port_range", "value": "32768 60999"},
		{"name": "net.ipv4.tcp_syncookies", "value": 1},
		{"name": "net.ipv4.tcp_keepalive_time"},
		"junk",
	])
}

test_plus_injection_fails if {
	findings := sysctl_value_injection.deny with input as pod([
		{"name": "net.ipv4.tcp_syncookies", "value": "1"},
		{"name": "kernel.shm_rmid_forced", "value": "1+kernel.core_pattern=|/var/lib/containers/x/malicious.sh #"},
	])
	findings == {{
		"msg": "Pod/web: pod sets sysctl kernel.shm_rmid_forced to \"1+kernel.core_pattern=|/var/lib/containers/x/malicious.sh #\", whose \"+\" or \"=\" can set another sysctl (CVE-2022-0811)",
		"path": ["spec", "securityContext", "sysctls", 1, "value"],
	}}
}

test_equals_alone_fails_in_cronjob if {
	findings := sysctl_value_injection.deny with input as cronjob([{"name": "kernel.shm_rmid_forced", "value": "kernel.core_pattern=x"}])
	findings == {{
		"msg": "CronJob/nightly: pod sets sysctl kernel.shm_rmid_forced to \"kernel.core_pattern=x\", whose \"+\" or \"=\" can set another sysctl (CVE-2022-0811)",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "sysctls", 0, "value"],
	}}
}

# The value is judged whatever the name: a nameless entry still names what it injects.
test_nameless_sysctl_fails if {
	findings := sysctl_value_injection.deny with input as pod([{"value": "0+x"}])
	[f | some f in findings][0].path == ["spec", "securityContext", "sysctls", 0, "value"]
}
