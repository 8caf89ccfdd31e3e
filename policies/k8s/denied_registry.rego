# METADATA
# title: Image from a denied registry
# description: |
#   Flags container images from a registry or repository prefix listed in the denied_registries
#   parameter (data.tollgate.params.denied_registries: hosts such as docker.io, or prefixes such
#   as quay.io/untrusted-org). Prefixes match at a path boundary, so registry.example.com does not
#   deny registry.example.com.evil.io; images without a registry host come from docker.io. When
#   the parameter is unset the check passes everything. An image that k8s/untrusted-registry
#   already reports (outside allowed_registries) is left to it when it runs.
# custom:
#   id: k8s/denied-registry
#   severity: high
#   remediation: Mirror the image into an approved registry and reference it there.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   params:
#     denied_registries: {type: array, default: null, description: denied registry hosts or path prefixes; unset passes every image}
#   frameworks:
#     cis: [{version: "1.12", id: "5.5.1"}]
#     nsa: [IMG]
#   aliases:
#     gatekeeper: k8sdisallowedrepos
#     kyverno: restrict-deprecated-registry
package tollgate.k8s.denied_registry

import rego.v1

import data.tollgate.k8s.untrusted_registry
import data.tollgate.lib.k8s

denied := [prefix | list = data.tollgate.params.denied_registries; is_array(list); some r in list; is_string(r); prefix = trim_suffix(r, "/"); prefix != ""]

deny contains result if {
	is_array(data.tollgate.params.denied_registries)
	some entry in data.tollgate.lib.k8s.containers
	image = entry.container.image
	is_string(image)
	name = untrusted_registry.qualified(image)
	# the first prefix of the list that denies the image names it: one finding per image
	matches = [p | some p in data.tollgate.k8s.denied_registry.denied; under(name, p)]
	count(matches) > 0
	prefix = matches[0]
	not left_to_allowlist(name)
	result = {
		"msg": sprintf("%s: %s image %s comes from %s, a denied registry", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), image, prefix]),
		"path": array.concat(entry.path, ["image"]),
	}
}

# `name` is `prefix` itself (with a tag or digest) or a path below it.
under(name, prefix) if startswith(concat("", [name, "/"]), concat("", [prefix, "/"]))

under(name, prefix) if startswith(name, concat("", [prefix, ":"]))

under(name, prefix) if startswith(name, concat("", [prefix, "@"]))

# k8s/untrusted-registry reports an image outside the allowlist; one finding on the field.
left_to_allowlist(name) if {
	data.tollgate.selected["k8s/untrusted-registry"]
	is_array(data.tollgate.params.allowed_registries)
	not untrusted_registry.allowed_image(name)
}
