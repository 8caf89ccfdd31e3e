# METADATA
# title: Default service account used
# description: |
#   Flags pods that run as the namespace's default ServiceAccount: serviceAccountName (or the
#   deprecated serviceAccount) is unset or "default". Every pod of the namespace shares that
#   identity, so any role granted to one of them is granted to all, and its token cannot be
#   scoped or audited per workload.
# custom:
#   id: k8s/default-service-account
#   severity: medium
#   remediation: Create a dedicated ServiceAccount for the workload (with automountServiceAccountToken false unless it calls the API) and set serviceAccountName.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.5"}]
#     nsa: [SAT]
#   aliases: {checkov: CKV_K8S_41, kube-linter: default-service-account}
package tollgate.k8s.default_service_account

import rego.v1

service_account := sa if {
	sa = data.tollgate.lib.k8s.pod_spec.serviceAccountName
	not sa in {"", null}
} else := sa if {
	sa = data.tollgate.lib.k8s.pod_spec.serviceAccount
	not sa in {"", null}
} else := "default"

deny contains result if {
	not data.tollgate.lib.k8s.patch
	data.tollgate.lib.k8s.pod_spec
	service_account == "default"
	result = {
		"msg": sprintf("%s: pod runs as the namespace's default ServiceAccount", [data.tollgate.lib.k8s.resource]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, [field]),
	}
}

# Point at the field that names it, else at the missing serviceAccountName.
field := "serviceAccount" if {
	not data.tollgate.lib.k8s.pod_spec.serviceAccountName
	data.tollgate.lib.k8s.pod_spec.serviceAccount == "default"
} else := "serviceAccountName"
