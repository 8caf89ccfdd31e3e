package tollgate.gitops.insecure_source_test

import rego.v1

import data.tollgate.gitops.insecure_source

flux(kind, spec) := {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": kind, "metadata": {"name": "s"}, "spec": spec}

test_tls_sources_pass if {
	count(insecure_source.deny) == 0 with input as flux("GitRepository", {"url": "https://github.com/acme/app"})
	count(insecure_source.deny) == 0 with input as flux("OCIRepository", {"url": "oci://ghcr.io/acme/manifests", "insecure": false})
	count(insecure_source.deny) == 0 with input as {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a"}, "spec": {"source": {"repoURL": "git@github.com:acme/deploy.git"}}}
}

test_plain_http_fails if {
	findings := insecure_source.deny with input as flux("HelmRepository", {"url": "http://charts.internal", "insecure": true})
	findings == {
		{"msg": "HelmRepository/s: fetches from the unencrypted URL http://charts.internal", "path": ["spec", "url"]},
		{"msg": "HelmRepository/s: sets insecure: true (plain HTTP or no TLS verification)", "path": ["spec", "insecure"]},
	}
	findings2 := insecure_source.deny with input as {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a"}, "spec": {"sources": [{"repoURL": "git://example.com/x.git"}]}}
	findings2 == {{"msg": "Application/a: fetches from the unencrypted URL git://example.com/x.git", "path": ["spec", "sources", 0, "repoURL"]}}
}
