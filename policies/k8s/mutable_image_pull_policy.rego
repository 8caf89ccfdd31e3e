# METADATA
# title: Mutable image tag with imagePullPolicy IfNotPresent or Never
# description: |
#   Flags containers whose image is on :latest or has neither tag nor digest (which means :latest)
#   and that set imagePullPolicy to IfNotPresent or Never. Kubernetes pulls such an image Always
#   when imagePullPolicy is unset; with these values a node keeps the copy it pulled first, so a
#   push to the tag reaches only nodes that never had it and the replicas of one workload run
#   different code (and whoever can place an image under that name on a node picks what runs).
#   The tag itself is k8s/mutable-image-tag's (at the image field): this check judges the pull
#   policy that goes with it, which is fixed either by pinning the image or by pulling Always.
# custom:
#   id: k8s/mutable-image-pull-policy
#   severity: low
#   remediation: Pin the image to a version tag or digest; if it must stay mutable, set imagePullPolicy to Always (or leave it unset).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     nsa: [IMG]
#   aliases:
#     kyverno: imagepullpolicy-always
package tollgate.k8s.mutable_image_pull_policy

import rego.v1

import data.tollgate.lib.k8s

cached_policies := {"IfNotPresent", "Never"}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	policy = entry.container.imagePullPolicy
	policy in cached_policies
	image = entry.container.image
	is_string(image)
	mutable(image)
	result = {
		"msg": sprintf("%s: %s pulls the mutable image %s with imagePullPolicy %s, so each node keeps the copy it pulled first", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), image, policy]),
		"path": array.concat(entry.path, ["imagePullPolicy"]),
	}
}

mutable(image) if {
	not contains(image, "@")
	endswith(image, ":latest")
}

# Neither a digest nor a tag after the last path segment (a registry port such as host:5000/app
# is no tag).
mutable(image) if {
	not contains(image, "@")
	segments = split(image, "/")
	not contains(segments[count(segments) - 1], ":")
}
