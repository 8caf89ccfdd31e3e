# METADATA
# title: Workload runs as a ServiceAccount that is not in the commit
# description: |
#   Flags a workload whose serviceAccountName (or deprecated serviceAccount) names a
#   ServiceAccount that no manifest of the commit defines in its namespace (a cross-resource
#   check: it reads the commit's inventory). The API server refuses to create its pods ("error
#   looking up service account"), so a Deployment stays at zero ready replicas. `default`
#   always exists. The commit cannot tell when the ServiceAccount comes from elsewhere, so the
#   check stays quiet unless it can: only in a namespace where the commit defines at least one
#   ServiceAccount and no object of an API group that is not Kubernetes' own (an operator's
#   resource, a HelmRelease: they create ServiceAccounts the manifests do not show); a kustomize
#   patch and a PodTemplate are not judged. A manifest without metadata.namespace counts as
#   being in "default".
# custom:
#   id: k8s/nonexistent-service-account
#   severity: high
#   remediation: Add the ServiceAccount to the workload's namespace in the commit, or fix the name in serviceAccountName.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   scope: inventory
#   profiles: [correctness]
#   aliases:
#     kube-linter: non-existent-service-account
package tollgate.k8s.nonexistent_service_account

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	data.tollgate.lib.k8s.pod_spec
	input.kind != "PodTemplate"
	name = data.tollgate.lib.inventory.service_account
	name != "default"
	not data.tollgate.lib.inventory.custom_resources
	count(inventory.objects("ServiceAccount")) > 0
	count(inventory.named("ServiceAccount", name)) == 0
	result = {
		"msg": sprintf(
			"%s: ServiceAccount %s is not defined in namespace '%s' by any manifest of the commit; its pods cannot be created",
			[data.tollgate.lib.k8s.resource, name, data.tollgate.lib.inventory.namespace],
		),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, [data.tollgate.k8s.nonexistent_service_account.field]),
	}
}

field := "serviceAccountName" if {
	name = data.tollgate.lib.k8s.pod_spec.serviceAccountName
	is_string(name)
	name != ""
} else := "serviceAccount"
