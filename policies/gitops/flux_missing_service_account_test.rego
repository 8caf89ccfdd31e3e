package tollgate.gitops.flux_missing_service_account_test

import rego.v1

import data.tollgate.gitops.flux_missing_service_account

source := {"kind": "GitRepository", "name": "apps"}

ks(namespace, spec) := {
	"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
	"metadata": {"name": "apps", "namespace": namespace},
	"spec": object.union({"interval": "10m", "prune": true, "sourceRef": source}, spec),
}

release(namespace, spec) := {
	"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
	"metadata": {"name": "x", "namespace": namespace},
	"spec": object.union({"interval": "10m", "chart": {"spec": {"chart": "x", "version": "1.0.0", "sourceRef": {"kind": "HelmRepository", "name": "x"}}}}, spec),
}

test_service_account_passes if {
	count(flux_missing_service_account.deny) == 0 with input as ks("shop", {"serviceAccountName": "shop-reconciler", "path": "./apps"})
	count(flux_missing_service_account.deny) == 0 with input as ks("shop", {"kubeConfig": {"secretRef": {"name": "remote"}}})
	count(flux_missing_service_account.deny) == 0 with input as {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": []}
}

test_missing_service_account_fails if {
	findings := flux_missing_service_account.deny with input as ks("shop", {"path": "./apps"})
	findings == {{"msg": "Kustomization/apps: has no spec.serviceAccountName, so it applies with the controller's own privileges", "path": ["spec", "serviceAccountName"]}}
	count(flux_missing_service_account.deny) == 1 with input as release("shop", {"serviceAccountName": ""})
	# No namespace: the tenant's kustomize overlay or kubectl's context decides; not the admin's.
	count(flux_missing_service_account.deny) == 1 with input as object.remove(ks("x", {}), ["metadata"])
}

# The platform admin's reconcilers (what flux bootstrap writes, and the ones beside it).
test_admin_namespace_passes if {
	count(flux_missing_service_account.deny) == 0 with input as ks("flux-system", {"path": "./clusters/production"})
	count(flux_missing_service_account.deny) == 0 with input as release("flux-system", {})
	count(flux_missing_service_account.deny) == 1 with input as release("flux-system", {})
		with data.tollgate.params.flux_admin_namespaces as ["platform"]
	count(flux_missing_service_account.deny) == 0 with input as release("platform", {})
		with data.tollgate.params.flux_admin_namespaces as ["platform"]
}

# A kustomize patch of a reconciler is a partial object.
test_patch_passes if {
	count(flux_missing_service_account.deny) == 0 with input as {
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": {"name": "apps", "namespace": "shop"}, "spec": {"path": "./apps/staging"},
	}
	count(flux_missing_service_account.deny) == 0 with input as {
		"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
		"metadata": {"name": "podinfo", "namespace": "podinfo"}, "spec": {"values": {"replicaCount": 2}},
	}
	count(flux_missing_service_account.deny) == 0 with input as object.union(ks("shop", {}), {"$patch": "replace"})
}

# A patch of a release's chart version (Flux's example repository's overlays) is a patch too.
test_chart_version_patch_passes if {
	count(flux_missing_service_account.deny) == 0 with input as {
		"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
		"metadata": {"name": "podinfo", "namespace": "podinfo"},
		"spec": {"chart": {"spec": {"version": ">=1.0.0"}}, "values": {"replicaCount": 2}},
	}
}
