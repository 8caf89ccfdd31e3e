# METADATA
# title: Missing app.kubernetes.io/name label
# description: |
#   Flags workloads without the app.kubernetes.io/name label. Inventory, cost reports, network
#   policies and incident tooling rely on the recommended labels to tell which application an
#   object belongs to. Services are not flagged: the pods they select carry the application.
# custom:
#   id: k8s/missing-app-label
#   severity: low
#   remediation: Add the label app.kubernetes.io/name (the application's name) to metadata.labels.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   aliases:
#     kyverno: require-labels
#     gatekeeper: k8srequiredlabels
#     kube-linter: required-label-owner
package tollgate.k8s.missing_app_label

import rego.v1

label := "app.kubernetes.io/name"

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind in data.tollgate.lib.k8s.workload_kinds
	not input.metadata.labels[label]
	result = {
		"msg": sprintf("%s: missing label %s", [data.tollgate.lib.k8s.resource, label]),
		"path": ["metadata", "labels", label],
	}
}
