# METADATA
# title: Service account token mounted into pods
# description: |
#   Flags workloads whose pods get an API token mounted: the pod spec sets
#   automountServiceAccountToken to true, or leaves it unset while the pods' ServiceAccount
#   (serviceAccountName, "default" when unset) is not a ServiceAccount of the commit with
#   automountServiceAccountToken false (a cross-resource check: it reads the commit's inventory).
#   A mounted token lets anyone who compromises a container call the Kubernetes API with the
#   ServiceAccount's permissions; most workloads never call the API. A manifest without
#   metadata.namespace counts as being in "default".
# custom:
#   id: k8s/service-account-token-automount
#   severity: medium
#   remediation: Set automountServiceAccountToken to false on the ServiceAccount (or on the pod spec); for a workload that calls the API, mount a projected, audience-bound token explicitly.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   scope: inventory
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.6"}]
#     nsa: [SAT]
#   aliases:
#     trivy: KSV-0036
#     checkov: CKV_K8S_38
#     polaris: automountServiceAccountToken
#     kyverno: [restrict-automount-sa-token, restrict-sa-automount-sa-token]
#     gatekeeper: k8spspautomountserviceaccounttokenpod
package tollgate.k8s.service_account_token_automount

import rego.v1

import data.tollgate.lib.inventory
deny contains result if {
	data.tollgate.lib.k8s.pod_spec.automountServiceAccountToken == true
	result = {
		"msg": sprintf("%s: pod sets automountServiceAccountToken to true, so its containers get an API token", [data.tollgate.lib.k8s.resource]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["automountServiceAccountToken"]),
	}
}

deny contains result if {
	not data.tollgate.lib.k8s.patch
	data.tollgate.lib.k8s.pod_spec
	not is_boolean(data.tollgate.lib.k8s.pod_spec.automountServiceAccountToken)
	not opted_out
	result = {
		"msg": sprintf("%s: pods get an API token: automountServiceAccountToken is unset and %s", [data.tollgate.lib.k8s.resource, why]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["automountServiceAccountToken"]),
	}
}

# The pods' ServiceAccount turns the token off (one of the ServiceAccounts of that name, if the
# commit holds several: a lookup, however many there are).
opted_out if inventory.automount_disabled(data.tollgate.lib.inventory.service_account)

why := sprintf("ServiceAccount '%s' does not set it to false", [data.tollgate.lib.inventory.service_account]) if {
	count(inventory.named("ServiceAccount", data.tollgate.lib.inventory.service_account)) > 0
} else := sprintf("ServiceAccount '%s' is not among the manifests of the commit to set it to false", [data.tollgate.lib.inventory.service_account])
