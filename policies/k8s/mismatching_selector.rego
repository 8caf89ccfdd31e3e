# METADATA
# title: Workload selector does not match its pod template's labels
# description: |
#   Flags a Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController or Job whose
#   spec.selector does not select the labels of its own pod template (spec.template.metadata.labels):
#   matchLabels, and matchExpressions with In, NotIn, Exists and DoesNotExist (a
#   ReplicationController's selector is a plain label map). The API server rejects such an
#   object ("selector does not match template labels"), so the sync fails at apply time; the
#   gate reports it at review time instead. A Job without spec.selector (the usual case: the
#   API server generates one) is not judged, nor is a kustomize patch.
# custom:
#   id: k8s/mismatching-selector
#   severity: high
#   remediation: Make spec.selector select the pod template's labels (usually the same matchLabels as spec.template.metadata.labels), or fix the template's labels.
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job]
#   profiles: [correctness]
#   aliases:
#     kube-linter: mismatching-selector
package tollgate.k8s.mismatching_selector

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
	raw = input.spec.selector
	is_object(raw)
	selector = data.tollgate.k8s.mismatching_selector.as_selector
	labels = data.tollgate.k8s.mismatching_selector.template_labels
	not inventory.selects(selector, labels)
	result = {
		"msg": sprintf(
			"%s: spec.selector %s does not match the pod template's labels %s; the API server rejects it",
			[data.tollgate.lib.k8s.resource, json.marshal(raw), json.marshal(labels)],
		),
		"path": ["spec", "selector"],
	}
}

# A ReplicationController's selector is a plain label map.
as_selector := {"matchLabels": input.spec.selector} if {
	input.kind == "ReplicationController"
} else := input.spec.selector

template_labels := labels if {
	labels = input.spec.template.metadata.labels
	is_object(labels)
} else := {}
