# METADATA
# title: Write access to ConfigMaps
# description: |
#   Flags Role and ClusterRole rules that grant create, update, patch, delete or deletecollection
#   on configmaps (directly or through "*") in the core API group. A workload's configuration
#   often decides what it trusts (a proxy's upstreams, a controller's feature flags, a script a
#   pod runs at start): whoever can rewrite it can steer the workload, and ConfigMaps are where
#   kube-system keeps cluster settings (EKS aws-auth, kubeadm-config, coredns). A rule restricted
#   with resourceNames passes unless it grants create or deletecollection, which resourceNames
#   do not restrict. A rule that reaches the EKS aws-auth ConfigMap is
#   k8s/rbac-aws-auth-write's, and a bare "*" resource k8s/rbac-wildcard's, when those checks run.
# custom:
#   id: k8s/rbac-configmap-write
#   severity: medium
#   remediation: Remove the write verbs on configmaps, or restrict update and patch with resourceNames to the ConfigMaps the subject manages.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     nsa: [RBAC]
#   aliases:
#     trivy: KSV-0049
package tollgate.k8s.rbac_configmap_write

import rego.v1

import data.tollgate.lib.rbac

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.matches_group(entry.rule, {""})
	unrestricted_write(entry.rule)
	not aws_auth_reported(entry.rule)
	some j in rbac.specific_hits(entry.rule, {"configmaps"})
	result = {
		"msg": sprintf("%s: rule %d grants write access to ConfigMaps", [data.tollgate.lib.k8s.resource, entry.path[1]]),
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

aws_auth_reported(rule) if {
	data.tollgate.selected["k8s/rbac-aws-auth-write"]
	rbac.aws_auth_write(rule)
}
