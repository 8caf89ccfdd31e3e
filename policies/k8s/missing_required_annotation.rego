# METADATA
# title: Required annotation missing
# description: |
#   Flags an object without one of the annotations the required_annotations parameter lists
#   (data.tollgate.params.required_annotations: annotation keys such as example.com/owner or
#   example.com/runbook), or with the annotation empty. Teams use such annotations to tell who
#   owns an object and where its runbook is; an object without them is nobody's. When the
#   parameter is unset the check passes everything. Every document with metadata is judged; a
#   kustomize patch leaves annotations to the object it patches.
# custom:
#   id: k8s/missing-required-annotation
#   severity: low
#   remediation: Add the annotation to metadata.annotations (or set it for every object with kustomize's commonAnnotations).
#   profiles: [extended]
#   params:
#     required_annotations: {type: array, default: null, description: annotation keys every object must carry with a non-empty value; unset passes everything}
#   aliases:
#     kyverno: require-annotations
#     kube-linter: required-annotation-email
#     gatekeeper: k8srequiredannotations
package tollgate.k8s.missing_required_annotation

import rego.v1

field := "annotations"

param := "required_annotations"

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
