package tollgate.k8s.seccomp_unconfined_test

import rego.v1

import data.tollgate.k8s.seccomp_unconfined

job(annotations, pod_sc, container_sc) := {
	"kind": "Job",
	"metadata": {"name": "j"},
	"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {"securityContext": pod_sc, "containers": [{"name": "app", "securityContext": container_sc}]},
	}},
}

test_runtime_default_and_localhost_pass if {
	findings := seccomp_unconfined.deny with input as job({}, {"seccompProfile": {"type": "RuntimeDefault"}}, {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})
	count(findings) == 0
}

test_unset_passes if {
	count(seccomp_unconfined.deny) == 0 with input as job({}, {}, {})
}

test_unconfined_fails if {
	findings := seccomp_unconfined.deny with input as job({}, {"seccompProfile": {"type": "Unconfined"}}, {"seccompProfile": {"type": "Unconfined"}})
	findings == {
		{
			"msg": "Job/j: pod seccomp profile type is Unconfined (allowed: RuntimeDefault, Localhost)",
			"path": ["spec", "template", "spec", "securityContext", "seccompProfile", "type"],
		},
		{
			"msg": "Job/j: container 'app' seccomp profile type is Unconfined (allowed: RuntimeDefault, Localhost)",
			"path": ["spec", "template", "spec", "containers", 0, "securityContext", "seccompProfile", "type"],
		},
	}
}

test_annotations_only_before_1_19 if {
	doc := job(
		{
			"seccomp.security.alpha.kubernetes.io/pod": "unconfined",
			"container.seccomp.security.alpha.kubernetes.io/app": "docker/default",
			"container.seccomp.security.alpha.kubernetes.io/side": "localhost/prof.json",
			"container.seccomp.security.alpha.kubernetes.io/x": "runtime/default",
		},
		{},
		{},
	)
	count(seccomp_unconfined.deny) == 0 with input as doc
	findings := seccomp_unconfined.deny with input as doc with data.tollgate.params.kube_version as "1.18"
	findings == {{
		"msg": "Job/j: annotation seccomp.security.alpha.kubernetes.io/pod sets seccomp profile unconfined (allowed: runtime/default, docker/default, localhost/*)",
		"path": ["spec", "template", "metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"],
	}}
}
