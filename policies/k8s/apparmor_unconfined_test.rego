package tollgate.k8s.apparmor_unconfined_test

import rego.v1

import data.tollgate.k8s.apparmor_unconfined

deployment(annotations, pod_sc, container_sc) := {
	"kind": "Deployment",
	"metadata": {"name": "d"},
	"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {"securityContext": pod_sc, "containers": [{"name": "app", "securityContext": container_sc}]},
	}},
}

test_defaults_and_localhost_pass if {
	findings := apparmor_unconfined.deny with input as deployment(
		{
			"container.apparmor.security.beta.kubernetes.io/app": "runtime/default",
			"container.apparmor.security.beta.kubernetes.io/side": "localhost/k8s-nginx",
			"container.apparmor.security.beta.kubernetes.io/x": "",
			"other": "unconfined",
		},
		{"appArmorProfile": {"type": "RuntimeDefault"}},
		{"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-app"}},
	)
	count(findings) == 0
}

test_unset_passes if {
	findings := apparmor_unconfined.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}}
	count(findings) == 0
}

test_unconfined_fields_fail if {
	findings := apparmor_unconfined.deny with input as deployment({}, {"appArmorProfile": {"type": "Unconfined"}}, {"appArmorProfile": {"type": "Unconfined"}})
	findings == {
		{
			"msg": "Deployment/d: pod AppArmor profile type is Unconfined (allowed: RuntimeDefault, Localhost)",
			"path": ["spec", "template", "spec", "securityContext", "appArmorProfile", "type"],
		},
		{
			"msg": "Deployment/d: container 'app' AppArmor profile type is Unconfined (allowed: RuntimeDefault, Localhost)",
			"path": ["spec", "template", "spec", "containers", 0, "securityContext", "appArmorProfile", "type"],
		},
	}
}

test_unconfined_annotation_fails if {
	findings := apparmor_unconfined.deny with input as {
		"kind": "Pod",
		"metadata": {"name": "p", "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
		"spec": {"containers": [{"name": "app"}]},
	}
	findings == {{
		"msg": "Pod/p: annotation container.apparmor.security.beta.kubernetes.io/app sets AppArmor profile unconfined (allowed: runtime/default, localhost/*)",
		"path": ["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/app"],
	}}
}

test_cronjob_annotation_path if {
	findings := apparmor_unconfined.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {
			"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/job": "docker/default"}},
			"spec": {"containers": [{"name": "job"}]},
		}}}},
	}
	some f in findings
	f.path == ["spec", "jobTemplate", "spec", "template", "metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/job"]
}
