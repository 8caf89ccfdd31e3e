package tollgate.k8s.service_external_ips_test

import rego.v1

import data.tollgate.k8s.service_external_ips

svc(spec) := {"kind": "Service", "metadata": {"name": "web"}, "spec": spec}

test_no_external_ips_passes if {
	count(service_external_ips.deny) == 0 with input as svc({"type": "ClusterIP"})
	count(service_external_ips.deny) == 0 with input as svc({"externalIPs": []})
}

test_external_ips_fail if {
	findings := service_external_ips.deny with input as svc({"externalIPs": ["10.0.0.10"]})
	findings == {{"msg": "Service/web: sets spec.externalIPs [\"10.0.0.10\"] (CVE-2020-8554)", "path": ["spec", "externalIPs"]}}
}
