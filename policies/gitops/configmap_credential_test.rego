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
	findings == {{"msg": "ConfigMap/app: data.AWS_SECRET_ACCESS_KEY holds a credential (its key names one)", "path": ["data", "AWS_SECRET_ACCESS_KEY"]}}
}

test_credential_values_fail if {
	findings := configmap_credential.deny with input as cm({
		"key.pem": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
		"aws.ini": "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI\n",
		"settings.conf": "user: app\napi-key: 0123456789abcdef\n",
	})
	findings == {
		{"msg": "ConfigMap/app: data.key.pem holds a private key", "path": ["data", "key.pem"], "match": "-----BEGIN PRIVATE KEY-----"},
		{"msg": "ConfigMap/app: data.aws.ini holds an AWS access key id", "path": ["data", "aws.ini"], "match": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"},
		{"msg": "ConfigMap/app: data.aws.ini sets aws_secret_access_key, which names a credential, to a literal value", "path": ["data", "aws.ini"], "match": "aws_secret_access_key = wJalrXUtnFEMI"},
		{"msg": "ConfigMap/app: data.settings.conf sets api-key, which names a credential, to a literal value", "path": ["data", "settings.conf"], "match": "api-key: 0123456789abcdef"},
	}
}

# Source code that reads the credential from the environment holds none.
test_code_reading_the_environment_passes if {
	count(configmap_credential.deny) == 0 with input as cm({
		"model.py": "import os\nmodel = AutoModel.from_pretrained(\n    name,\n    token=os.environ[\"HUGGING_FACE_HUB_TOKEN\"]\n)\n",
		"client.py": "password = os.getenv(\"DB_PASSWORD\")\napi_key=get_secret('api')\n",
		"index.js": "const token = process.env.TOKEN;\n",
		"run.sh": "TOKEN=$(cat /var/run/secrets/token)\n",
	})
}

# A literal next to code that reads the environment is still reported, at its own line.
test_literal_in_code_fails if {
	findings := configmap_credential.deny with input as cm({"model.py": "import os\nuser = os.environ[\"USER\"]\ntoken = \"hf_abcdefghijklmnop\"\n"})
	findings == {{"msg": "ConfigMap/app: data.model.py sets token, which names a credential, to a literal value", "path": ["data", "model.py"], "match": "token = \"hf_abcdefghijklmnop\""}}
}
