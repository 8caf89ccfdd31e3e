# METADATA
# title: Can create pods or workloads
# description: |
#   Flags Role and ClusterRole rules that grant create, update or patch on pods or on a kind that
#   creates pods (deployments, statefulsets, daemonsets, replicasets, replicationcontrollers,
#   jobs, cronjobs, podtemplates). Whoever can create a pod can run it with any service account
#   of the namespace and mount any of its Secrets, so this is privilege escalation within the
#   namespace.
# custom:
#   id: k8s/rbac-workload-create
#   severity: medium
#   remediation: Grant workload write access only to deployment tooling (the GitOps controller) and give people read-only roles.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.4"}]
#     nsa: [RBAC]
#   aliases: {trivy: KSV-0048, kube-linter: access-to-create-pods}
package tollgate.k8s.rbac_workload_create

import rego.v1

import data.tollgate.lib.rbac

workload_resources := {
	"pods", "deployments", "statefulsets", "daemonsets", "replicasets",
	"replicationcontrollers", "jobs", "cronjobs", "podtemplates",
}

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {"", "apps", "batch", "extensions"})
	rbac.grants_verb(entry.rule, {"create", "update", "patch"})
	some j in rbac.resource_hits(entry.rule, workload_resources)
	result = {
		"msg": sprintf("%s: rule %d can create or change %v, which run pods", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
