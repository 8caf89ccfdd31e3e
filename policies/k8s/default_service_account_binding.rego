# METADATA
# title: Role bound to a default service account
# description: |
#   Flags RoleBinding and ClusterRoleBinding subjects that are a ServiceAccount named default.
#   Every pod of that namespace without its own service account runs as default, so the role is
#   granted to all of them.
# custom:
#   id: k8s/default-service-account-binding
#   severity: medium
#   remediation: Create a dedicated ServiceAccount for the workload that needs the role and bind that instead.
#   kinds: [RoleBinding, ClusterRoleBinding]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.5"}]
#     nsa: [RBAC]
#   aliases: {checkov: CKV_K8S_42}
package tollgate.k8s.default_service_account_binding

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	input.kind in data.tollgate.lib.rbac.binding_kinds
	some k, subject in rbac.list(input, "subjects")
	subject.kind == "ServiceAccount"
	subject.name == "default"
	result = {
		"msg": sprintf("%s: binds the default ServiceAccount of namespace %v", [data.tollgate.lib.k8s.resource, object.get(subject, "namespace", object.get(input, ["metadata", "namespace"], "<unset>"))]),
		"path": ["subjects", k, "name"],
	}
}
