package tollgate.k8s.exposed_service_test

import rego.v1

import data.tollgate.k8s.exposed_service

service(spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}

test_cluster_ip_passes if {
	findings := exposed_service.deny with input as service({"type": "ClusterIP", "ports": [{"port": 80}]})
	count(findings) == 0
}

test_default_type_passes if {
	findings := exposed_service.deny with input as service({"ports": [{"port": 80}]})
	count(findings) == 0
}

test_headless_and_external_name_pass if {
	findings := exposed_service.deny with input as service({"clusterIP": "None"})
	count(findings) == 0
	findings2 := exposed_service.deny with input as service({"type": "ExternalName", "externalName": "db.example.com"})
	count(findings2) == 0
}

test_load_balancer_fails if {
	findings := exposed_service.deny with input as service({"type": "LoadBalancer", "ports": [{"port": 443}]})
	findings == {{
		"msg": "Service/web: Service type LoadBalancer exposes the workload outside the cluster",
		"path": ["spec", "type"],
	}}
}

test_node_port_fails if {
	findings := exposed_service.deny with input as service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]})
	findings == {{
		"msg": "Service/web: Service type NodePort exposes the workload outside the cluster",
		"path": ["spec", "type"],
	}}
}

test_other_kinds_are_ignored if {
	findings := exposed_service.deny with input as {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"type": "LoadBalancer"}}
	count(findings) == 0
}
