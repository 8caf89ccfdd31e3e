package tollgate.k8s.default_service_account_binding_test

import rego.v1

import data.tollgate.k8s.default_service_account_binding

binding(subjects) := {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "shop"}, "subjects": subjects}

test_dedicated_service_account_passes if {
	count(default_service_account_binding.deny) == 0 with input as binding([{"kind": "ServiceAccount", "name": "web"}, {"kind": "User", "name": "default"}])
}

test_default_service_account_fails if {
	findings := default_service_account_binding.deny with input as binding([{"kind": "ServiceAccount", "name": "default"}, {"kind": "ServiceAccount", "name": "default", "namespace": "jobs"}])
	findings == {
		{"msg": "RoleBinding/b: binds the default ServiceAccount of namespace shop", "path": ["subjects", 0, "name"]},
		{"msg": "RoleBinding/b: binds the default ServiceAccount of namespace jobs", "path": ["subjects", 1, "name"]},
	}
}
