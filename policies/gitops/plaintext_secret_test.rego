package tollgate.gitops.plaintext_secret_test

import rego.v1

import data.tollgate.gitops.plaintext_secret

enc := "ENC[AES256_GCM,data:q2Fp,iv:abc=,tag:def=,type:str]"

cert := "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n"

key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----\n"

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

# One finding per Secret, at data (stringData when data has nothing in the clear), naming the keys.
test_plain_values_fail_once_per_secret if {
	findings := plaintext_secret.deny with input as {"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "app"}}
	findings == {{"msg": "Secret/db: 2 values are committed in plain text (not SOPS-encrypted): data.password, stringData.user", "path": ["data"]}}
	only_string := plaintext_secret.deny with input as {"kind": "Secret", "metadata": {"name": "db"}, "data": {}, "stringData": {"token": "x"}}
	only_string == {{"msg": "Secret/db: 1 value is committed in plain text (not SOPS-encrypted): stringData.token", "path": ["stringData"]}}
}

test_many_keys_are_summarised if {
	findings := plaintext_secret.deny with input as {"kind": "Secret", "metadata": {"name": "db"}, "stringData": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7"}}
	findings == {{"msg": "Secret/db: 7 values are committed in plain text (not SOPS-encrypted): stringData.a, stringData.b, stringData.c, stringData.d, stringData.e and 2 more", "path": ["stringData"]}}
}

test_partly_encrypted_fails if {
	findings := plaintext_secret.deny with input as {"kind": "Secret", "metadata": {"name": "db"}, "data": {"a": enc, "b": "cGxhaW4="}, "sops": {"mac": enc}}
	count(findings) == 1
}

test_enc_marker_without_sops_metadata_fails if {
	count(plaintext_secret.deny) == 1 with input as {"kind": "Secret", "metadata": {"name": "db"}, "data": {"a": enc}}
}

# Public certificate material alone is no secret; with its private key it is.
test_public_certificates_pass if {
	count(plaintext_secret.deny) == 0 with input as {"kind": "Secret", "metadata": {"name": "ca"}, "data": {"ca.crt": base64.encode(cert)}}
	count(plaintext_secret.deny) == 0 with input as {"kind": "Secret", "metadata": {"name": "ca"}, "stringData": {"ca.crt": cert, "server.crt": concat("", [cert, cert])}}
	count(plaintext_secret.deny) == 0 with input as {"kind": "Secret", "metadata": {"name": "ca"}, "stringData": {"key.pub": "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"}}
}

test_private_key_fails if {
	findings := plaintext_secret.deny with input as {"kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls", "data": {"tls.crt": base64.encode(cert), "tls.key": base64.encode(key)}}
	findings == {{"msg": "Secret/tls: 1 value is committed in plain text (not SOPS-encrypted): data.tls.key", "path": ["data"]}}
	# A certificate and its key in one value; text that only names itself a certificate.
	count(plaintext_secret.deny) == 1 with input as {"kind": "Secret", "metadata": {"name": "x"}, "stringData": {"bundle.pem": concat("", [cert, key])}}
	count(plaintext_secret.deny) == 1 with input as {"kind": "Secret", "metadata": {"name": "x"}, "stringData": {"ca.crt": "not a certificate"}}
	count(plaintext_secret.deny) == 1 with input as {"kind": "Secret", "metadata": {"name": "x"}, "data": {"ca.crt": "%%% not base64"}}
}
