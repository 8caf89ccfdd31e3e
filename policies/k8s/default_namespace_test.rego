package tollgate.k8s.default_namespace_test

import rego.v1

import data.tollgate.k8s.default_namespace

test_team_namespace_passes if {
	findings := default_namespace.deny with input as {"kind": "Deployment", "metadata": {"name": "api", "namespace": "payments"}}
	count(findings) == 0
}

# An omitted namespace is filled in at apply time (kubectl -n, kustomize, Argo CD/Flux targets).
test_omitted_namespace_passes if {
	findings := default_namespace.deny with input as {"kind": "ConfigMap", "metadata": {"name": "cfg"}}
	count(findings) == 0
}

test_default_namespace_fails if {
	findings := default_namespace.deny with input as {"kind": "Deployment", "metadata": {"name": "api", "namespace": "default"}}
	findings == {{"msg": "Deployment/api: is in the default namespace", "path": ["metadata", "namespace"]}}
}

# Every kind is checked, not only workloads.
test_any_kind_fails if {
	findings := default_namespace.deny with input as {"kind": "Secret", "metadata": {"name": "token", "namespace": "default"}}
	findings == {{"msg": "Secret/token: is in the default namespace", "path": ["metadata", "namespace"]}}
	findings2 := default_namespace.deny with input as {"apiVersion": "acme.io/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}}
	count(findings2) == 1
}

test_documents_without_metadata_pass if {
	findings := default_namespace.deny with input as {"kind": "List", "items": []}
	count(findings) == 0
	findings2 := default_namespace.deny with input as ["not", "an", "object"]
	count(findings2) == 0
}
