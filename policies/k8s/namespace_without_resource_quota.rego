# METADATA
# title: Namespace without a ResourceQuota
# description: |
#   Flags a Namespace of the commit for which the commit holds no ResourceQuota (a cross-resource
#   check: it reads the commit's inventory). Without a quota nothing bounds what the namespace's
#   workloads may request in total, so one team's runaway Deployment, or a compromised one that
#   scales itself, starves every other namespace of the cluster. Only Namespace objects of the
#   commit are judged: a namespace that only appears in other objects' metadata.namespace is
#   managed elsewhere. Whether the quota sets cpu and memory is not judged.
# custom:
#   id: k8s/namespace-without-resource-quota
#   severity: low
#   remediation: Add a ResourceQuota to the namespace that bounds requests.cpu, requests.memory, limits.cpu and limits.memory (and object counts where they matter).
#   kinds: [Namespace]
#   scope: inventory
#   profiles: [extended]
#   frameworks:
#     nsa: [RQ]
#   aliases:
#     trivy: KSV-0040
package tollgate.k8s.namespace_without_resource_quota

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Namespace"
	name = input.metadata.name
	is_string(name)
	count(inventory.objects_in(name, "ResourceQuota")) == 0
	result = {
		"msg": sprintf("%s: no ResourceQuota of the commit limits the namespace", [data.tollgate.lib.k8s.resource]),
		"path": ["metadata", "name"],
	}
}
