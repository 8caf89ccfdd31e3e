# Helpers for cross-resource checks (`import data.tollgate.lib.inventory`): the other documents of
# the commit, read from `data.tollgate.inventory`. tollgate builds that inventory only when a
# selected check declares `custom.scope: inventory` in its METADATA; its shape:
#
#   data.tollgate.inventory.documents              every document with a kind, in file order
#   data.tollgate.inventory.namespaces[ns][kind]   the same entries by namespace and kind
#   data.tollgate.inventory.names[ns][kind][name]  and by name (a lookup: cheaper than a scan)
#   data.tollgate.inventory.selectors[ns][kind]    distinct selectors of NetworkPolicies (their
#                                                  pod_selector) and PodDisruptionBudgets (selector)
#   data.tollgate.inventory.selector_index[ns][kind]  the same, each filed in one list: "all" (may
#                                                  select any pod), "labels"[key][value] (selects
#                                                  only pods with that label), "keys"[key] (only
#                                                  pods with that key)
#   data.tollgate.inventory.scale_targets[ns][kind][name]  HorizontalPodAutoscalers by target
#   data.tollgate.inventory.min_replicas[ns][kind][name]   the largest minReplicas among them
#   data.tollgate.inventory.automount_disabled[ns][name]   a ServiceAccount of that name sets
#                                                  automountServiceAccountToken to false
#   data.tollgate.inventory.pods_by_label[ns][key][value]  the workloads whose pod template has
#                                                  that label (string key and value)
#   data.tollgate.inventory.workload_dirs[ns][dir] true when the directory holds a workload
#   data.tollgate.inventory.custom_resources[ns]   true when the namespace holds an object of an
#                                                  API group that is not Kubernetes' own
#   data.tollgate.inventory.default_deny[ns][direction]  true when a NetworkPolicy there denies
#                                                  "Ingress" or "Egress" to every pod (an empty
#                                                  podSelector, the direction in policyTypes, no
#                                                  rule for it)
#   data.tollgate.inventory.ingress_paths[host][path]  the sorted, distinct "namespace/name" of the
#                                                  Ingresses (any namespace) routing that host and
#                                                  path ("" for a path entry without one)
#   data.tollgate.inventory.service_selectors[ns][selector][port]  the distinct names of the
#                                                  namespace's Services (not headless) with that
#                                                  non-empty spec.selector and that port, sorted
#
# An entry has file, document, apiVersion, kind, name, namespace, labels and annotations, plus
# per kind: workloads pod_labels, port_names, service_account_name, automount_service_account_token (and
# replicas for Deployment, StatefulSet, ReplicaSet, ReplicationController); NetworkPolicy
# pod_selector, policy_types; PodDisruptionBudget selector; Service selector, cluster_ip, ports;
# ServiceAccount automount_service_account_token; HorizontalPodAutoscaler scale_target_ref,
# min_replicas. A field the document does not set is null. A document without metadata.namespace is filed under
# "default", where kubectl applies it.
#
# API:
#   inventory.namespace                  the namespace of `input` (metadata.namespace, else "default")
#   inventory.objects(kind)              the entries of that kind in input's namespace ([] when none)
#   inventory.named(kind, name)          the entries of that kind and name there ([] when none)
#   inventory.objects_in(ns, kind)       the entries of that kind in namespace ns ([] when none)
#   inventory.selectors(kind)            the distinct selectors of that kind's entries there
#   inventory.selection(kind, labels, if_null)  whether those selectors select pods with these
#                                        labels: "selected", "unselected", or "undecided" when
#                                        more than max_candidates of them could (see below)
#   inventory.candidate_count(kind, labels)  how many of them could
#   inventory.autoscalers                the HorizontalPodAutoscalers there that scale input
#   inventory.autoscaler_min_replicas    the largest minReplicas among them (undefined when none)
#   inventory.automount_disabled(name)   whether a ServiceAccount of that name there sets
#                                        automountServiceAccountToken to false
#   inventory.services_with_selector(s, port)  the sorted distinct names of the Services there
#                                        (not headless) whose spec.selector is exactly s and that
#                                        expose port ([] when none)
#   inventory.pod_labels                 the labels of input's pod template ({} when none)
#   inventory.service_account            the ServiceAccount input's pods run as ("default" when unset)
#   inventory.custom_resources           whether input's namespace holds an object of an API group
#                                        that is not Kubernetes' own (what may create objects the
#                                        commit does not show: the dangling checks stay quiet there)
#   inventory.workload_count             how many workloads (objects with a pod template) are there
#   inventory.pod_match(selector)        whether the pods of some workload there match a label
#                                        selector: "some", "none", or "undecided" (see below)
#   inventory.matching_workloads(selector)  those workloads, when "some" (at most max_candidates)
#   inventory.beside_workloads           whether input (and every object of its kind and name in
#                                        its namespace) sits in a directory holding a workload
#   inventory.selects(selector, labels)  whether a label selector object matches the labels:
#                                        matchLabels, and matchExpressions with In, NotIn, Exists and
#                                        DoesNotExist; `{}` matches everything, a non-object nothing
package tollgate.lib.inventory

