# METADATA
# title: Credential in a ConfigMap
# description: |
#   Flags ConfigMap data entries that hold a credential: the key names one (password, secret,
#   token, api_key, private_key, access_key, credential, ...; keys ending in _file, _path, _url
#   and the like are references and ignored) and the value is a non-empty literal; or a line of
#   the value looks like a credential (an AWS access key id, a private key block, a GitHub or
#   Slack token, a URL with a password) or sets one (aws_secret_access_key = ..., password: ...
#   in an embedded config file). A line is reported at that line, with what matched; source code
#   that reads the credential from elsewhere (token=os.environ["HF_TOKEN"], getenv("X")) is not
#   a credential. ConfigMaps are neither encrypted nor access-restricted like Secrets.
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

entries := d if {
	input.kind == "ConfigMap"
	d = input.data
	is_object(d)
} else := {}

# The key names a credential: the whole value is one.
deny contains result if {
	some key, value in entries
	key_credential(key, value)
	result = {
		"msg": sprintf("%s: data.%s holds a credential (its key names one)", [data.tollgate.lib.k8s.resource, key]),
		"path": ["data", key],
	}
}

# The lines of the values that may hold a credential line (one match over the whole value first:
# most configuration files hold none).
candidate_lines[key] := split(value, "\n") if {
	some key, value in entries
	is_string(value)
	not key_credential(key, value)
	regex.match(prefilter, value)
}

prefilter := concat("|", [data.tollgate.lib.secrets.any_secret_pattern, data.tollgate.lib.secrets.credential_word_pattern])

# A line that looks like a credential whatever its key.
deny contains result if {
	some key, lines in candidate_lines
	some line in lines
	regex.match(data.tollgate.lib.secrets.any_secret_pattern, line)
	some kind, pattern in data.tollgate.lib.secrets.value_kinds
	regex.match(pattern, line)
	result = {
		"msg": sprintf("%s: data.%s holds %s", [data.tollgate.lib.k8s.resource, key, kind]),
		"path": ["data", key],
		"match": trim_space(line),
	}
}

# key = value (or key: value) lines of an embedded config file; comment lines are skipped.
deny contains result if {
	some key, lines in candidate_lines
	some line in lines
	regex.match(data.tollgate.lib.secrets.credential_word_pattern, line)
	not regex.match(data.tollgate.lib.secrets.any_secret_pattern, line)
	l = trim_space(line)
	not regex.match(`^(#|//|;)`, l)
	# The key is what comes before the first = or : (a value may hold more of them).
	found = regex.find_all_string_submatch_n(`^["']?([A-Za-z0-9_.\-]+)["']?\s*[=:]\s*(.*)$`, l, 1)
	count(found) == 1
	name = found[0][1]
	assigned = found[0][2]
	name != "passwd" # nsswitch.conf's passwd database
	secrets.sensitive_name(name)
	secrets.literal(assigned)
	not secrets.code_reference(assigned)
	result = {
		"msg": sprintf("%s: data.%s sets %s, which names a credential, to a literal value", [data.tollgate.lib.k8s.resource, key, name]),
		"path": ["data", key],
		"match": l,
	}
}

key_credential(key, value) if {
	secrets.literal(value)
	secrets.sensitive_name(key)
}
