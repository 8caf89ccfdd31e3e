package tollgate.k8s.image_without_digest_test

import rego.v1

import data.tollgate.k8s.image_without_digest

pod(image) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": image}]}}

digest := "sha256:3f1c9a7e3f1c9a7e3f1c9a7e3f1c9a7e3f1c9a7e3f1c9a7e3f1c9a7e3f1c9a7e"

test_digest_passes if {
	count(image_without_digest.deny) == 0 with input as pod(concat("@", ["ghcr.io/acme/app:1.4.2", digest]))
	count(image_without_digest.deny) == 0 with input as pod(concat("@", ["registry:5000/app", digest]))
	count(image_without_digest.deny) == 0 with input as pod(7)
}

test_tag_fails if {
	findings := image_without_digest.deny with input as img_pod("ghcr.io/acme/app:1.4.2")
	findings == {{"msg": "Pod/p: container 'a' image is not pinned by digest (ghcr.io/acme/app:1.4.2)", "path": ["spec", "containers", 0, "image"]}}
	count(image_without_digest.deny) == 1 with input as img_pod("app@sha256:short")
}

img_pod(image) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": image}]}}

# :latest and untagged images are k8s/mutable-image-tag's when it runs too.
test_left_to_mutable_image_tag_when_selected if {
	selected := {"k8s/mutable-image-tag": true}
	count(image_without_digest.deny) == 1 with input as img_pod("nginx:latest")
	count(image_without_digest.deny) == 0 with input as img_pod("nginx:latest") with data.tollgate.selected as selected
	count(image_without_digest.deny) == 0 with input as img_pod("registry:5000/nginx") with data.tollgate.selected as selected
	count(image_without_digest.deny) == 1 with input as img_pod("nginx:1.27") with data.tollgate.selected as selected
}
