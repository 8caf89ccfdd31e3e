package tollgate.k8s.literal_credential_env_test

import rego.v1

import data.tollgate.k8s.literal_credential_env

pod(env) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "env": env}]}}

test_non_credentials_pass if {
	count(literal_credential_env.deny) == 0 with input as pod([
		{"name": "LOG_LEVEL", "value": "debug"},
		{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
		{"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
		{"name": "TOKEN_URL", "value": "https://auth.example.com/token"},
		{"name": "SECRET_VERSION", "value": "latest"},
		{"name": "API_KEY", "value": ""},
		{"name": "API_KEY", "value": "$(API_KEY_FROM_SECRET)"},
		{"name": "SECRET", "value": "changeme"},
		{"name": "PASSWORD", "value": 7},
		{"name": "MAX_TOTAL_TOKENS", "value": "2048"},
		{"name": "PWD", "value": "/app"},
		{"name": "webhookSecretName", "value": "hooks"},
		{"name": "TOKEN", "value": "\"\""},
		{"name": "SECRET_KEY", "value": "${SECRET_KEY}"},
		{"name": "MYSQL_ALLOW_EMPTY_PASSWORD", "value": "yes"},
		{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/google/key.json"},
	])
}

test_named_credential_fails if {
	findings := literal_credential_env.deny with input as pod([{"name": "LOG_LEVEL", "value": "info"}, {"name": "db-password", "value": "hunter2"}])
	count(literal_credential_env.deny) == 3 with input as pod([{"name": "clientSecret", "value": "x1"}, {"name": "APIKEY", "value": "x2"}, {"name": "github.token", "value": "x3"}])
	findings == {{
		"msg": "Pod/p: container 'a' sets the environment variable db-password to a literal credential",
		"path": ["spec", "containers", 0, "env", 1, "value"],
	}}
}

test_credential_values_fail if {
	findings := literal_credential_env.deny with input as pod([
		{"name": "AWS_ID", "value": "AKIAIOSFODNN7EXAMPLE"},
		{"name": "DATABASE_URL", "value": "postgres://app:s3cr3t@db:5432/app"},
		{"name": "KEY", "value": "-----BEGIN RSA PRIVATE KEY-----\nMIIE"},
		{"name": "GH", "value": "ghp_0123456789abcdefghijklmnopqrstuvwxyz"},
		{"name": "SLACK", "value": "xoxb-1234567890-abcdef"},
		{"name": "DSN", "value": "https://example.com/path"},
	])
	count(findings) == 5
}
