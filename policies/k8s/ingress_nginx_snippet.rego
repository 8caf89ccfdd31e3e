# METADATA
# title: Dangerous ingress-nginx annotation
# description: |
#   Flags nginx.ingress.kubernetes.io/*-snippet annotations (configuration-snippet,
#   server-snippet, auth-snippet, ...) and other nginx.ingress.kubernetes.io/* annotations whose
#   value carries nginx directives: lua code, alias/root/load_module/include directives, braces
#   or semicolons. Snippets are copied verbatim into the controller's nginx.conf, which runs with
#   access to every Secret the controller can read (CVE-2021-25742, CVE-2023-5044,
#   CVE-2025-1974).
# custom:
#   id: k8s/ingress-nginx-snippet
#   severity: high
#   remediation: Replace the snippet with the dedicated annotation or a ConfigMap setting of ingress-nginx, and keep allow-snippet-annotations off in the controller.
#   kinds: [Ingress]
#   profiles: [extended]
#   frameworks:
#     nsa: [UPG]
#   aliases: {checkov: [CKV_K8S_152, CKV_K8S_153, CKV_K8S_154], kyverno: [disallow-ingress-nginx-custom-snippets, restrict-annotations], trivy: KCV-0093}
package tollgate.k8s.ingress_nginx_snippet

import rego.v1

prefix := "nginx.ingress.kubernetes.io/"

annotations := a if {
	a = input.metadata.annotations
	is_object(a)
} else := {}

deny contains result if {
	input.kind == "Ingress"
	some key, _ in annotations
	startswith(key, prefix)
	endswith(key, "-snippet")
	result = {
		"msg": sprintf("%s: annotation %s injects raw nginx configuration", [data.tollgate.lib.k8s.resource, key]),
		"path": ["metadata", "annotations", key],
	}
}

deny contains result if {
	input.kind == "Ingress"
	some key, value in annotations
	startswith(key, prefix)
	not endswith(key, "-snippet")
	is_string(value)
	regex.match(`(?i)(_by_lua|\blua\b|\balias\s|\broot\s|load_module|\binclude\s|[{};])`, value)
	result = {
		"msg": sprintf("%s: annotation %s carries nginx directives (%s)", [data.tollgate.lib.k8s.resource, key, value]),
		"path": ["metadata", "annotations", key],
	}
}
