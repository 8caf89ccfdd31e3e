# METADATA
# title: Image from a registry outside the allowlist
# description: |
#   Flags container images whose registry is not in the allowed_registries parameter
#   (data.tollgate.params.allowed_registries: registry hosts such as registry.corp.example, or
#   prefixes such as ghcr.io/acme). Images without a registry host come from docker.io. When the
#   parameter is unset the check passes everything.
# custom:
#   id: k8s/untrusted-registry
#   severity: high
#   remediation: Mirror the image into an allowed registry and reference it there, or add its registry to allowed_registries.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   params:
#     allowed_registries: {type: array, default: null, description: allowed registry hosts or path prefixes; unset passes every image}
#   frameworks:
#     cis: [{version: "1.12", id: "5.5.1"}]
#     nsa: [IMG]
#   aliases: {trivy: KSV-0125, kyverno: [restrict-image-registries, advanced-restrict-image-registries, allowed-image-repos], gatekeeper: [k8sallowedrepos, k8sallowedreposv2]}
package tollgate.k8s.untrusted_registry

import rego.v1

import data.tollgate.lib.k8s

allowed := [trim_suffix(r, "/") | some r in data.tollgate.params.allowed_registries; is_string(r)]

deny contains result if {
	is_array(data.tollgate.params.allowed_registries)
	some entry in data.tollgate.lib.k8s.containers
	image = entry.container.image
	is_string(image)
	name = qualified(image)
	not allowed_image(name)
	result = {
		"msg": sprintf("%s: %s image %s comes from %s, which is not an allowed registry", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), image, registry(image)]),
		"path": array.concat(entry.path, ["image"]),
	}
}

# The registry host: the first path segment when it looks like a host, else docker.io.
registry(image) := host if {
	host = explicit_host(image)
} else := "docker.io"

explicit_host(image) := host if {
	segments = split(image, "/")
	count(segments) > 1
	host = segments[0]
	regex.match(`[.:]|^localhost$`, host)
}

# The image with its registry host made explicit.
qualified(image) := image if {
	explicit_host(image)
} else := concat("/", ["docker.io", image])

allowed_image(name) if {
	some prefix in allowed
	startswith(concat("", [name, "/"]), concat("", [prefix, "/"]))
}

allowed_image(name) if {
	some prefix in allowed
	startswith(name, concat("", [prefix, ":"]))
}

allowed_image(name) if {
	some prefix in allowed
	startswith(name, concat("", [prefix, "@"]))
}
