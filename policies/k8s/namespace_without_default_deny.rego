# METADATA
# title: Namespace without a default-deny NetworkPolicy
# description: |
#   Flags a Namespace of the commit for which the commit holds no default-deny NetworkPolicy for
#   ingress or for egress (a cross-resource check: it reads the commit's inventory). A default
#   deny selects every pod of the namespace (an empty podSelector), lists the direction in
#   policyTypes (a policy without policyTypes is an Ingress policy, and an Egress one too when it
#   has egress rules) and has no rule for it: a pod that no other policy lets through then gets
#   no traffic in that direction, so a workload added later without its own policy is isolated
#   instead of open. An empty podSelector with rules (an allow-all) is no default deny. One
#   finding per missing direction. Only Namespace objects of the commit are judged; a policy
#   without metadata.namespace counts in "default". Workloads that no policy selects at all are
#   k8s/missing-network-policy's.
# custom:
#   id: k8s/namespace-without-default-deny
#   severity: low
#   remediation: "Add a NetworkPolicy to the namespace with podSelector: {}, policyTypes [Ingress, Egress] and no rules, then allow the traffic each workload needs in policies of their own."
#   kinds: [Namespace]
#   scope: inventory
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.3.2"}]
#     nsa: [NP]
package tollgate.k8s.namespace_without_default_deny

import rego.v1

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Namespace"
	name = input.metadata.name
	is_string(name)
	some direction in ["Ingress", "Egress"]
	not data.tollgate.inventory.default_deny[name][direction] == true
	result = {
		"msg": sprintf("%s: no NetworkPolicy of the commit denies %s traffic to every pod of the namespace by default", [data.tollgate.lib.k8s.resource, lower(direction)]),
		"path": ["metadata", "name"],
	}
}
