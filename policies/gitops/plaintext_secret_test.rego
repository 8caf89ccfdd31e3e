package tollgate.gitops.plaintext_secret_test

import rego.v1

import data.tollgate.gitops.plaintext_secret

enc := "ENC[AES256_GCM,data:q2Fp,iv:abc=,tag:def=,type:str]"

test_sops_encrypted_passes if {
	count(plaintext_secret.deny) == 0 with input as {
		"kind": "Secret",
		"metadata": {"name": "db"},
		"data": {"password": enc},
		"stringData": {"user": enc, "empty": ""},
		"sops": {"age": [{"recipient": "age1xyz"}], "mac": enc},
	}
	count(plaintext_secret.deny) == 0 with input as {"kind": "Secret", "metadata": {"name": "token"}, "type": "kubernetes.io/service-account-token"}
}

test_plain_values_fail if {
	findings := plaintext_secret.deny with input as {"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "app"}}
	findings == {
		{"msg": "Secret/db: data.password is committed in plain text (not SOPS-encrypted)", "path": ["data", "password"]},
		{"msg": "Secret/db: stringData.user is committed in plain text (not SOPS-encrypted)", "path": ["stringData", "user"]},
	}
}

test_partly_encrypted_fails if {
	findings := plaintext_secret.deny with input as {"kind": "Secret", "metadata": {"name": "db"}, "data": {"a": enc, "b": "cGxhaW4="}, "sops": {"mac": enc}}
	count(findings) == 1
}

test_enc_marker_without_sops_metadata_fails if {
	count(plaintext_secret.deny) == 1 with input as {"kind": "Secret", "metadata": {"name": "db"}, "data": {"a": enc}}
}
