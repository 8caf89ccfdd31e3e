package tollgate.k8s.missing_required_label_test

import rego.v1

import data.tollgate.k8s.missing_required_label

svc(labels) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "labels": labels}}

params := {"required_labels": ["owner", "app.kubernetes.io/part-of"]}

test_unset_parameter_passes if {
	count(missing_required_label.deny) == 0 with input as svc({})
}

test_labels_present_pass if {
	findings := missing_required_label.deny with input as svc({"owner": "team-a", "app.kubernetes.io/part-of": "shop"})
		with data.tollgate.params as params
	count(findings) == 0
}

test_missing_and_empty_fail if {
	findings := missing_required_label.deny with input as svc({"owner": ""}) with data.tollgate.params as params
	findings == {
		{"msg": "Service/api: the required label owner is missing", "path": ["metadata", "labels", "owner"]},
		{"msg": "Service/api: the required label app.kubernetes.io/part-of is missing", "path": ["metadata", "labels", "app.kubernetes.io/part-of"]},
	}
}

test_no_labels_block_fails if {
	findings := missing_required_label.deny with input as {"kind": "ConfigMap", "metadata": {"name": "c"}}
		with data.tollgate.params as {"required_labels": ["owner"]}
	findings == {{"msg": "ConfigMap/c: the required label owner is missing", "path": ["metadata", "labels", "owner"]}}
}

test_patch_and_malformed_pass if {
	count(missing_required_label.deny) == 0 with input as {"$patch": "merge", "kind": "Service", "metadata": {"name": "api"}} with data.tollgate.params as params
	count(missing_required_label.deny) == 0 with input as {"kind": "Service"} with data.tollgate.params as params
	count(missing_required_label.deny) == 0 with input as svc({}) with data.tollgate.params as {"required_labels": "owner"}
	count(missing_required_label.deny) == 0 with input as svc({}) with data.tollgate.params as {"required_labels": [3, ""]}
	count(missing_required_label.deny) == 1 with input as svc({"owner": 3}) with data.tollgate.params as {"required_labels": ["owner"]}
}
