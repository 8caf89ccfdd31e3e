# METADATA
# title: Pod spec uses the deprecated serviceAccount field
# description: |
#   Flags a pod spec that sets serviceAccount, the deprecated alias of serviceAccountName (kept by
#   the API only for compatibility). When both are set with different values the API server
#   rejects the object; when only serviceAccount is set, tools and reviewers that read
#   serviceAccountName see the pod as running under `default`.
# custom:
#   id: k8s/deprecated-service-account-field
#   severity: low
#   remediation: Rename serviceAccount to serviceAccountName (remove serviceAccount when both are set).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [correctness]
#   aliases:
#     kube-linter: deprecated-service-account-field
package tollgate.k8s.deprecated_service_account_field

import rego.v1

deny contains result if {
	sa = data.tollgate.lib.k8s.pod_spec.serviceAccount
	is_string(sa)
	sa != ""
	result = {
		"msg": sprintf(
			"%s: serviceAccount: %s is the deprecated form of serviceAccountName%s",
			[data.tollgate.lib.k8s.resource, sa, data.tollgate.k8s.deprecated_service_account_field.conflict(sa)],
		),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["serviceAccount"]),
	}
}

conflict(sa) := sprintf(" and differs from serviceAccountName %s, which the API server rejects", [name]) if {
	name = data.tollgate.lib.k8s.pod_spec.serviceAccountName
	is_string(name)
	name != ""
	name != sa
} else := ""
