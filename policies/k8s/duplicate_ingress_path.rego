# METADATA
# title: Ingress host and path routed twice
# description: |
#   Flags an Ingress path whose host and path another Ingress of the commit routes too, in any
#   namespace (a cross-resource check: it reads the commit's inventory). The ingress controller
#   sends the requests to one of the two backends by rules of its own (often the older object),
#   so one application silently takes the other's traffic, or an Ingress in a namespace a team
#   controls captures a path of another team's host. Paths are compared as written (pathType
#   aside), under networking.k8s.io and extensions Ingresses; rules without a host (every host)
#   are k8s/ingress-wildcard-host's. Each Ingress of a pair is reported, naming the other.
# custom:
#   id: k8s/duplicate-ingress-path
#   severity: medium
#   remediation: Route each host and path from one Ingress only; merge the rules, or give each application its own path or host.
#   kinds: [Ingress]
#   scope: inventory
#   profiles: [extended]
#   aliases:
#     kyverno: [unique-ingress-host-and-path, unique-ingress-paths, restrict-ingress-host]
#     gatekeeper: k8suniqueingresshost
package tollgate.k8s.duplicate_ingress_path

import rego.v1

deny contains result if {
	input.kind == "Ingress"
	rules = input.spec.rules
	is_array(rules)
	some i, rule in rules
	host = rule.host
	is_string(host)
	host != ""
	paths = rule.http.paths
	is_array(paths)
	some j, entry in paths
	path = path_of(entry)
	# the distinct "namespace/name" of the Ingresses that route host and path, sorted: a lookup
	others = data.tollgate.inventory.ingress_paths[host][path]
	is_array(others)
	count(others) > 1
	other = first_other(others)
	result = {
		"msg": sprintf("%s: %s%s is also routed by Ingress %s", [data.tollgate.lib.k8s.resource, host, shown(path), other]),
		"path": array.concat(["spec", "rules", i, "http", "paths", j], field(entry)),
	}
}

own_key := sprintf("%s/%s", [data.tollgate.lib.inventory.namespace, input.metadata.name])

first_other(others) := others[0] if others[0] != data.tollgate.k8s.duplicate_ingress_path.own_key

first_other(others) := others[1] if others[0] == data.tollgate.k8s.duplicate_ingress_path.own_key

# A path entry without `path` is filed under "" (ImplementationSpecific: the controller decides).
path_of(entry) := p if {
	p = entry.path
	is_string(p)
} else := "" if {
	is_object(entry)
	object.get(entry, "path", null) == null
}

shown("") := " (no path)"

shown(path) := path if path != ""

field(entry) := ["path"] if is_string(entry.path)

field(entry) := [] if not is_string(entry.path)
