# METADATA
# title: Helm 2 Tiller deployed
# description: |
#   Flags a container running Helm 2's Tiller (an image whose repository name is tiller, from any
#   registry). Tiller serves an unauthenticated gRPC API inside the cluster and usually runs with
#   cluster-admin: any pod that reaches it installs whatever it likes. Helm 3 has no Tiller, and
#   Helm 2 has had no security fixes since 2020.
# custom:
#   id: k8s/helm-tiller
#   severity: high
#   remediation: Migrate the releases to Helm 3 (helm-2to3) and delete the Tiller Deployment, its ServiceAccount and its cluster-admin binding.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   aliases:
#     trivy: KSV-0102
#     checkov: CKV_K8S_34
#     kyverno: disallow-helm-tiller
package tollgate.k8s.helm_tiller

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	image = entry.container.image
	is_string(image)
	repository_name(image) == "tiller"
	result = {
		"msg": sprintf("%s: %s runs Helm 2's Tiller (%s)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), image]),
		"path": array.concat(entry.path, ["image"]),
	}
}

# The last path segment of the image reference, without tag or digest:
# gcr.io/kubernetes-helm/tiller:v2.17.0 -> tiller.
repository_name(image) := name if {
	without_digest = split(image, "@")[0]
	segments = split(without_digest, "/")
	last = segments[count(segments) - 1]
	name = lower(split(last, ":")[0])
}
