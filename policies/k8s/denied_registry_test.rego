package tollgate.k8s.denied_registry_test

import rego.v1

import data.tollgate.k8s.denied_registry

pod(images) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]}}

params := {"denied_registries": ["docker.io", "quay.io/untrusted-org/"]}

test_unset_parameter_passes if {
	count(denied_registry.deny) == 0 with input as pod(["nginx:1.27", "quay.io/untrusted-org/x:1"])
}

test_allowed_images_pass if {
	findings := denied_registry.deny with input as pod(["ghcr.io/acme/api:1.0", "quay.io/untrusted-org-two/x:1", "quay.io/other/x:1", "docker.io.evil.example/x:1"])
		with data.tollgate.params as params
	count(findings) == 0
}

test_denied_images_fail if {
	findings := denied_registry.deny with input as pod(["nginx:1.27", "ghcr.io/acme/api:1.0", "quay.io/untrusted-org/tool@sha256:abc"])
		with data.tollgate.params as params
	findings == {
		{"msg": "Pod/p: container 'c0' image nginx:1.27 comes from docker.io, a denied registry", "path": ["spec", "containers", 0, "image"]},
		{"msg": "Pod/p: container 'c2' image quay.io/untrusted-org/tool@sha256:abc comes from quay.io/untrusted-org, a denied registry", "path": ["spec", "containers", 2, "image"]},
	}
}

# Two prefixes that deny the same image: one finding, naming the first.
test_one_finding_per_image if {
	findings := denied_registry.deny with input as pod(["docker.io/library/nginx:1"])
		with data.tollgate.params as {"denied_registries": ["docker.io/library", "docker.io"]}
	findings == {{"msg": "Pod/p: container 'c0' image docker.io/library/nginx:1 comes from docker.io/library, a denied registry", "path": ["spec", "containers", 0, "image"]}}
}

# An image outside allowed_registries is k8s/untrusted-registry's when that check runs.
test_left_to_untrusted_registry if {
	both := {"denied_registries": ["docker.io"], "allowed_registries": ["ghcr.io/acme"]}
	count(denied_registry.deny) == 1 with input as pod(["nginx:1"]) with data.tollgate.params as both
	count(denied_registry.deny) == 0 with input as pod(["nginx:1"]) with data.tollgate.params as both
		with data.tollgate.selected as {"k8s/untrusted-registry": true}
	count(denied_registry.deny) == 1 with input as pod(["nginx:1"]) with data.tollgate.params as {"denied_registries": ["docker.io"], "allowed_registries": ["docker.io"]}
		with data.tollgate.selected as {"k8s/untrusted-registry": true}
}

test_every_container_kind if {
	findings := denied_registry.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"name": "i", "image": "busybox:1"}]}}}}},
	}
		with data.tollgate.params as params
	[f.path | some f in findings] == [["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "image"]]
}

test_malformed_passes if {
	count(denied_registry.deny) == 0 with input as pod([3]) with data.tollgate.params as params
	count(denied_registry.deny) == 0 with input as pod(["nginx"]) with data.tollgate.params as {"denied_registries": "docker.io"}
	count(denied_registry.deny) == 0 with input as pod(["nginx"]) with data.tollgate.params as {"denied_registries": [3, ""]}
}
