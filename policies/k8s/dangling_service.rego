# METADATA
# title: Service whose selector matches no pod of the commit
# description: |
#   Flags a Service whose spec.selector matches the pod template labels of no workload (Pod,
#   Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob,
#   PodTemplate) of its namespace among the manifests of the commit (a cross-resource check: it
#   reads the commit's inventory). Such a Service has no endpoints: every connection to it fails,
#   usually because of a typo or a label changed on one side only. The commit cannot tell when
#   the pods come from elsewhere, so the check stays quiet unless it can: a Service without a
#   selector or of type ExternalName is not judged, nor is one whose directory holds no workload
#   of its namespace (a Service usually sits beside its workload; a Helm chart's templates
#   directory holds Services whose Deployments are templated and not read), nor one in a
#   namespace where the commit holds an object of an API group that is not Kubernetes' own (an
#   operator's resource, a HelmRelease, an Argo CD Application: they create pods the manifests
#   do not show). Labels that controllers add to pods (statefulset.kubernetes.io/pod-name,
#   job-name, pod-template-hash, ...) are left out of the selector. A manifest without
#   metadata.namespace counts as being in "default". The workloads carrying the selector's
#   rarest label are matched (at most 100; beyond, the check stays quiet).
# custom:
#   id: k8s/dangling-service
#   severity: medium
#   remediation: Make the Service's selector match the labels of the pod template it should route to (or the template's labels match the selector); remove the Service if nothing should back it.
#   kinds: [Service]
#   scope: inventory
#   profiles: [correctness]
#   aliases:
#     kube-linter: dangling-service
package tollgate.k8s.dangling_service

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Service"
	not input.spec.type == "ExternalName"
	selector = input.spec.selector
	is_object(selector)
	count(selector) > 0
	not data.tollgate.lib.inventory.custom_resources
	data.tollgate.lib.inventory.beside_workloads
	inventory.pod_match({"matchLabels": selector}) == "none"
	result = {
		"msg": sprintf(
			"%s: selector %s matches the pods of no workload in namespace '%s'; the Service has no endpoints",
			[data.tollgate.lib.k8s.resource, json.marshal(selector), data.tollgate.lib.inventory.namespace],
		),
		"path": ["spec", "selector"],
	}
}
