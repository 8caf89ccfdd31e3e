package tollgate.k8s.namespace_without_psa_test

import rego.v1

import data.tollgate.k8s.namespace_without_psa

ns(labels) := {"kind": "Namespace", "metadata": {"name": "shop", "labels": labels}}

test_enforced_levels_pass if {
	count(namespace_without_psa.deny) == 0 with input as ns({"pod-security.kubernetes.io/enforce": "restricted"})
	count(namespace_without_psa.deny) == 0 with input as ns({"pod-security.kubernetes.io/enforce": "baseline"})
}

test_missing_label_fails if {
	findings := namespace_without_psa.deny with input as {"kind": "Namespace", "metadata": {"name": "shop"}}
	findings == {{
		"msg": "Namespace/shop: has no pod-security.kubernetes.io/enforce label, so Pod Security Admission enforces nothing",
		"path": ["metadata", "labels", "pod-security.kubernetes.io/enforce"],
	}}
}

test_privileged_fails if {
	findings := namespace_without_psa.deny with input as ns({"pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/warn": "restricted"})
	findings == {{
		"msg": "Namespace/shop: pod-security.kubernetes.io/enforce is privileged, which enforces nothing",
		"path": ["metadata", "labels", "pod-security.kubernetes.io/enforce"],
	}}
}
