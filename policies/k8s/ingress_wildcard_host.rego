# METADATA
# title: Ingress rule with an empty or wildcard host
# description: |
#   Flags an Ingress rule without a host (or with an empty one) and a host with a wildcard
#   ("*.example.com"). A rule without a host matches requests for every host name the ingress
#   controller serves, and a wildcard every name below a domain: either one takes traffic meant
#   for other applications, including names added later by other teams. A spec.defaultBackend
#   (without rules) is not judged.
# custom:
#   id: k8s/ingress-wildcard-host
#   severity: medium
#   remediation: Set each rule's host to the exact host name the application serves (one rule per name).
#   kinds: [Ingress]
#   profiles: [extended]
#   aliases:
#     kyverno: [disallow-empty-ingress-host, restrict-ingress-wildcard]
#     gatekeeper: k8sblockwildcardingress
package tollgate.k8s.ingress_wildcard_host

import rego.v1

deny contains result if {
	input.kind == "Ingress"
	rules = input.spec.rules
	is_array(rules)
	some i, rule in rules
	is_object(rule)
	problem = host_problem(rule)
	result = {
		"msg": sprintf("%s: rule %d %s", [data.tollgate.lib.k8s.resource, i, problem]),
		"path": ["spec", "rules", i, "host"],
	}
}

host_problem(rule) := "has no host, so it takes requests for every host name" if {
	not "host" in object.keys(rule)
	not data.tollgate.lib.k8s.patch
} else := "has an empty host, so it takes requests for every host name" if {
	rule.host in {null, ""}
} else := sprintf("has the wildcard host '%s', which takes requests for every name it matches", [rule.host]) if {
	is_string(rule.host)
	contains(rule.host, "*")
}
