package tollgate.k8s.system_namespace_test

import rego.v1

import data.tollgate.k8s.system_namespace

deployment(ns) := {"kind": "Deployment", "metadata": {"name": "d", "namespace": ns}}

test_app_namespace_passes if {
	count(system_namespace.deny) == 0 with input as deployment("shop")
	count(system_namespace.deny) == 0 with input as {"kind": "Deployment", "metadata": {"name": "d"}}
}

test_kube_system_fails if {
	findings := system_namespace.deny with input as deployment("kube-system")
	findings == {{"msg": "Deployment/d: is deployed into the system namespace kube-system", "path": ["metadata", "namespace"]}}
}

test_parameter_overrides_the_list if {
	count(system_namespace.deny) == 0 with input as deployment("kube-system") with data.tollgate.params.system_namespaces as []
	count(system_namespace.deny) == 1 with input as deployment("platform") with data.tollgate.params.system_namespaces as ["platform"]
}
