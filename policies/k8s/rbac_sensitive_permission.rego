# METADATA
# title: Can proxy to nodes, mint tokens, approve CSRs, change webhooks or create PVs
# description: |
#   Flags Role and ClusterRole rules that grant nodes/proxy (direct kubelet API access, which
#   skips admission and audit), create on serviceaccounts/token (minting tokens for any service
#   account), update or patch on certificatesigningrequests/approval or approve on signers
#   (issuing client certificates), write access to mutating or validating webhook configurations
#   (intercepting or disabling admission), or create on persistentvolumes (mounting host paths).
# custom:
#   id: k8s/rbac-sensitive-permission
#   severity: high
#   remediation: Remove the permission, or keep it in a role reserved for the platform component that needs it.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis:
#       - {version: "1.12", id: "5.1.9"}
#       - {version: "1.12", id: "5.1.10"}
#       - {version: "1.12", id: "5.1.11"}
#       - {version: "1.12", id: "5.1.12"}
#       - {version: "1.12", id: "5.1.13"}
#     nsa: [RBAC]
#   aliases:
#     trivy: [KSV-0047, KSV-0114]
#     checkov: [CKV_K8S_155, CKV_K8S_156, CKV2_K8S_2]
#     kyverno: [restrict-clusterrole-nodesproxy, restrict-clusterrole-csr, restrict-clusterrole-mutating-validating-admission-webhooks]
package tollgate.k8s.rbac_sensitive_permission

import rego.v1

import data.tollgate.lib.rbac

# [api groups, resources, verbs, what it allows]
sensitive := [
	[{""}, {"nodes/proxy"}, {"get", "create", "update", "patch"}, "direct kubelet API access"],
	[{""}, {"serviceaccounts/token"}, {"create"}, "minting service account tokens"],
	[{"certificates.k8s.io"}, {"certificatesigningrequests/approval"}, {"update", "patch"}, "approving certificate requests"],
	[{"certificates.k8s.io"}, {"signers"}, {"approve"}, "approving certificate requests"],
	[
		{"admissionregistration.k8s.io"}, {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"},
		{"create", "update", "patch", "delete"}, "changing admission webhooks",
	],
	[{""}, {"persistentvolumes"}, {"create"}, "creating PersistentVolumes (host paths)"],
]

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	some [groups, resources, verbs, what] in sensitive
	rbac.matches_group(entry.rule, groups)
	rbac.grants_verb(entry.rule, verbs)
	some j in rbac.resource_hits(entry.rule, resources)
	# A bare "*" resource is reported once by k8s/rbac-wildcard, not once per sensitive permission.
	entry.rule.resources[j] != "*"
	result = {
		"msg": sprintf("%s: rule %d grants %v: %s", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j], what]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
