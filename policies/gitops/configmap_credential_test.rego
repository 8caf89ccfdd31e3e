package tollgate.gitops.configmap_credential_test

import rego.v1

import data.tollgate.gitops.configmap_credential

cm(data) := {"kind": "ConfigMap", "metadata": {"name": "app"}, "data": data}

test_plain_config_passes if {
	count(configmap_credential.deny) == 0 with input as cm({
		"LOG_LEVEL": "info",
		"token_url": "https://auth.example.com/token",
		"password_file": "/etc/app/password",
		"app.properties": "db.user=app\ndb.password=${DB_PASSWORD}\n",
		"secret": "",
		"nsswitch.conf": "passwd: files\nhosts: files dns\n",
		"serve.yaml": "max_total_tokens: 2048\n# webhookSecretName: \"\"\n",
	})
	count(configmap_credential.deny) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "x"}}
}

test_credential_key_fails if {
	findings := configmap_credential.deny with input as cm({"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "region": "eu-west-1"})
	findings == {{"msg": "ConfigMap/app: data.AWS_SECRET_ACCESS_KEY holds a credential", "path": ["data", "AWS_SECRET_ACCESS_KEY"]}}
}

test_credential_values_fail if {
	findings := configmap_credential.deny with input as cm({
		"key.pem": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
		"credentials.ini": "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI\n",
		"settings.conf": "user: app\napi-key: 0123456789abcdef\n",
	})
	count(findings) == 3
}
