# METADATA
# title: Ingress backend names a Service that is not in the commit
# description: |
#   Flags an Ingress backend (spec.defaultBackend, spec.rules[].http.paths[].backend; the
#   extensions/v1beta1 serviceName form too) naming a Service that no manifest of the commit
#   defines in the Ingress's namespace (a cross-resource check: it reads the commit's inventory).
#   The controller then answers 503 for those paths, usually because of a typo or a renamed
#   Service. The commit cannot tell when the Service comes from elsewhere, so the check stays
#   quiet unless it can: only in a namespace where the commit holds at least one Service and no
#   object of an API group that is not Kubernetes' own (an operator's resource, a HelmRelease, an
#   Argo CD Application: they create Services the manifests do not show). A backend naming a
#   resource instead of a Service is not judged. A manifest without metadata.namespace counts as
#   being in "default".
# custom:
#   id: k8s/dangling-ingress
#   severity: medium
#   remediation: Name a Service of the Ingress's namespace in the backend (fix the name), or add the Service to the commit.
#   kinds: [Ingress]
#   scope: inventory
#   profiles: [correctness]
#   aliases:
#     kube-linter: dangling-ingress
package tollgate.k8s.dangling_ingress

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Ingress"
	not data.tollgate.lib.inventory.custom_resources
	count(inventory.objects("Service")) > 0
	some [path, name] in data.tollgate.k8s.dangling_ingress.backends
	is_string(name)
	count(inventory.named("Service", name)) == 0
	result = {
		"msg": sprintf(
			"%s: backend Service %s is not defined in namespace '%s' by any manifest of the commit",
			[data.tollgate.lib.k8s.resource, name, data.tollgate.lib.inventory.namespace],
		),
		"path": path,
	}
}

# [path to the Service name, the name] of every backend.
backends contains [path, name] if {
	some prefix, backend in data.tollgate.k8s.dangling_ingress.backend_objects
	some [suffix, name] in service_name(backend)
	path = array.concat(prefix, suffix)
}

backend_objects[["spec", "defaultBackend"]] := input.spec.defaultBackend

backend_objects[["spec", "backend"]] := input.spec.backend

backend_objects[["spec", "rules", i, "http", "paths", j, "backend"]] := backend if {
	some i, rule in input.spec.rules
	some j, p in rule.http.paths
	backend = p.backend
}

service_name(backend) := {[["service", "name"], name] | name = backend.service.name} | {[["serviceName"], name] | name = backend.serviceName}
