# METADATA
# title: Plaintext Secret committed
# description: |
#   Flags Secrets whose data or stringData holds values in the clear. Base64 in data is an
#   encoding, not encryption: anyone who can read the repository (and its history, forever) has
#   the credential. A Secret passes when it is fully SOPS-encrypted (a top-level sops map and
#   every data/stringData value ENC[...]); sealed or external secrets (SealedSecret,
#   ExternalSecret) are other kinds and never flagged. One finding per Secret, at data (or
#   stringData when data holds nothing in the clear), naming its plain keys. Public certificate
#   material is no secret: a value that is only PEM CERTIFICATE or PUBLIC KEY blocks (ca.crt, a
#   tls.crt without its key) does not count, so a Secret holding only such values passes.
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
	count(plain_keys) > 0
	field = [f | some f in ["data", "stringData"]; count(plain_keys[f]) > 0][0]
	keys = sort([sprintf("%s.%s", [f, k]) | some f, ks in plain_keys; some k in ks])
	result = {
		"msg": sprintf("%s: %s committed in plain text (not SOPS-encrypted): %s", [data.tollgate.lib.k8s.resource, describe(count(keys)), summary(keys)]),
		"path": [field],
	}
}

# field -> the keys of that field whose value is in the clear (and not public).
plain_keys[field] := {key |
	some key, value in input[field]
	not encrypted(value)
	not public(field, value)
} if {
	some field in ["data", "stringData"]
	is_object(input[field])
}

describe(1) := "1 value is"

describe(n) := sprintf("%d values are", [n]) if n > 1

# At most 5 keys in a message; the rest counted.
summary(keys) := concat(", ", keys) if count(keys) <= 5

summary(keys) := sprintf("%s and %d more", [concat(", ", array.slice(keys, 0, 5)), count(keys) - 5]) if count(keys) > 5

encrypted(value) if {
	is_object(input.sops)
	is_string(value)
	regex.match(`^ENC\[[A-Za-z0-9_]+,data:`, value)
}

# An empty value holds no secret.
encrypted(value) if value in {"", null}

# Public certificate material: PEM blocks, all of them CERTIFICATE or PUBLIC KEY ones (data
# values are base64 of the text).
public(field, value) if {
	field == "stringData"
	public_pem(value)
}

public(field, value) if {
	field == "data"
	is_string(value)
	base64.is_valid(value)
	public_pem(base64.decode(value))
}

public_blocks := {"-----BEGIN CERTIFICATE-----", "-----BEGIN TRUSTED CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----", "-----BEGIN X509 CRL-----"}

public_pem(text) if {
	is_string(text)
	blocks = regex.find_n(`-----BEGIN [A-Z0-9 ]+-----`, text, -1)
	count(blocks) > 0
	count([b | some b in blocks; not b in public_blocks]) == 0
	not contains(text, "PRIVATE KEY")
}
