# METADATA
# title: HorizontalPodAutoscaler targets a workload that is not in the commit
# description: |
#   Flags a HorizontalPodAutoscaler whose scaleTargetRef names a Deployment, StatefulSet,
#   ReplicaSet or ReplicationController that no manifest of the commit defines in its namespace
#   (a cross-resource check: it reads the commit's inventory). The autoscaler then scales
#   nothing, usually because of a typo or a renamed workload. The commit cannot tell when the
#   workload comes from elsewhere, so the check stays quiet unless it can: a target of another
#   kind or of an API group that is not Kubernetes' own (an Argo Rollout) is not judged, nor is
#   one in a namespace where the commit holds no workload at all, or an object of an API group
#   that is not Kubernetes' own (an operator's resource, a HelmRelease: they create workloads the
#   manifests do not show). A manifest without metadata.namespace counts as being in "default".
# custom:
#   id: k8s/dangling-hpa
#   severity: medium
#   remediation: Point scaleTargetRef at the kind and name of a workload of the autoscaler's namespace, or remove the autoscaler.
#   kinds: [HorizontalPodAutoscaler]
#   scope: inventory
#   profiles: [correctness]
#   aliases:
#     kube-linter: dangling-horizontalpodautoscaler
#     gatekeeper: k8shorizontalpodautoscaler
#     kyverno: verify-vpa-target
package tollgate.k8s.dangling_hpa

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	input.kind == "HorizontalPodAutoscaler"
	target = input.spec.scaleTargetRef
	kind = target.kind
	kind in {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
	object.get(target, "apiVersion", "apps/v1") in {"apps/v1", "v1", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"}
	name = target.name
	is_string(name)
	not data.tollgate.lib.inventory.custom_resources
	data.tollgate.lib.inventory.workload_count > 0
	count(inventory.named(kind, name)) == 0
	result = {
		"msg": sprintf(
			"%s: scaleTargetRef %s/%s is not defined in namespace '%s' by any manifest of the commit; the autoscaler scales nothing",
			[data.tollgate.lib.k8s.resource, kind, name, data.tollgate.lib.inventory.namespace],
		),
		"path": ["spec", "scaleTargetRef", "name"],
	}
}
