package tollgate.k8s.host_path_volume_test

import rego.v1

import data.tollgate.k8s.host_path_volume

daemonset(pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "log-shipper"},
	"spec": {"template": {"spec": pod_spec}},
}

test_other_volume_types_pass if {
	findings := host_path_volume.deny with input as daemonset({"volumes": [
		{"name": "tmp", "emptyDir": {}},
		{"name": "config", "configMap": {"name": "cfg"}},
		{"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
	]})
	count(findings) == 0
}

test_host_path_fails if {
	findings := host_path_volume.deny with input as daemonset({"volumes": [
		{"name": "tmp", "emptyDir": {}},
		{"name": "varlog", "hostPath": {"path": "/var/log", "type": "Directory"}},
	]})
	findings == {{
		"msg": "DaemonSet/log-shipper: volume 'varlog' mounts the host path /var/log",
		"path": ["spec", "template", "spec", "volumes", 1, "hostPath"],
	}}
}

test_host_path_without_path_fails if {
	findings := host_path_volume.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"volumes": [{"name": "h", "hostPath": {}}]}}
	findings == {{
		"msg": "Pod/p: volume 'h' mounts a host path",
		"path": ["spec", "volumes", 0, "hostPath"],
	}}
}

# `hostPath: null` is an unset field in Kubernetes.
test_null_host_path_passes if {
	findings := host_path_volume.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"volumes": [{"name": "h", "hostPath": null, "emptyDir": {}}]}}
	count(findings) == 0
}

test_cronjob_fails if {
	findings := host_path_volume.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "docker-gc"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]}}}}},
	}
	findings == {{
		"msg": "CronJob/docker-gc: volume 'sock' mounts the host path /var/run/docker.sock",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "hostPath"],
	}}
}

test_pod_template_fails if {
	findings := host_path_volume.deny with input as {
		"kind": "PodTemplate",
		"metadata": {"name": "t"},
		"template": {"spec": {"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}},
	}
	findings == {{
		"msg": "PodTemplate/t: volume 'root' mounts the host path /",
		"path": ["template", "spec", "volumes", 0, "hostPath"],
	}}
}

hp_pod(path) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "a:1"}], "volumes": [{"name": "v", "hostPath": {"path": path}}]}}

# Sensitive paths are k8s/sensitive-host-path's when it runs too; other host paths stay here.
test_left_to_sensitive_host_path_when_selected if {
	selected := {"k8s/sensitive-host-path": true}
	count(host_path_volume.deny) == 1 with input as hp_pod("/var/run/docker.sock")
	count(host_path_volume.deny) == 0 with input as hp_pod("/var/run/docker.sock") with data.tollgate.selected as selected
	count(host_path_volume.deny) == 1 with input as hp_pod("/data/cache") with data.tollgate.selected as selected
}
