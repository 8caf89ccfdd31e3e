package tollgate.k8s.ingress_without_tls_test

import rego.v1

import data.tollgate.k8s.ingress_without_tls

ingress(spec) := {"kind": "Ingress", "metadata": {"name": "web"}, "spec": spec}

test_tls_for_every_host_passes if {
	count(ingress_without_tls.deny) == 0 with input as ingress({
		"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}, {"hosts": ["*.api.example.com"]}],
		"rules": [{"host": "shop.example.com"}, {"host": "v1.api.example.com"}, {"http": {}}],
	})
}

test_no_tls_fails if {
	findings := ingress_without_tls.deny with input as ingress({"rules": [{"host": "shop.example.com"}]})
	findings == {{"msg": "Ingress/web: has no spec.tls, so it serves plain HTTP", "path": ["spec", "tls"]}}
	count(ingress_without_tls.deny) == 1 with input as ingress({"tls": [], "rules": []})
}

test_uncovered_host_fails if {
	findings := ingress_without_tls.deny with input as ingress({
		"tls": [{"hosts": ["shop.example.com", "*.example.org"]}],
		"rules": [{"host": "shop.example.com"}, {"host": "admin.example.com"}, {"host": "a.b.example.org"}],
	})
	findings == {
		{"msg": "Ingress/web: host admin.example.com is not listed in spec.tls, so it serves plain HTTP", "path": ["spec", "rules", 1, "host"]},
		{"msg": "Ingress/web: host a.b.example.org is not listed in spec.tls, so it serves plain HTTP", "path": ["spec", "rules", 2, "host"]},
	}
}
