# METADATA
# title: Write access to Secrets
# description: |
#   Flags Role and ClusterRole rules that grant create, update, patch, delete or deletecollection
#   on secrets (directly or through "*") in the core API group. Creating a Secret of type
#   kubernetes.io/service-account-token yields a token for any service account of the namespace;
#   updating one swaps the credentials or TLS keys a workload trusts. A rule restricted with
#   resourceNames passes unless it grants create or deletecollection, which resourceNames do not
#   restrict. Read access is k8s/rbac-secret-read's.
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-secret-write
#   severity: high
#   remediation: Remove the write verbs on secrets, or restrict update and patch with resourceNames to the Secrets the subject manages.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.2"}]
#     nsa: [RBAC]
#   aliases:
#     trivy: [KSV-0041, KSV-0113]
#     kube-linter: access-to-secrets
#     kyverno: restrict-secret-role-verbs
package tollgate.k8s.rbac_secret_write

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	unrestricted_write(entry.rule)
	some j in rbac.specific_hits(entry.rule, {"secrets"})
	result = {
		"msg": sprintf("%s: rule %d grants write access to Secrets", [data.tollgate.lib.k8s.resource, entry.path[1]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}

# resourceNames cannot restrict create (the name is not known when it is authorized) nor
# deletecollection.
unrestricted_write(rule) if rbac.grants_verb(rule, {"create", "deletecollection"})

unrestricted_write(rule) if {
	not is_array(rule.resourceNames)
	rbac.grants_verb(rule, {"update", "patch", "delete"})
}
