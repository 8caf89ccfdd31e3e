# METADATA
# title: Can change admission policies
# description: |
#   Flags ClusterRole rules that grant create, update, patch, delete or deletecollection on
#   ValidatingAdmissionPolicies, MutatingAdmissionPolicies or their bindings
#   (admissionregistration.k8s.io, directly or through "*"). Whoever can change them can switch
#   off the cluster's in-process admission rules, or rewrite every object that is created.
#   Admission webhook configurations are k8s/rbac-sensitive-permission's. A Role cannot grant
#   access to these cluster-scoped kinds.
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-admission-policy-write
#   severity: high
#   remediation: Remove write access to admission policies and their bindings; let only the platform pipeline manage them.
#   kinds: [ClusterRole]
#   profiles: [extended]
#   frameworks:
#     nsa: [RBAC]
package tollgate.k8s.rbac_admission_policy_write

import rego.v1

import data.tollgate.lib.rbac

admission_policies := {
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
	"mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
}

deny contains result if {
	input.kind == "ClusterRole"
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {"admissionregistration.k8s.io"})
	rbac.grants_verb(entry.rule, {"create", "update", "patch", "delete", "deletecollection"})
	some j in rbac.specific_hits(entry.rule, admission_policies)
	result = {
		"msg": sprintf("%s: rule %d can change %v, disabling or rewriting admission control", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
