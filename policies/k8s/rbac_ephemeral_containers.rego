# METADATA
# title: Can add ephemeral containers
# description: |
#   Flags Role and ClusterRole rules that grant create, update or patch on
#   pods/ephemeralcontainers (also through pods/* or *), what kubectl debug uses. An ephemeral
#   container joins a running pod with an image and command of the caller's choosing: a shell
#   with the pod's service account token, Secrets and volumes, like pods/exec
#   (k8s/rbac-pod-exec), and with a security context the pod's own containers may not have.
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-ephemeral-containers
#   severity: high
#   remediation: Remove pods/ephemeralcontainers from the role; grant debugging access temporarily through a break-glass process.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.4"}]
#     nsa: [RBAC]
package tollgate.k8s.rbac_ephemeral_containers

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	rbac.grants_verb(entry.rule, {"create", "update", "patch"})
	some j in rbac.specific_hits(entry.rule, {"pods/ephemeralcontainers"})
	result = {
		"msg": sprintf("%s: rule %d grants %v: running a container of the caller's choosing in existing pods", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
