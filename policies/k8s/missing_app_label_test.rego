package tollgate.k8s.missing_app_label_test

import rego.v1

import data.tollgate.k8s.missing_app_label

test_labelled_workload_passes if {
	findings := missing_app_label.deny with input as {"kind": "Deployment", "metadata": {"name": "api", "labels": {"app.kubernetes.io/name": "api"}}}
	count(findings) == 0
}

test_missing_labels_fails if {
	findings := missing_app_label.deny with input as {"kind": "Deployment", "metadata": {"name": "api"}}
	findings == {{
		"msg": "Deployment/api: missing label app.kubernetes.io/name",
		"path": ["metadata", "labels", "app.kubernetes.io/name"],
	}}
}

# The legacy `app` label is not the recommended one.
test_other_labels_fail if {
	findings := missing_app_label.deny with input as {"kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}}}
	findings == {{
		"msg": "Pod/web: missing label app.kubernetes.io/name",
		"path": ["metadata", "labels", "app.kubernetes.io/name"],
	}}
}

# Labels on the pod template do not count: the object itself must carry the label.
test_pod_template_labels_do_not_count if {
	findings := missing_app_label.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "nightly"},
		"spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "nightly"}}}}}},
	}
	count(findings) == 1
}

test_every_workload_kind_is_checked if {
	every kind in ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "PodTemplate"] {
		findings := missing_app_label.deny with input as {"kind": kind, "metadata": {"name": "x"}}
		count(findings) == 1
	}
}

# A Service is labelled for the application by the pods it selects, not by its own labels.
test_other_kinds_are_ignored if {
	findings := missing_app_label.deny with input as {"kind": "ConfigMap", "metadata": {"name": "cfg"}}
	count(findings) == 0
	count(missing_app_label.deny) == 0 with input as {"kind": "Service", "metadata": {"name": "web", "labels": {"app": "web"}}}
}

# A kustomize patch of a workload does not carry the labels of the object it patches.
test_patch_passes if {
	count(missing_app_label.deny) == 0 with input as {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 3}}
	count(missing_app_label.deny) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api"}, "$patch": "delete"}
}
