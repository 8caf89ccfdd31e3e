# METADATA
# title: Two Services with the same selector and port
# description: |
#   Flags a Service port whose number another Service (a different name) of the same namespace
#   also exposes with an identical spec.selector, among the manifests of the commit (a
#   cross-resource check: it reads the commit's inventory). Both Services then send the same
#   traffic to the same pods, which is usually a copy-paste left from another app: one of them
#   routes to pods it was not meant for. Services on the same pods with different ports (a
#   metrics Service beside the application's) and headless Services (clusterIP: None, the
#   per-pod DNS of a StatefulSet beside its client Service) are the documented patterns and
#   pass. Services without a selector (their endpoints are written by hand or by a controller)
#   are not judged, and Services of the same name (one object in two overlays) are one Service.
#   A manifest without metadata.namespace counts as being in "default".
# custom:
#   id: k8s/duplicate-service-selector
#   severity: medium
#   remediation: Give each Service the selector of its own pods (add a label that tells them apart), or remove the duplicate Service.
#   kinds: [Service]
#   scope: inventory
#   profiles: [extended]
#   aliases:
#     kyverno: require-unique-service-selector
#     gatekeeper: k8suniqueserviceselector
package tollgate.k8s.duplicate_service_selector

import rego.v1

import data.tollgate.lib.inventory

# The names are distinct and sorted: the first one that is not this Service's names a twin, and
# the count says how many there are, without iterating over them (a pull request chooses how
# many Services share a selector). The ports iterated are the document's own.
deny contains result if {
	input.kind == "Service"
	not headless
	selector = input.spec.selector
	is_object(selector)
	count(selector) > 0
	name = input.metadata.name
	is_string(name)
	ports = input.spec.ports
	is_array(ports)
	some i, entry in ports
	is_object(entry)
	port = entry.port
	is_number(port)
	names = inventory.services_with_selector(selector, port)
	count(names) > 1
	other = first_other(names, name)
	result = {
		"msg": sprintf("%s: port %v and selector are identical to those of Service %s in namespace '%s' (%d Services share them), so they send the same traffic to the same pods", [data.tollgate.lib.k8s.resource, port, other, data.tollgate.lib.inventory.namespace, count(names)]),
		"path": ["spec", "ports", i, "port"],
	}
}

first_other(names, name) := names[0] if names[0] != name else := names[1]

headless if input.spec.clusterIP == "None"
