# METADATA
# title: Ingress without TLS
# description: |
#   Flags Ingresses without a spec.tls section, and rules whose host no spec.tls[].hosts entry
#   covers (a *.example.com entry covers one level of subdomain). Traffic to those hosts,
#   including credentials and session cookies, crosses the network in clear text.
# custom:
#   id: k8s/ingress-without-tls
#   severity: medium
#   remediation: Add a spec.tls entry listing every host of the rules, with a certificate Secret (for example issued by cert-manager).
#   kinds: [Ingress]
#   profiles: [extended]
#   frameworks:
#     nsa: [TLS]
#   aliases: {polaris: tlsSettingsMissing, kyverno: [require-ingress-https, ingress-host-match-tls], gatekeeper: k8shttpsonly}
package tollgate.k8s.ingress_without_tls

import rego.v1

tls_hosts := {h | some entry in input.spec.tls; some h in entry.hosts; is_string(h)}

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Ingress"
	not has_tls
	result = {
		"msg": sprintf("%s: has no spec.tls, so it serves plain HTTP", [data.tollgate.lib.k8s.resource]),
		"path": ["spec", "tls"],
	}
}

deny contains result if {
	input.kind == "Ingress"
	has_tls
	some i, rule in input.spec.rules
	host = rule.host
	is_string(host)
	not covered(host)
	result = {
		"msg": sprintf("%s: host %s is not listed in spec.tls, so it serves plain HTTP", [data.tollgate.lib.k8s.resource, host]),
		"path": ["spec", "rules", i, "host"],
	}
}

has_tls if {
	is_array(input.spec.tls)
	count(input.spec.tls) > 0
}

covered(host) if host in tls_hosts

covered(host) if {
	some pattern in tls_hosts
	startswith(pattern, "*.")
	parts = split(host, ".")
	concat(".", array.concat(["*"], array.slice(parts, 1, count(parts)))) == pattern
}
