package tollgate.k8s.unexposed_target_port_test

import rego.v1

import data.tollgate.k8s.unexposed_target_port

service(ports) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"app": "web"}, "ports": ports}}

web := {"kind": "Deployment", "name": "web", "pod_labels": {"app": "web"}, "port_names": ["http", "metrics"]}

inv := {"namespaces": {"shop": {"Deployment": [web]}}, "pods_by_label": {"shop": {"app": {"web": [web]}}}}

test_declared_names_and_numbers_pass if {
	ports := [{"port": 80, "targetPort": "http"}, {"port": 9090, "targetPort": 9090}, {"port": 81}]
	count(unexposed_target_port.deny) == 0 with input as service(ports) with data.tollgate.inventory as inv
}

test_unknown_name_fails if {
	findings := unexposed_target_port.deny with input as service([{"port": 80, "targetPort": "http"}, {"port": 443, "targetPort": "https"}]) with data.tollgate.inventory as inv
	findings == {{
		"msg": "Service/web: targetPort https is not the name of a port of the pods it selects (Deployment/web); they get no traffic on port 443",
		"path": ["spec", "ports", 1, "targetPort"],
	}}
}

test_quiet_without_selected_workloads if {
	ports := [{"port": 443, "targetPort": "https"}]
	count(unexposed_target_port.deny) == 0 with input as json.patch(service(ports), [{"op": "replace", "path": "/spec/selector", "value": {"app": "api"}}]) with data.tollgate.inventory as inv
	count(unexposed_target_port.deny) == 0 with input as service(ports) with data.tollgate.inventory as object.union(inv, {"custom_resources": {"shop": true}})
}
