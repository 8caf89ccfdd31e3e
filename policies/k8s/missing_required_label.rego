# METADATA
# title: Required label missing
# description: |
#   Flags an object without one of the labels the required_labels parameter lists
#   (data.tollgate.params.required_labels: label keys such as owner or app.kubernetes.io/part-of),
#   or with the label empty. Teams use such labels to route alerts, costs and incidents to an
#   owner; an object without them is nobody's. When the parameter is unset the check passes
#   everything. Every document with metadata is judged; a kustomize patch leaves labels to the
#   object it patches.
# custom:
#   id: k8s/missing-required-label
#   severity: low
#   remediation: Add the label to metadata.labels (or set it for every object with kustomize's labels or Helm's common labels).
#   profiles: [extended]
#   params:
#     required_labels: {type: array, default: null, description: label keys every object must carry with a non-empty value; unset passes everything}
#   aliases:
#     kube-linter: required-label-owner
#     gatekeeper: k8srequiredlabels
package tollgate.k8s.missing_required_label

import rego.v1

field := "labels"

param := "required_labels"

deny contains result if {
	not data.tollgate.lib.k8s.patch
	keys = data.tollgate.params[param]
	is_array(keys)
	is_object(input.metadata)
	some key in keys
	is_string(key)
	key != ""
	not present(key)
	result = {
		"msg": sprintf("%s: the required %s %s is missing", [data.tollgate.lib.k8s.resource, noun, key]),
		"path": ["metadata", field, key],
	}
}

present(key) if {
	value = input.metadata[field][key]
	is_string(value)
	value != ""
}

noun := trim_suffix(field, "s")
