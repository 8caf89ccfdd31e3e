# METADATA
# title: Plaintext Secret committed
# description: |
#   Flags Secrets whose data or stringData holds values in the clear. Base64 in data is an
#   encoding, not encryption: anyone who can read the repository (and its history, forever) has
#   the credential. A Secret passes when it is fully SOPS-encrypted (a top-level sops map and
#   every data/stringData value ENC[...]); sealed or external secrets (SealedSecret,
#   ExternalSecret) are other kinds and never flagged.
# custom:
#   id: gitops/plaintext-secret
#   severity: critical
#   remediation: Encrypt the Secret with SOPS, convert it to a SealedSecret, or fetch it with External Secrets; then rotate the exposed credential and purge it from history.
#   kinds: [Secret]
#   profiles: [gitops]
#   frameworks:
#     cis: [{version: "1.12", id: "5.4.2"}]
#     nsa: [SEC]
package tollgate.gitops.plaintext_secret

import rego.v1

deny contains result if {
	input.kind == "Secret"
	some field in ["data", "stringData"]
	values = input[field]
	is_object(values)
	some key, value in values
	not encrypted(value)
	result = {
		"msg": sprintf("%s: %s.%s is committed in plain text (not SOPS-encrypted)", [data.tollgate.lib.k8s.resource, field, key]),
		"path": [field, key],
	}
}

encrypted(value) if {
	is_object(input.sops)
	is_string(value)
	regex.match(`^ENC\[[A-Za-z0-9_]+,data:`, value)
}

# An empty value holds no secret.
encrypted(value) if value in {"", null}
