package tollgate.k8s.untrusted_registry_test

import rego.v1

import data.tollgate.k8s.untrusted_registry

pod(images) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]}}

test_unset_allowlist_passes if {
	count(untrusted_registry.deny) == 0 with input as pod(["nginx:1.27", "evil.example/x:1"])
}

test_allowed_registries_pass if {
	findings := untrusted_registry.deny with input as pod([
		"registry.corp.example/team/app:1.0",
		"ghcr.io/acme/api:1.2",
		"ghcr.io/acme@sha256:abc",
		"docker.io/library/busybox:1.36",
		"localhost:5000/dev:1",
	])
		with data.tollgate.params.allowed_registries as ["registry.corp.example", "ghcr.io/acme/", "ghcr.io/acme", "docker.io/library", "localhost:5000"]
	count(findings) == 0
}

test_other_registries_fail if {
	findings := untrusted_registry.deny with input as pod(["nginx:1.27", "ghcr.io/other/x:1", "ghcr.io/acme-evil/x:1", "registry.corp.example/a:1", 5])
		with data.tollgate.params.allowed_registries as ["registry.corp.example", "ghcr.io/acme"]
	count(findings) == 3
	{"msg": "Pod/p: container 'c0' image nginx:1.27 comes from docker.io, which is not an allowed registry", "path": ["spec", "containers", 0, "image"]} in findings
}
