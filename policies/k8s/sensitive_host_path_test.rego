package tollgate.k8s.sensitive_host_path_test

import rego.v1

import data.tollgate.k8s.sensitive_host_path

ds(volumes) := {"kind": "DaemonSet", "metadata": {"name": "agent"}, "spec": {"template": {"spec": {"containers": [{"name": "a"}], "volumes": volumes}}}}

test_ordinary_host_paths_pass if {
	count(sensitive_host_path.deny) == 0 with input as ds([
		{"name": "logs", "hostPath": {"path": "/var/log/pods"}},
		{"name": "data", "hostPath": {"path": "/mnt/data"}},
		{"name": "etcish", "hostPath": {"path": "/etcd-backup"}},
		{"name": "tmp", "emptyDir": {}},
		{"name": "bad", "hostPath": {"path": 7}},
	])
}

test_sensitive_paths_fail if {
	findings := sensitive_host_path.deny with input as ds([
		{"name": "root", "hostPath": {"path": "/"}},
		{"name": "sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}},
		{"name": "kubelet", "hostPath": {"path": "/var/lib/kubelet/pods/"}},
		{"name": "ctr", "hostPath": {"path": "/opt//containerd/containerd.sock"}},
		{"name": "etc", "hostPath": {"path": "/etc"}},
	])
	count(findings) == 5
	{
		"msg": "DaemonSet/agent: volume 'sock' mounts the sensitive host path /var/run/docker.sock",
		"path": ["spec", "template", "spec", "volumes", 1, "hostPath", "path"],
	} in findings
}

test_root_variants_fail if {
	count(sensitive_host_path.deny) == 2 with input as ds([{"name": "a", "hostPath": {"path": "//"}}, {"name": "b", "hostPath": {"path": "/./"}}])
}
