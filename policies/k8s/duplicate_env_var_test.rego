package tollgate.k8s.duplicate_env_var_test

import rego.v1

import data.tollgate.k8s.duplicate_env_var

pod(container) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}}

test_distinct_names_pass if {
	doc := pod({"name": "a", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "1"}, {"name": "a", "value": "1"}]})
	count(duplicate_env_var.deny) == 0 with input as doc
}

test_repeated_name_fails if {
	doc := pod({"name": "a", "env": [
		{"name": "LOG_LEVEL", "value": "info"},
		{"name": "PORT", "value": "8080"},
		{"name": "LOG_LEVEL", "value": "debug"},
		{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
	]})
	findings := duplicate_env_var.deny with input as doc
	findings == {
		{
			"msg": "Pod/p: container 'a' sets environment variable LOG_LEVEL more than once (env[2] repeats an earlier entry); only the last value takes effect",
			"path": ["spec", "containers", 0, "env", 2, "name"],
		},
		{
			"msg": "Pod/p: container 'a' sets environment variable LOG_LEVEL more than once (env[3] repeats an earlier entry); only the last value takes effect",
			"path": ["spec", "containers", 0, "env", 3, "name"],
		},
	}
}

test_init_container_and_cronjob if {
	doc := {
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"initContainers": [{"name": "i", "env": [{"name": "X"}, {"name": "X"}]}],
			"containers": [{"name": "a", "env": [{"name": "X"}]}],
		}}}}},
	}
	findings := duplicate_env_var.deny with input as doc
	[f.path | some f in findings] == [["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "env", 1, "name"]]
}

test_malformed_env_passes if {
	count(duplicate_env_var.deny) == 0 with input as pod({"name": "a", "env": "A=1"})
	count(duplicate_env_var.deny) == 0 with input as pod({"name": "a", "env": [1, 1, {"value": "x"}, {"value": "x"}]})
}
