# METADATA
# title: Credential in a ConfigMap
# description: |
#   Flags ConfigMap data entries that hold a credential: the key names one (password, secret,
#   token, api_key, private_key, access_key, credential, ...; keys ending in _file, _path, _url
#   and the like are references and ignored) and the value is a non-empty literal, or the value
#   itself looks like a credential (an AWS access key id, a private key block, a GitHub or Slack
#   token, a URL with a password, a line such as aws_secret_access_key = ...). ConfigMaps are
#   neither encrypted nor access-restricted like Secrets.
# custom:
#   id: gitops/configmap-credential
#   severity: high
#   remediation: Move the value into a Secret (SOPS-encrypted, sealed or external), reference it from the workload, and rotate the exposed credential.
#   kinds: [ConfigMap]
#   profiles: [gitops]
#   frameworks:
#     cis: [{version: "1.12", id: "5.4.2"}]
#     nsa: [SEC]
#   aliases: {trivy: [KSV-0109, KSV-01010], polaris: sensitiveConfigmapContent}
package tollgate.gitops.configmap_credential

import rego.v1

import data.tollgate.lib.secrets

deny contains result if {
	input.kind == "ConfigMap"
	values = input.data
	is_object(values)
	some key, value in values
	secrets.literal(value)
	credential(key, value)
	result = {
		"msg": sprintf("%s: data.%s holds a credential", [data.tollgate.lib.k8s.resource, key]),
		"path": ["data", key],
	}
}

credential(key, _) if secrets.sensitive_name(key)

credential(_, value) if secrets.secret_value(value)

# key = value (or key: value) lines of an embedded config file; comment lines are skipped.
credential(_, value) if {
	some line in split(value, "\n")
	l = trim_space(line)
	not regex.match(`^(#|//|;)`, l)
	parts = regex.split(`\s*[=:]\s*`, l)
	count(parts) == 2
	key = trim(parts[0], `"'`)
	key != "passwd" # nsswitch.conf's passwd database
	secrets.sensitive_name(key)
	secrets.literal(parts[1])
}
