# METADATA
# title: Image not pinned by digest
# description: |
#   Flags containers whose image is referenced by tag only, without an @sha256 digest. Tags can
#   be moved (or overwritten after a registry compromise), so the bytes that run are not the
#   bytes that were reviewed; a digest pins them. Tag and digest together (app:1.4.2@sha256:...)
#   pass and stay readable. An image on :latest or without a tag is left to k8s/mutable-image-tag
#   (high) when that check runs too: one finding per image.
# custom:
#   id: k8s/image-without-digest
#   severity: medium
#   remediation: Reference the image by digest, for example app:1.4.2@sha256:<digest>, and let Renovate or Dependabot update it.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.5.1"}]
#     nsa: [IMG]
#   aliases:
#     checkov: [CKV_K8S_43, CKV_K8S_15]
#     polaris: pullPolicyNotAlways
#     kyverno: require-image-checksum
#     gatekeeper: k8simagedigests
package tollgate.k8s.image_without_digest

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	image = entry.container.image
	is_string(image)
	not regex.match(`@sha(256|384|512):[0-9a-fA-F]{32,}$`, image)
	not left_to_mutable_image_tag(image)
	result = {
		"msg": sprintf("%s: %s image is not pinned by digest (%s)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), image]),
		"path": array.concat(entry.path, ["image"]),
	}
}

# An image on :latest or without a tag is k8s/mutable-image-tag's (high) when that check runs too:
# one finding on the image, the more severe one.
left_to_mutable_image_tag(image) if {
	data.tollgate.selected["k8s/mutable-image-tag"]
	endswith(image, ":latest")
}

left_to_mutable_image_tag(image) if {
	data.tollgate.selected["k8s/mutable-image-tag"]
	not contains(image, "@")
	segments = split(image, "/")
	not contains(segments[count(segments) - 1], ":")
}
