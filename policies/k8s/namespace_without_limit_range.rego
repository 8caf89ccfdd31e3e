# METADATA
# title: Namespace without a LimitRange
# description: |
#   Flags a Namespace of the commit for which the commit holds no LimitRange (a cross-resource
#   check: it reads the commit's inventory). Without a LimitRange a container that sets no
#   requests or limits gets none: the scheduler places it as if it used nothing and it may take
#   all of a node's memory and CPU (and a ResourceQuota on cpu or memory rejects such pods
#   outright). A LimitRange gives them defaults and bounds. Only Namespace objects of the commit
#   are judged: a namespace that only appears in other objects' metadata.namespace is managed
#   elsewhere. Which limits it sets is not judged.
# custom:
#   id: k8s/namespace-without-limit-range
#   severity: low
#   remediation: Add a LimitRange to the namespace with default requests and limits (and maximums) for containers' cpu and memory.
#   kinds: [Namespace]
#   scope: inventory
#   profiles: [extended]
#   frameworks:
#     nsa: [RQ]
#   aliases:
#     trivy: KSV-0039
package tollgate.k8s.namespace_without_limit_range

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Namespace"
	name = input.metadata.name
	is_string(name)
	count(inventory.objects_in(name, "LimitRange")) == 0
	result = {
		"msg": sprintf("%s: no LimitRange of the commit sets default requests and limits in the namespace", [data.tollgate.lib.k8s.resource]),
		"path": ["metadata", "name"],
	}
}
