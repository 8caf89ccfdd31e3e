package tollgate.k8s.secret_in_env_test

import rego.v1

import data.tollgate.k8s.secret_in_env

pod(container) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}}

test_config_env_passes if {
	count(secret_in_env.deny) == 0 with input as pod({
		"name": "a",
		"env": [{"name": "MODE", "value": "prod"}, {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}],
		"envFrom": [{"configMapRef": {"name": "c"}}],
	})
	count(secret_in_env.deny) == 0 with input as pod({"name": "a", "env": "x", "envFrom": "y"})
}

test_secret_env_fails if {
	findings := secret_in_env.deny with input as pod({
		"name": "a",
		"env": [{"name": "MODE", "value": "prod"}, {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
		"envFrom": [{"secretRef": {"name": "api-keys"}}],
	})
	findings == {
		{
			"msg": "Pod/p: container 'a' reads Secret 'db' into the environment variable DB_PASSWORD",
			"path": ["spec", "containers", 0, "env", 1, "valueFrom", "secretKeyRef"],
		},
		{
			"msg": "Pod/p: container 'a' loads every key of Secret 'api-keys' into environment variables",
			"path": ["spec", "containers", 0, "envFrom", 0, "secretRef"],
		},
	}
}