import rego.v1

namespace := ns if {
	ns = input.metadata.namespace
	is_string(ns)
	ns != ""
} else := "default"

objects(kind) := list if {
	list = data.tollgate.inventory.namespaces[namespace][kind]
	is_array(list)
} else := []

named(kind, name) := list if {
	list = data.tollgate.inventory.names[namespace][kind][name]
	is_array(list)
} else := []

# The distinct label selectors of the namespace's NetworkPolicies or PodDisruptionBudgets.
selectors(kind) := list if {
	list = data.tollgate.inventory.selectors[namespace][kind]
	is_array(list)
} else := []

# The HorizontalPodAutoscalers of the namespace that scale this document.
autoscalers := list if {
	list = data.tollgate.inventory.scale_targets[namespace][input.kind][input.metadata.name]
	is_array(list)
} else := []

# The replica count those autoscalers set at least: one number however many share the target.
autoscaler_min_replicas := n if {
	n = data.tollgate.inventory.min_replicas[namespace][input.kind][input.metadata.name]
	is_number(n)
}

automount_disabled(name) if data.tollgate.inventory.automount_disabled[namespace][name] == true

# Selector matching costs a lookup per label of the pod, not a scan of the namespace's selectors
# (a check runs once per workload: a scan is quadratic in a pull request's documents). A
# selector is a candidate for a pod when it is in the index's "all" list or in the list of one of
# the pod's labels or keys, so candidates are exactly the selectors that can select it. At most
# max_candidates of them are matched against one pod: beyond that (thousands of distinct
# selectors that all ask for a label every pod carries, and something else that none does) the
# answer is "undecided", which the checks report instead of guessing.
max_candidates := 100

selector_index(kind) := index if {
	index = data.tollgate.inventory.selector_index[namespace][kind]
	is_object(index)
} else := {}

unanchored(index) := list if {
	list = index.all
	is_array(list)
} else := []

anchored(index, labels) := array.concat(
	[list |
		some key, value in labels
		list = index.labels[key][value]
		is_array(list)
	],
	[list |
		some key, _ in labels
		list = index.keys[key]
		is_array(list)
	],
)

candidate_count(kind, labels) := n if {
	index = selector_index(kind)
	n = count(unanchored(index)) + sum([count(list) | some list in anchored(index, labels)])
}

# `if_null` is what a null selector means (NetworkPolicy: the empty selector; policy/v1
# PodDisruptionBudget: none).
selection(kind, labels, if_null) := "selected" if {
	selected_by(kind, labels, if_null)
} else := "undecided" if {
	candidate_count(kind, labels) > data.tollgate.lib.inventory.max_candidates
} else := "unselected"

# The selectors that need no label are matched first and on their own, so that an empty
# selector decides even when the labels' lists are too long to match.
selected_by(kind, labels, if_null) if {
	list = unanchored(selector_index(kind))
	count(list) <= data.tollgate.lib.inventory.max_candidates
	some selector in list
	selects(as_selector(selector, if_null), labels)
}

selected_by(kind, labels, if_null) if {
	candidate_count(kind, labels) <= data.tollgate.lib.inventory.max_candidates
	some list in anchored(selector_index(kind), labels)
	some selector in list
	selects(as_selector(selector, if_null), labels)
}

as_selector(selector, if_null) := if_null if {
	selector == null
} else := selector

pod_labels := labels if {
	labels = data.tollgate.lib.k8s.pod_metadata.labels
	is_object(labels)
} else := {}

service_account := sa if {
	sa = data.tollgate.lib.k8s.pod_spec.serviceAccountName
	is_string(sa)
	sa != ""
} else := sa if {
	sa = data.tollgate.lib.k8s.pod_spec.serviceAccount
	is_string(sa)
	sa != ""
} else := "default"

selects(selector, labels) if {
	is_object(selector)
	every key, value in match_labels(selector) {
		labels[key] == value
	}
	every e in match_expressions(selector) {
		expression_holds(e, labels)
	}
}

# Absent or null lists mean "no constraint"; any other non-object/non-array value is undefined,
# so that a malformed selector selects nothing.
match_labels(selector) := m if {
	m = selector.matchLabels
	is_object(m)
} else := {} if object.get(selector, "matchLabels", null) == null

match_expressions(selector) := e if {
	e = selector.matchExpressions
	is_array(e)
} else := [] if object.get(selector, "matchExpressions", null) == null

