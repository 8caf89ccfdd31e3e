package tollgate.k8s.mutable_image_tag_test

import rego.v1

import data.tollgate.k8s.mutable_image_tag

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": containers}}

test_pinned_images_pass if {
	findings := mutable_image_tag.deny with input as pod([
		{"name": "a", "image": "nginx:1.27.1"},
		{"name": "b", "image": "ghcr.io/acme/api:v2.3.0"},
		{"name": "c", "image": "registry.local:5000/team/app:2024-06-01"},
		{"name": "d", "image": "busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"},
		{"name": "e", "image": "app:latest@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"},
	])
	count(findings) == 0
}

test_latest_tag_fails if {
	findings := mutable_image_tag.deny with input as pod([{"name": "web", "image": "nginx:latest"}])
	findings == {{
		"msg": "Pod/web: container 'web' uses the mutable :latest image tag (nginx:latest)",
		"path": ["spec", "containers", 0, "image"],
	}}
}

test_missing_tag_fails if {
	findings := mutable_image_tag.deny with input as pod([{"name": "web", "image": "nginx"}])
	findings == {{
		"msg": "Pod/web: container 'web' image has no tag or digest, so it means :latest (nginx)",
		"path": ["spec", "containers", 0, "image"],
	}}
}

# The port of a registry is not a tag.
test_registry_port_without_tag_fails if {
	findings := mutable_image_tag.deny with input as pod([
		{"name": "a", "image": "registry.local:5000/team/app"},
		{"name": "b", "image": "registry.local:5000/team/app:latest"},
	])
	findings == {
		{
			"msg": "Pod/web: container 'a' image has no tag or digest, so it means :latest (registry.local:5000/team/app)",
			"path": ["spec", "containers", 0, "image"],
		},
		{
			"msg": "Pod/web: container 'b' uses the mutable :latest image tag (registry.local:5000/team/app:latest)",
			"path": ["spec", "containers", 1, "image"],
		},
	}
}

test_init_and_ephemeral_containers_fail if {
	findings := mutable_image_tag.deny with input as {
		"kind": "Deployment",
		"metadata": {"name": "api"},
		"spec": {"template": {"spec": {
			"initContainers": [{"name": "migrate", "image": "flyway/flyway"}],
			"containers": [{"name": "api", "image": "api:1.2.3"}],
			"ephemeralContainers": [{"name": "debug", "image": "busybox:latest"}],
		}}},
	}
	findings == {
		{
			"msg": "Deployment/api: init container 'migrate' image has no tag or digest, so it means :latest (flyway/flyway)",
			"path": ["spec", "template", "spec", "initContainers", 0, "image"],
		},
		{
			"msg": "Deployment/api: ephemeral container 'debug' uses the mutable :latest image tag (busybox:latest)",
			"path": ["spec", "template", "spec", "ephemeralContainers", 0, "image"],
		},
	}
}

test_cronjob_fails if {
	findings := mutable_image_tag.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "cleanup"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "bitnami/kubectl:latest"}]}}}}},
	}
	findings == {{
		"msg": "CronJob/cleanup: container 'c' uses the mutable :latest image tag (bitnami/kubectl:latest)",
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "image"],
	}}
}

# A missing or non-string image is a schema error, not this check's business.
test_missing_image_is_ignored if {
	findings := mutable_image_tag.deny with input as pod([{"name": "a"}, {"name": "b", "image": 42}])
	count(findings) == 0
}
