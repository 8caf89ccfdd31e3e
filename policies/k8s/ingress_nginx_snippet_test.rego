package tollgate.k8s.ingress_nginx_snippet_test

import rego.v1

import data.tollgate.k8s.ingress_nginx_snippet

ingress(annotations) := {"kind": "Ingress", "metadata": {"name": "web", "annotations": annotations}}

test_plain_annotations_pass if {
	count(ingress_nginx_snippet.deny) == 0 with input as ingress({
		"nginx.ingress.kubernetes.io/proxy-body-size": "8m",
		"nginx.ingress.kubernetes.io/auth-url": "https://auth.example.com/oauth2/auth?rd=$scheme://$host",
		"cert-manager.io/cluster-issuer": "letsencrypt",
		"other.example/config-snippet": "x",
	})
	count(ingress_nginx_snippet.deny) == 0 with input as {"kind": "Ingress", "metadata": {"name": "web"}}
}

test_snippets_fail if {
	findings := ingress_nginx_snippet.deny with input as ingress({
		"nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers \"X-Frame-Options: DENY\";",
		"nginx.ingress.kubernetes.io/server-snippet": "",
	})
	count(findings) == 2
}

test_directives_in_values_fail if {
	findings := ingress_nginx_snippet.deny with input as ingress({"nginx.ingress.kubernetes.io/rewrite-target": "/$1; alias /etc/;"})
	findings == {{
		"msg": "Ingress/web: annotation nginx.ingress.kubernetes.io/rewrite-target carries nginx directives (/$1; alias /etc/;)",
		"path": ["metadata", "annotations", "nginx.ingress.kubernetes.io/rewrite-target"],
	}}
}