expression_holds(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

expression_holds(e, labels) if {
	e.operator == "NotIn"
	is_array(e.values)
	not labels[e.key] in e.values
}

expression_holds(e, labels) if {
	e.operator == "Exists"
	e.key in object.keys(labels)
}

expression_holds(e, labels) if {
	e.operator == "DoesNotExist"
	is_string(e.key)
	not e.key in object.keys(labels)
}

custom_resources if data.tollgate.inventory.custom_resources[namespace] == true

workload_kinds := ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "PodTemplate"]

workload_count := sum([count(objects(kind)) | some kind in data.tollgate.lib.inventory.workload_kinds])

# The other direction of `selection`: from a selector (a Service's, a NetworkPolicy's) to the
# workloads of the namespace whose pods it selects, through `pods_by_label`, again without a scan.
# The selector's matchLabels anchor the lookup: a label no workload carries answers "none" at
# once; otherwise the workloads carrying its rarest label are matched against the whole selector,
# at most max_candidates of them ("undecided" beyond). A selector without matchLabels, or with a
# value that is not a string, is "undecided": nothing to look up, so the caller does not judge it.
# The labels controllers add to the pods they create (a StatefulSet's pod-name, a Job's
# job-name) are not in any template, so they are left out of the selector first.
pod_match(selector) := answer if {
	answer = match_declared(declared_selector(selector))
} else := "undecided"

# The loops are in rules of their own: regorus's VM leaves the whole else chain undefined when
# a body's `some` loop finds nothing.
match_declared(selector) := "undecided" if {
	not label_anchored(selector)
} else := "none" if {
	label_absent(selector)
} else := "undecided" if {
	count(rarest(selector)) > data.tollgate.lib.inventory.max_candidates
} else := "some" if {
	rarest_selected(selector)
} else := "none"

label_absent(selector) if {
	some key, value in match_labels(selector)
	count(pods_with(key, value)) == 0
}

rarest_selected(selector) if {
	some entry in rarest(selector)
	selects(selector, entry.pod_labels)
}

matching_workloads(selector) := list if {
	declared = declared_selector(selector)
	match_declared(declared) == "some"
	candidates = rarest(declared)
	list = [entry | some entry in candidates; selects(declared, entry.pod_labels)]
} else := []

controller_label_keys := {
	"statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "controller-revision-hash",
	"pod-template-hash", "pod-template-generation", "batch.kubernetes.io/job-name", "job-name",
	"batch.kubernetes.io/controller-uid", "controller-uid", "batch.kubernetes.io/job-completion-index",
}

declared_selector(selector) := {
	"matchLabels": object.remove(match_labels(selector), data.tollgate.lib.inventory.controller_label_keys),
	"matchExpressions": [e |
		some e in match_expressions(selector)
		not e.key in data.tollgate.lib.inventory.controller_label_keys
	],
} if {
	is_object(selector)
	is_object(match_labels(selector))
	is_array(match_expressions(selector))
}

label_anchored(selector) if {
	is_object(selector)
	labels = match_labels(selector)
	count(labels) > 0
	every key, value in labels {
		is_string(key)
		is_string(value)
	}
}

pods_with(key, value) := list if {
	list = data.tollgate.inventory.pods_by_label[namespace][key][value]
	is_array(list)
} else := []

# The shortest of the lists of the selector's labels (the first of them when several are).
rarest(selector) := list if {
	lists = [pods_with(key, value) | some key, value in match_labels(selector)]
	ranked = sort([[count(l), i] | some i, l in lists])
	list = lists[ranked[0][1]]
}

# Where a Service and the workloads behind it usually live together (a kustomize base, an app's
# directory), a Service in a directory without one (a chart's templates, whose workloads are
# templated and not read as manifests) says nothing about the pods. Same-named objects are all
# looked at, at most 16 of them (more: undefined, so that duplicates cannot make it a scan).
beside_workloads if {
	entries = named(input.kind, input.metadata.name)
	count(entries) > 0
	count(entries) <= 16
	every entry in entries {
		data.tollgate.inventory.workload_dirs[namespace][directory(entry.file)] == true
	}
}

directory(path) := concat("/", array.slice(parts, 0, count(parts) - 1)) if {
	is_string(path)
	parts = split(path, "/")
}

# The entries of that kind in the namespace `ns` ([] when none): for a check on a Namespace
# object, whose own namespace is its metadata.name. A lookup, not a scan.
objects_in(ns, kind) := list if {
	list = data.tollgate.inventory.namespaces[ns][kind]
	is_array(list)
} else := []

# A lookup by the selector itself: a Service finds the others with its selector without scanning
# the namespace's Services.
services_with_selector(selector, port) := list if {
	list = data.tollgate.inventory.service_selectors[namespace][selector][port]
	is_array(list)
} else := []
