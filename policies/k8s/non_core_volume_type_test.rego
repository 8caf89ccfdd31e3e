package tollgate.k8s.non_core_volume_type_test

import rego.v1

import data.tollgate.k8s.non_core_volume_type

pod(volumes) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}], "volumes": volumes}}

test_core_types_pass if {
	findings := non_core_volume_type.deny with input as pod([
		{"name": "a", "configMap": {"name": "cfg"}},
		{"name": "b", "secret": {"secretName": "s"}},
		{"name": "c", "persistentVolumeClaim": {"claimName": "data"}},
		{"name": "d", "emptyDir": {}},
		{"name": "e", "projected": {"sources": []}},
		{"name": "f", "nfs": null},
		{"name": "g", "hostPath": {"path": "/var/log"}},
	])
	count(findings) == 0
}

test_nfs_and_git_repo_fail if {
	findings := non_core_volume_type.deny with input as pod([
		{"name": "share", "nfs": {"server": "nfs.local", "path": "/exports"}},
		{"name": "ok", "emptyDir": {}},
		{"name": "src", "gitRepo": {"repository": "https://example.com/x.git"}},
	])
	findings == {
		{
			"msg": "Pod/p: volume 'share' has type nfs, which is outside the restricted set",
			"path": ["spec", "volumes", 0, "nfs"],
		},
		{
			"msg": "Pod/p: volume 'src' has type gitRepo, which is outside the restricted set",
			"path": ["spec", "volumes", 2, "gitRepo"],
		},
	}
}

test_malformed_volumes_are_ignored if {
	count(non_core_volume_type.deny) == 0 with input as pod("nfs")
	count(non_core_volume_type.deny) == 0 with input as pod(["nfs"])
}
