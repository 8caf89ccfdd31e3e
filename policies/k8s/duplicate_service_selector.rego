# METADATA
# title: Two Services with the same selector
# description: |
#   Flags a Service whose spec.selector is identical to that of another Service (a different
#   name) in the same namespace, among the manifests of the commit (a cross-resource check: it
#   reads the commit's inventory). Both Services then send traffic to the same pods, which is
#   usually a copy-paste left from another app: one of them routes to pods it was not meant for.
#   Services without a selector (their endpoints are managed by hand or by a controller) are not
#   judged, and Services of the same name (one object in two overlays) are one Service. A
#   manifest without metadata.namespace counts as being in "default".
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
# many Services share a selector).
deny contains result if {
	input.kind == "Service"
	selector = input.spec.selector
	is_object(selector)
	count(selector) > 0
	name = input.metadata.name
	is_string(name)
	names = inventory.services_with_selector(selector)
	count(names) > 1
	other = first_other(names, name)
	result = {
		"msg": sprintf("%s: selector is identical to that of Service %s in namespace '%s' (%d Services share it), so they send traffic to the same pods", [data.tollgate.lib.k8s.resource, other, data.tollgate.lib.inventory.namespace, count(names)]),
		"path": ["spec", "selector"],
	}
}

first_other(names, name) := names[0] if names[0] != name else := names[1]
