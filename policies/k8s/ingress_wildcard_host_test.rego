package tollgate.k8s.ingress_wildcard_host_test

import rego.v1

import data.tollgate.k8s.ingress_wildcard_host

ingress(rules) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}, "spec": {"rules": rules}}

backend := {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}

test_exact_hosts_pass if {
	count(ingress_wildcard_host.deny) == 0 with input as ingress([{"host": "shop.example.com", "http": backend}, {"host": "api.example.com", "http": backend}])
}

test_missing_host_fails if {
	findings := ingress_wildcard_host.deny with input as ingress([{"host": "shop.example.com", "http": backend}, {"http": backend}])
	findings == {{
		"msg": "Ingress/web: rule 1 has no host, so it takes requests for every host name",
		"path": ["spec", "rules", 1, "host"],
	}}
}

test_empty_host_fails if {
	findings := ingress_wildcard_host.deny with input as ingress([{"host": "", "http": backend}])
	findings == {{
		"msg": "Ingress/web: rule 0 has an empty host, so it takes requests for every host name",
		"path": ["spec", "rules", 0, "host"],
	}}
}

test_wildcard_host_fails if {
	findings := ingress_wildcard_host.deny with input as ingress([{"host": "*.example.com", "http": backend}])
	findings == {{
		"msg": "Ingress/web: rule 0 has the wildcard host '*.example.com', which takes requests for every name it matches",
		"path": ["spec", "rules", 0, "host"],
	}}
}

# A patch's rule without host keeps the base's host; an explicit wildcard is still set.
patch(rules) := {"$patch": "merge", "kind": "Ingress", "metadata": {"name": "web"}, "spec": {"rules": rules}}

test_patch if {
	count(ingress_wildcard_host.deny) == 0 with input as patch([{"http": backend}])
	count(ingress_wildcard_host.deny) == 1 with input as patch([{"host": "*.example.com"}])
}

test_other_kinds_and_malformed_pass if {
	count(ingress_wildcard_host.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "s"}, "spec": {"rules": [{}]}}
	count(ingress_wildcard_host.deny) == 0 with input as ingress("x")
	count(ingress_wildcard_host.deny) == 0 with input as ingress(["x", 3])
	count(ingress_wildcard_host.deny) == 0 with input as {"kind": "Ingress", "metadata": {"name": "w"}, "spec": {"defaultBackend": {"service": {"name": "web"}}}}
}
