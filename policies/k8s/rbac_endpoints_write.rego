# METADATA
# title: Can write Endpoints or EndpointSlices
# description: |
#   Flags Role and ClusterRole rules that grant create, update or patch on endpoints (core API
#   group) or endpointslices (discovery.k8s.io), directly or through "*". Whoever writes them
#   decides where a Service's traffic goes, including to addresses outside the namespace such
#   as another namespace's pods or the cluster's control plane (CVE-2021-25740); Kubernetes
#   1.22 removed these verbs from the built-in edit and admin roles for that reason. The
#   EndpointSlice controller and service meshes that need them run with their own roles.
#   A bare "*" resource is k8s/rbac-wildcard's when that check runs.
# custom:
#   id: k8s/rbac-endpoints-write
#   severity: medium
#   remediation: Remove write access to endpoints and endpointslices; use Services with selectors, or ExternalName Services.
#   kinds: [Role, ClusterRole]
#   profiles: [extended]
#   frameworks:
#     nsa: [RBAC]
#   aliases:
#     trivy: KSV-0056
#     gatekeeper: k8sblockendpointeditdefaultrole
#     kyverno: restrict-edit-for-endpoints
package tollgate.k8s.rbac_endpoints_write

import rego.v1

import data.tollgate.lib.rbac

# [api group, resource]
endpoint_kinds := [["", "endpoints"], ["discovery.k8s.io", "endpointslices"]]

deny contains result if {
	some entry in data.tollgate.lib.rbac.rules
	rbac.grants_verb(entry.rule, {"create", "update", "patch"})
	hits := {j |
		some [group, resource] in endpoint_kinds
		rbac.matches_group(entry.rule, {group})
		some j in rbac.specific_hits(entry.rule, {resource})
	}
	some j in hits
	result = {
		"msg": sprintf("%s: rule %d can write %v, redirecting Service traffic (CVE-2021-25740)", [data.tollgate.lib.k8s.resource, entry.path[1], entry.rule.resources[j]]),
		"path": array.concat(entry.path, ["resources", j]),
	}
}
