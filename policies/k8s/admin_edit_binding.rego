# METADATA
# title: Binding to the admin or edit ClusterRole
# description: |
#   Flags RoleBindings and ClusterRoleBindings whose roleRef is the built-in admin or edit
#   ClusterRole and that bind at least one subject outside the system (a User or Group not
#   named system:…, a ServiceAccount outside kube-system). Both roles read every Secret and
#   create any workload with any service account (admin also edits the namespace's RBAC);
#   through a ClusterRoleBinding, in every namespace. Bindings to cluster-admin are
#   k8s/cluster-admin-binding's.
# custom:
#   id: k8s/admin-edit-binding
#   severity: high
#   remediation: Bind a role with the permissions the subject needs; for people, prefer view plus a narrow write role, in their own namespaces only.
#   kinds: [RoleBinding, ClusterRoleBinding]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.1"}]
#     nsa: [RBAC]
package tollgate.k8s.admin_edit_binding

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	input.kind in data.tollgate.lib.rbac.binding_kinds
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name in {"admin", "edit"}
	some k, subject in rbac.list(input, "subjects")
	is_object(subject)
	not system_subject(subject)
	result = {
		"msg": sprintf("%s: grants the %s ClusterRole to %s %v", [data.tollgate.lib.k8s.resource, input.roleRef.name, object.get(subject, "kind", "<no kind>"), object.get(subject, "name", "<no name>")]),
		"path": ["subjects", k],
	}
}

system_subject(subject) if {
	subject.kind in {"User", "Group"}
	is_string(subject.name)
	startswith(subject.name, "system:")
}

system_subject(subject) if {
	subject.kind == "ServiceAccount"
	subject.namespace == "kube-system"
}
