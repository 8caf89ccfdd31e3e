package tollgate.k8s.writable_host_mount_test

import rego.v1

import data.tollgate.k8s.writable_host_mount

daemonset(containers, volumes) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "agent"},
	"spec": {"selector": {}, "template": {"spec": {"containers": containers, "volumes": volumes}}},
}

volumes := [
	{"name": "varlog", "hostPath": {"path": "/var/log"}},
	{"name": "tmp", "emptyDir": {}},
]

test_read_only_host_mount_passes if {
	findings := writable_host_mount.deny with input as daemonset(
		[{"name": "a", "volumeMounts": [{"name": "varlog", "mountPath": "/var/log", "readOnly": true}, {"name": "tmp", "mountPath": "/tmp"}]}],
		volumes,
	)
	count(findings) == 0
}

test_mount_without_read_only_fails if {
	findings := writable_host_mount.deny with input as daemonset(
		[{"name": "a", "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "varlog", "mountPath": "/host/log"}]}],
		volumes,
	)
	findings == {{
		"msg": "DaemonSet/agent: container 'a' mounts the hostPath volume 'varlog' at /host/log writable",
		"path": ["spec", "template", "spec", "containers", 0, "volumeMounts", 1, "readOnly"],
	}}
}

test_read_only_false_fails if {
	findings := writable_host_mount.deny with input as daemonset(
		[{"name": "a", "volumeMounts": [{"name": "varlog", "mountPath": "/var/log", "readOnly": false}]}],
		volumes,
	)
	count(findings) == 1
}

# Each container that mounts the volume writable is reported, init containers included.
test_every_container_fails if {
	findings := writable_host_mount.deny with input as {
		"kind": "Pod",
		"metadata": {"name": "p"},
		"spec": {
			"initContainers": [{"name": "setup", "volumeMounts": [{"name": "varlog", "mountPath": "/l"}]}],
			"containers": [{"name": "a", "volumeMounts": [{"name": "varlog", "mountPath": "/l", "readOnly": true}]}],
			"volumes": volumes,
		},
	}
	findings == {{
		"msg": "Pod/p: init container 'setup' mounts the hostPath volume 'varlog' at /l writable",
		"path": ["spec", "initContainers", 0, "volumeMounts", 0, "readOnly"],
	}}
}

test_cronjob_fails if {
	findings := writable_host_mount.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "gc"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "gc", "volumeMounts": [{"name": "varlog", "mountPath": "/l"}]}],
			"volumes": volumes,
		}}}}},
	}
	[f.path | some f in findings] == [["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "volumeMounts", 0, "readOnly"]]
}

# A null hostPath is unset; a mount of an unknown volume is schema validation's.
test_null_host_path_and_unknown_volume_pass if {
	findings := writable_host_mount.deny with input as daemonset(
		[{"name": "a", "volumeMounts": [{"name": "h", "mountPath": "/h"}, {"name": "nope", "mountPath": "/n"}]}],
		[{"name": "h", "hostPath": null, "emptyDir": {}}],
	)
	count(findings) == 0
}

# A patch's mount without readOnly keeps the base's; readOnly: false in a patch is still set.
patch(mount) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "agent"},
	"spec": {"template": {"spec": {"containers": [{"name": "a", "volumeMounts": [mount]}], "volumes": volumes}}},
}

test_patch if {
	count(writable_host_mount.deny) == 0 with input as patch({"name": "varlog", "mountPath": "/l"})
	count(writable_host_mount.deny) == 1 with input as patch({"name": "varlog", "mountPath": "/l", "readOnly": false})
}

test_malformed_passes if {
	count(writable_host_mount.deny) == 0 with input as daemonset("x", "y")
	count(writable_host_mount.deny) == 0 with input as daemonset([{"name": "a", "volumeMounts": "x"}], volumes)
	count(writable_host_mount.deny) == 0 with input as daemonset([{"name": "a", "volumeMounts": [3]}], volumes)
}
