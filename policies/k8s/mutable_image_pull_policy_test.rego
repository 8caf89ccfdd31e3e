package tollgate.k8s.mutable_image_pull_policy_test

import rego.v1

import data.tollgate.k8s.mutable_image_pull_policy

deploy(containers) := {
	"kind": "Deployment",
	"metadata": {"name": "web"},
	"spec": {"template": {"spec": {"containers": containers}}},
}

test_pinned_or_always_pulled_pass if {
	count(mutable_image_pull_policy.deny) == 0 with input as deploy([
		{"name": "a", "image": "ghcr.io/acme/web:1.4.2", "imagePullPolicy": "IfNotPresent"},
		{"name": "b", "image": "ghcr.io/acme/web@sha256:3f1c", "imagePullPolicy": "Never"},
		{"name": "c", "image": "ghcr.io/acme/web:latest@sha256:3f1c", "imagePullPolicy": "IfNotPresent"},
		{"name": "d", "image": "ghcr.io/acme/web:latest", "imagePullPolicy": "Always"},
		{"name": "e", "image": "ghcr.io/acme/web:latest"},
		{"name": "f", "image": "registry:5000/web:2.0", "imagePullPolicy": "IfNotPresent"},
		{"name": "g", "imagePullPolicy": "IfNotPresent"},
		{"name": "h", "image": 7, "imagePullPolicy": "Never"},
	])
}

test_cached_mutable_image_fails if {
	findings := mutable_image_pull_policy.deny with input as deploy([
		{"name": "a", "image": "ghcr.io/acme/web:latest", "imagePullPolicy": "IfNotPresent"},
		{"name": "b", "image": "registry:5000/web", "imagePullPolicy": "Never"},
	])
	findings == {
		{
			"msg": "Deployment/web: container 'a' pulls the mutable image ghcr.io/acme/web:latest with imagePullPolicy IfNotPresent, so each node keeps the copy it pulled first",
			"path": ["spec", "template", "spec", "containers", 0, "imagePullPolicy"],
		},
		{
			"msg": "Deployment/web: container 'b' pulls the mutable image registry:5000/web with imagePullPolicy Never, so each node keeps the copy it pulled first",
			"path": ["spec", "template", "spec", "containers", 1, "imagePullPolicy"],
		},
	}
}

test_init_containers_and_cronjobs if {
	cron := {"kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"initContainers": [{"name": "init", "image": "busybox", "imagePullPolicy": "IfNotPresent"}],
		"containers": [{"name": "job", "image": "ghcr.io/acme/job:1.0"}],
	}}}}}}
	findings := mutable_image_pull_policy.deny with input as cron
	[f.path | some f in findings] == [["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "imagePullPolicy"]]
}
