# METADATA
# title: Image on :latest or without a tag
# description: |
#   Flags containers whose image uses the :latest tag or has neither a tag nor a digest (which
#   means :latest). The image that runs then changes whenever the tag is pushed, so deployments
#   are not reproducible and a rollback may not restore the old code.
# custom:
#   id: k8s/mutable-image-tag
#   severity: high
#   remediation: Reference images by an immutable version tag (app:1.4.2) or, better, by digest (app@sha256:...).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [IMG]
#   aliases:
#     trivy: KSV-0013
#     checkov: CKV_K8S_14
#     kube-linter: latest-tag
#     polaris: tagNotSpecified
#     kyverno: disallow-latest-tag
#     gatekeeper: k8sdisallowedtags
package tollgate.k8s.mutable_image_tag

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	image = entry.container.image
	is_string(image)
	endswith(image, ":latest")
	result = {
		"msg": sprintf("%s: %s uses the mutable :latest image tag (%s)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), image]),
		"path": array.concat(entry.path, ["image"]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	image = entry.container.image
	is_string(image)
	not pinned(image)
	result = {
		"msg": sprintf("%s: %s image has no tag or digest, so it means :latest (%s)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), image]),
		"path": array.concat(entry.path, ["image"]),
	}
}

# A digest, or a tag after the last path segment (a registry port such as host:5000/app is no tag).
pinned(image) if contains(image, "@")

pinned(image) if {
	segments = split(image, "/")
	contains(segments[count(segments) - 1], ":")
}
