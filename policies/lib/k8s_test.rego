package tollgate.lib.k8s_test

import rego.v1

import data.tollgate.lib.k8s

pod_spec := {"containers": [{"name": "app", "image": "app:1.0"}]}

test_pod_spec_path_per_kind if {
	k8s.pod_spec_path == ["spec"] with input as {"kind": "Pod", "spec": pod_spec}
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"] {
		k8s.pod_spec_path == ["spec", "template", "spec"] with input as {"kind": kind, "spec": {"template": {"spec": pod_spec}}}
	}
	k8s.pod_spec_path == ["spec", "jobTemplate", "spec", "template", "spec"] with input as {"kind": "CronJob"}
	k8s.pod_spec_path == ["template", "spec"] with input as {"kind": "PodTemplate"}
}

# (A rule used both in the compared expression and in the `with` value evaluates to undefined in
# regorus 0.14, so tests bind documents to local variables first.)
test_pod_spec_per_kind if {
	spec := pod_spec
	k8s.pod_spec == spec with input as {"kind": "Pod", "spec": spec}
	k8s.pod_spec == spec with input as {"kind": "StatefulSet", "spec": {"template": {"spec": spec}}}
	k8s.pod_spec == spec with input as {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
	k8s.pod_spec == spec with input as {"kind": "PodTemplate", "template": {"spec": spec}}
}

test_no_pod_spec_for_other_kinds if {
	not k8s.pod_spec with input as {"kind": "Service", "spec": pod_spec}
	not k8s.pod_spec_path with input as {"kind": "ConfigMap"}
	count(k8s.containers) == 0 with input as {"kind": "Service", "spec": pod_spec}
}

test_containers_cover_all_three_lists_with_paths if {
	doc := {"kind": "Deployment", "spec": {"template": {"spec": {
		"initContainers": [{"name": "setup"}],
		"containers": [{"name": "web"}, {"name": "sidecar"}],
		"ephemeralContainers": [{"name": "debug"}],
	}}}}
	k8s.containers == {
		{"container": {"name": "setup"}, "path": ["spec", "template", "spec", "initContainers", 0]},
		{"container": {"name": "web"}, "path": ["spec", "template", "spec", "containers", 0]},
		{"container": {"name": "sidecar"}, "path": ["spec", "template", "spec", "containers", 1]},
		{"container": {"name": "debug"}, "path": ["spec", "template", "spec", "ephemeralContainers", 0]},
	} with input as doc
	k8s.regular_containers == {
		{"container": {"name": "web"}, "path": ["spec", "template", "spec", "containers", 0]},
		{"container": {"name": "sidecar"}, "path": ["spec", "template", "spec", "containers", 1]},
	} with input as doc
}

test_identical_containers_stay_distinct if {
	count(k8s.containers) == 2 with input as {"kind": "Pod", "spec": {"containers": [{"name": "a"}, {"name": "a"}]}}
}

test_cronjob_container_path if {
	k8s.containers == {{
		"container": {"name": "job"},
		"path": ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0],
	}} with input as {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}}}
}

test_pod_template_container_path if {
	k8s.containers == {{"container": {"name": "t"}, "path": ["template", "spec", "containers", 0]}} with input as {"kind": "PodTemplate", "template": {"spec": {"containers": [{"name": "t"}]}}}
}

test_malformed_documents_yield_nothing if {
	count(k8s.containers) == 0 with input as {"kind": "Pod", "spec": {"containers": "web"}}
	count(k8s.containers) == 0 with input as {"kind": "Pod", "spec": {"containers": ["web", 3, null]}}
	count(k8s.containers) == 0 with input as {"kind": "Pod", "spec": {"containers": {"name": "web"}}}
	count(k8s.containers) == 0 with input as {"kind": "Deployment", "spec": "oops"}
	count(k8s.containers) == 0 with input as {"kind": "Deployment", "spec": {"template": {"spec": []}}}
	count(k8s.containers) == 0 with input as ["not", "a", "document"]
	count(k8s.containers) == 0 with input as "scalar document"
	not k8s.pod_spec with input as {"kind": "Pod", "spec": null}
}

test_resource if {
	k8s.resource == "Deployment/api" with input as {"kind": "Deployment", "metadata": {"name": "api"}}
	k8s.resource == "Job/backup-*" with input as {"kind": "Job", "metadata": {"generateName": "backup-"}}
	k8s.resource == "Pod/<unnamed>" with input as {"kind": "Pod"}
	k8s.resource == "Pod/<unnamed>" with input as {"kind": "Pod", "metadata": "x"}
	k8s.resource == "<unknown kind>/x" with input as {"metadata": {"name": "x"}}
}

test_container_label if {
	k8s.container_label({"container": {"name": "web"}, "path": ["spec", "containers", 0]}) == "container 'web'"
	k8s.container_label({"container": {"name": "setup"}, "path": ["spec", "initContainers", 0]}) == "init container 'setup'"
	k8s.container_label({"container": {}, "path": ["spec", "ephemeralContainers", 2]}) == "ephemeral container '<unnamed>'"
}
