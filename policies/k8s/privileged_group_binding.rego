# METADATA
# title: Binding to a privileged or anonymous group
# description: |
#   Flags RoleBinding and ClusterRoleBinding subjects that are the groups system:masters (which
#   bypasses RBAC entirely), system:anonymous, system:unauthenticated or system:authenticated
#   (every identity of every identity provider), or the user system:anonymous. Permissions
#   bound to them reach far more principals than intended.
# custom:
#   id: k8s/privileged-group-binding
#   severity: critical
#   remediation: Bind the role to named users, groups of your identity provider, or service accounts instead.
#   kinds: [RoleBinding, ClusterRoleBinding]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.7"}]
#     nsa: [RBAC]
#   aliases:
#     trivy: [KSV-0122, KSV-0123, KSV-01011]
#     kyverno: restrict-binding-system-groups
#     gatekeeper: k8sdisallowanonymous
package tollgate.k8s.privileged_group_binding

import rego.v1

import data.tollgate.lib.rbac

groups := {"system:masters", "system:anonymous", "system:unauthenticated", "system:authenticated"}

deny contains result if {
	input.kind in data.tollgate.lib.rbac.binding_kinds
	some k, subject in rbac.list(input, "subjects")
	flagged(subject)
	result = {
		"msg": sprintf("%s: binds %s %s", [data.tollgate.lib.k8s.resource, subject.kind, subject.name]),
		"path": ["subjects", k, "name"],
	}
}

flagged(subject) if {
	subject.kind == "Group"
	subject.name in groups
}

flagged(subject) if {
	subject.kind == "User"
	subject.name == "system:anonymous"
}
