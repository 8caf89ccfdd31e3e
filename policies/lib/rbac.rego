# Shared helpers for the RBAC checks (`import data.tollgate.lib.rbac`).
#
#   rbac.rules                        set of {"rule": r, "path": ["rules", i]} of a Role/ClusterRole
#   rbac.list(rule, field)            rule[field] when it is an array, else []
#   rbac.matches_group(rule, groups)  the rule's apiGroups contain one of groups or "*"
#   rbac.resource_hits(rule, res)     indexes of the rule's resources that match one of res ("*",
#                                     "pods/*" for subresources included)
#   rbac.grants_verb(rule, verbs)     the rule's verbs contain one of verbs or "*"
#   rbac.specific_hits(rule, res)     resource_hits less a bare "*" that k8s/rbac-wildcard reports
#   rbac.aws_auth_write(rule)         the rule is one k8s/rbac-aws-auth-write reports
package tollgate.lib.rbac

import rego.v1

role_kinds := {"Role", "ClusterRole"}

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

rules contains {"rule": r, "path": ["rules", i]} if {
	input.kind in role_kinds
	is_array(input.rules)
	some i, r in input.rules
	is_object(r)
}

list(rule, field) := l if {
	l = rule[field]
	is_array(l)
} else := []

matches_group(rule, groups) if {
	some g in list(rule, "apiGroups")
	g in (groups | {"*"})
}

resource_hits(rule, resources) := {j |
	some j, res in list(rule, "resources")
	resource_matches(res, resources)
}

resource_matches(res, _) if res == "*"

resource_matches(res, resources) if res in resources

# "pods/*" covers every subresource of pods.
resource_matches(res, resources) if {
	is_string(res)
	endswith(res, "/*")
	prefix = trim_suffix(res, "*")
	some wanted in resources
	startswith(wanted, prefix)
}

grants_verb(rule, verbs) if {
	some v in list(rule, "verbs")
	v in (verbs | {"*"})
}


# resource_hits without a bare "*" when k8s/rbac-wildcard runs: that check reports the wildcard
# once, at the same field, so a narrower check does not report it again for each permission it
# implies. Without k8s/rbac-wildcard (or in `tollgate verify`) the "*" counts.
specific_hits(rule, resources) := {j |
	some j in resource_hits(rule, resources)
	not wildcard_reported(rule.resources[j])
}

wildcard_reported("*") if data.tollgate.selected["k8s/rbac-wildcard"]

# The rules k8s/rbac-aws-auth-write reports: write verbs on configmaps naming aws-auth, or a Role
# in kube-system writing configmaps without resourceNames. k8s/rbac-configmap-write leaves them to
# that check when it runs (same field, a sharper judgement).
aws_auth_write(rule) if {
	grants_verb(rule, {"create", "update", "patch", "delete"})
	"aws-auth" in list(rule, "resourceNames")
}

aws_auth_write(rule) if {
	grants_verb(rule, {"create", "update", "patch", "delete"})
	input.kind == "Role"
	input.metadata.namespace == "kube-system"
	not is_array(rule.resourceNames)
}
