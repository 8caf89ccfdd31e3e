# METADATA
# title: Flux reconciler without impersonation
# description: |
#   Flags Flux Kustomizations and HelmReleases without spec.serviceAccountName (and without
#   spec.kubeConfig, which targets another cluster with its own credentials). They are then
#   applied with the controller's own, typically cluster-admin, privileges, so anyone who can
#   change the source can change anything in the cluster. (Unless the controller runs with
#   --default-service-account, which cannot be seen from the manifests.)
# custom:
#   id: gitops/flux-missing-service-account
#   severity: medium
#   remediation: Set spec.serviceAccountName to a ServiceAccount bound to only the permissions the tenant needs, and enable --default-service-account on the controllers.
#   kinds: [Kustomization, HelmRelease]
#   profiles: [gitops]
#   frameworks:
#     nsa: [RBAC]
package tollgate.gitops.flux_missing_service_account

import rego.v1

import data.tollgate.lib.gitops
# The Flux groups of the two kinds (a kustomize.config.k8s.io Kustomization is no reconciler).
groups := {"Kustomization": "kustomize", "HelmRelease": "helm"}

deny contains result if {
	gitops.flux(groups[input.kind])
	is_object(input.spec)
	object.get(input.spec, "serviceAccountName", "") in {"", null}
	not input.spec.kubeConfig
	result = {
		"msg": sprintf("%s: has no spec.serviceAccountName, so it applies with the controller's own privileges", [data.tollgate.lib.k8s.resource]),
		"path": ["spec", "serviceAccountName"],
	}
}
