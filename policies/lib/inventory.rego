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
#   data.tollgate.inventory.service_selectors[ns][selector][port]  the distinct names of the
#                                                  namespace's Services (not headless) with that
#                                                  non-empty spec.selector and that port, sorted
#
# An entry has file, document, apiVersion, kind, name, namespace, labels and annotations, plus
# per kind: workloads pod_labels, service_account_name, automount_service_account_token (and
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

# A lookup by the selector itself: a Service finds the others with its selector without scanning
# the namespace's Services.
services_with_selector(selector, port) := list if {
	list = data.tollgate.inventory.service_selectors[namespace][selector][port]
	is_array(list)
} else := []
