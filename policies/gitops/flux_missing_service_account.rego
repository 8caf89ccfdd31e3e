# METADATA
# title: Flux tenant reconciler without impersonation
# description: |
#   Flags Flux Kustomizations and HelmReleases in a tenant namespace without
#   spec.serviceAccountName (and without spec.kubeConfig, which targets another cluster with its
#   own credentials). They are then applied with the controller's own, typically cluster-admin,
#   privileges, so a tenant who can change the source can change anything in the cluster (unless
#   the controllers run with --default-service-account, which the manifests do not show). Flux's
#   multi-tenancy model runs the platform admin's own reconcilers (the flux-system Kustomization
#   that flux bootstrap writes, infrastructure, the tenants' onboarding) in flux-system with the
#   controller's privileges by design, so reconcilers in the flux_admin_namespaces parameter
#   (default [flux-system]) are not flagged, nor kustomize patches (a partial object: the
#   serviceAccountName is in the object it patches). Single-tenant repositories, where every
#   reconciler is the platform's, leave this check off (it is not in the default profile).
# custom:
#   id: gitops/flux-missing-service-account
#   severity: medium
#   remediation: Set spec.serviceAccountName to a ServiceAccount of the tenant's namespace bound to only the permissions the tenant needs, and run the controllers with --default-service-account and --no-cross-namespace-refs.
#   kinds: [Kustomization, HelmRelease]
#   profiles: [extended]
#   params:
#     flux_admin_namespaces: {type: array, default: [flux-system], description: namespaces of the platform admin's own Flux reconcilers, which run with the controller's privileges by design}
#   frameworks:
#     nsa: [RBAC]
package tollgate.gitops.flux_missing_service_account

import rego.v1

import data.tollgate.lib.gitops
# The Flux groups of the two kinds (a kustomize.config.k8s.io Kustomization is no reconciler).
groups := {"Kustomization": "kustomize", "HelmRelease": "helm"}

default_admin_namespaces := ["flux-system"]

admin_namespaces := {ns | some ns in configured} if {
	configured = data.tollgate.params.flux_admin_namespaces
	is_array(configured)
} else := {ns | some ns in default_admin_namespaces}

deny contains result if {
	not data.tollgate.lib.k8s.patch
	gitops.flux(groups[input.kind])
	is_object(input.spec)
	not object.get(input, ["metadata", "namespace"], "") in admin_namespaces
	object.get(input.spec, "serviceAccountName", "") in {"", null}
	not input.spec.kubeConfig
	result = {
		"msg": sprintf("%s: has no spec.serviceAccountName, so it applies with the controller's own privileges", [data.tollgate.lib.k8s.resource]),
		"path": ["spec", "serviceAccountName"],
	}
}
