# Shared patterns for credentials in plain configuration (`import data.tollgate.lib.secrets`).
#
#   secrets.sensitive_name(name)   an env var or config key that names a credential
#                                  (DB_PASSWORD, api-key, aws_secret_access_key, ...)
#   secrets.secret_value(value)    a value that looks like a credential whatever its name
#                                  (AWS access key id, private key block, GitHub/Slack tokens,
#                                  a URL with a password)
#   secrets.value_kinds            name -> pattern of those credentials, for messages
#   secrets.any_secret_pattern     the value_kinds patterns as one
#   secrets.credential_word_pattern  text that may hold a credential word (cheap prefilter)
#   secrets.code_reference(value)  source code that reads a credential from elsewhere
#                                  (os.environ["X"], getenv("X"), process.env.X, a call)
package tollgate.lib.secrets

import rego.v1

# Words that mark a credential in a name, matched as whole words of the name split at `_`, `-`,
# `.` and camelCase humps (so MAX_TOKENS, TOKENIZER or PWD do not match).
sensitive_words := `(password|passwd|secret|token|api_?key|private_?key|access_?key|secret_?key|credentials?|client_?secret|auth_?key)`

# Suffixes that name where a credential is, not the credential itself.
reference_suffixes := ["_file", "_path", "_dir", "_ref", "_name", "_id", "_url", "_version"]

sensitive_name(name) if {
	n = words(name)
	regex.match(concat("", [`(^|_)`, sensitive_words, `(_|$)`]), n)
	not reference_name(n)
}

# "dbPassword-file" -> "db_password_file".
words(name) := lower(regex.replace(regex.replace(name, `([a-z0-9])([A-Z])`, "${1}_${2}"), `[-.\s]+`, "_")) if is_string(name)

reference_name(n) if {
	some suffix in reference_suffixes
	endswith(n, suffix)
}

value_kinds := {
	"an AWS access key id": `AKIA[0-9A-Z]{16}`,
	"a private key": `-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`,
	"a GitHub token": `gh[pousr]_[A-Za-z0-9]{36}`,
	"a Slack token": `xox[abposr]-[A-Za-z0-9-]{10,}`,
	"a URL with a password": `[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`,
}

secret_patterns := [pattern | some pattern in value_kinds]

# Any of value_kinds, as one pattern: one match over a value or a line tells whether to look for
# which (a regex per pattern and line made a ConfigMap check the slowest of the library).
any_secret_pattern := concat("|", secret_patterns)

# Text in which sensitive_name may find a credential word, whatever its case and separators (a
# superset: a line without it names no credential).
credential_word_pattern := `(?i)(passw|secret|token|api.?key|private.?key|access.?key|credential|auth.?key)`

secret_value(value) if {
	is_string(value)
	some pattern in secret_patterns
	regex.match(pattern, value)
}

# A literal worth reporting: non-empty (quotes stripped) and not a $(VAR)/${VAR} reference, an
# empty collection, a boolean, an absolute path or an obvious placeholder.
literal(value) if {
	is_string(value)
	v = trim(trim_space(value), `"'`)
	v != ""
	not regex.match(`^(\$\([A-Za-z0-9_]+\)|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|<[^>]*>|\{\{.*\}\}|\[\]|\{\}|null|~|changeme|CHANGEME|xxx+|XXX+)$`, v)
	# flags such as MYSQL_ALLOW_EMPTY_PASSWORD=yes, and paths such as GOOGLE_APPLICATION_CREDENTIALS
	not regex.match(`^(?i:yes|no|on|off|true|false|0|1)$`, v)
	not regex.match(`^/[^\s]*$`, v)
}

# A value that is source code reading the credential from somewhere else (an embedded Python,
# shell or JavaScript file: token=os.environ["HF_TOKEN"], password = getenv("DB_PASSWORD"),
# process.env.TOKEN, ENV["X"], $(command), a function call or a subscript), not the credential
# itself.
code_reference(value) if {
	is_string(value)
	regex.match("^\\s*(\\$\\(|\\$\\{|`|os\\.environ|os\\.getenv|getenv\\b|process\\.env\\b|System\\.getenv|ENV\\[|ENV\\.fetch|[A-Za-z_][A-Za-z0-9_.]*\\s*[(\\[])", value)
}
