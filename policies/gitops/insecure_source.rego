# METADATA
# title: Insecure or unauthenticated source
# description: |
#   Flags Flux sources (GitRepository, HelmRepository, OCIRepository, Bucket) whose spec.url uses
#   plain http:// or git://, or that set spec.insecure to true, and Argo CD Application and
#   ApplicationSet sources whose repoURL uses http:// or git://. Without TLS anyone on the path
#   can change what gets deployed.
# custom:
#   id: gitops/insecure-source
#   severity: high
#   remediation: "Use an https://, ssh:// or oci:// URL with TLS verification on (remove insecure: true)."
#   kinds: [GitRepository, HelmRepository, OCIRepository, Bucket, Application, ApplicationSet]
#   profiles: [gitops]
#   frameworks:
#     nsa: [TLS]
package tollgate.gitops.insecure_source

import rego.v1

import data.tollgate.lib.gitops
flux_kinds := {"GitRepository", "HelmRepository", "OCIRepository", "Bucket"}

insecure_url(url) if regex.match(`(?i)^(http|git)://`, url)

deny contains result if {
	input.kind in flux_kinds
	gitops.flux("source")
	url = input.spec.url
	is_string(url)
	insecure_url(url)
	result = {
		"msg": sprintf("%s: fetches from the unencrypted URL %s", [data.tollgate.lib.k8s.resource, url]),
		"path": ["spec", "url"],
	}
}

deny contains result if {
	input.kind in flux_kinds
	gitops.flux("source")
	input.spec.insecure == true
	result = {
		"msg": sprintf("%s: sets insecure: true (plain HTTP or no TLS verification)", [data.tollgate.lib.k8s.resource]),
		"path": ["spec", "insecure"],
	}
}

deny contains result if {
	some entry in data.tollgate.lib.gitops.argo_sources
	url = entry.source.repoURL
	is_string(url)
	insecure_url(url)
	result = {
		"msg": sprintf("%s: fetches from the unencrypted URL %s", [data.tollgate.lib.k8s.resource, url]),
		"path": array.concat(entry.path, ["repoURL"]),
	}
}
