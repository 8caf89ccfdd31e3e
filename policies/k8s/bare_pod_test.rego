package tollgate.k8s.bare_pod_test

import rego.v1

import data.tollgate.k8s.bare_pod

pod(metadata) := {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": {"containers": [{"name": "web"}]}}

test_bare_pod_fails if {
	findings := bare_pod.deny with input as pod({"name": "debug"})
	findings == {{
		"msg": "Pod/debug: Pod has no controller (no ownerReferences), so nothing recreates it when its node goes away",
		"path": ["kind"],
	}}
}

test_empty_or_malformed_owner_references_fail if {
	count(bare_pod.deny) == 1 with input as pod({"name": "p", "ownerReferences": []})
	count(bare_pod.deny) == 1 with input as pod({"name": "p", "ownerReferences": "rs"})
	count(bare_pod.deny) == 1 with input as {"kind": "Pod", "metadata": "junk"}
}

test_owned_pod_passes if {
	count(bare_pod.deny) == 0 with input as pod({"name": "web-1", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "controller": true}]})
}

test_hook_pods_pass if {
	count(bare_pod.deny) == 0 with input as pod({"name": "t", "annotations": {"helm.sh/hook": "test"}})
	count(bare_pod.deny) == 0 with input as pod({"name": "t", "annotations": {"argocd.argoproj.io/hook": "PreSync"}})
	count(bare_pod.deny) == 1 with input as pod({"name": "t", "annotations": {"helm.sh/chart": "web-1.0.0"}})
}

test_other_kinds_and_patches_pass if {
	count(bare_pod.deny) == 0 with input as {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {}}}}
	count(bare_pod.deny) == 0 with input as {"kind": "Pod", "metadata": {"name": "web"}, "$patch": "delete"}
}
