package tollgate.gitops.flux_missing_service_account_test

import rego.v1

import data.tollgate.gitops.flux_missing_service_account

ks(spec) := {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps"}, "spec": spec}

test_service_account_passes if {
	count(flux_missing_service_account.deny) == 0 with input as ks({"serviceAccountName": "shop-reconciler", "path": "./apps"})
	count(flux_missing_service_account.deny) == 0 with input as ks({"kubeConfig": {"secretRef": {"name": "remote"}}})
	count(flux_missing_service_account.deny) == 0 with input as {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": []}
}

test_missing_service_account_fails if {
	findings := flux_missing_service_account.deny with input as ks({"path": "./apps"})
	findings == {{"msg": "Kustomization/apps: has no spec.serviceAccountName, so it applies with the controller's own privileges", "path": ["spec", "serviceAccountName"]}}
	count(flux_missing_service_account.deny) == 1 with input as {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "x"}, "spec": {"serviceAccountName": ""}}
}
