# METADATA
# title: Service exposed outside the cluster
# description: |
#   Flags Services of type NodePort or LoadBalancer. They open the workload on every node's IP
#   or on an external load balancer; expose HTTP workloads through an Ingress or Gateway with
#   TLS instead, and keep other Services ClusterIP.
# custom:
#   id: k8s/exposed-service
#   severity: medium
#   remediation: Use type ClusterIP and publish the workload through an Ingress or Gateway, or waive this finding for intended edge Services.
#   kinds: [Service]
#   profiles: [extended]
#   aliases:
#     kube-linter: exposed-services
#     kyverno: [restrict-node-port, restrict-nodeport, restrict-loadbalancer, no-loadbalancer-service]
#     gatekeeper: [k8sblocknodeport, k8sblockloadbalancer]
package tollgate.k8s.exposed_service

import rego.v1

deny contains result if {
	input.kind == "Service"
	service_type = input.spec.type
	service_type in {"NodePort", "LoadBalancer"}
	result = {
		"msg": sprintf("%s: Service type %s exposes the workload outside the cluster", [data.tollgate.lib.k8s.resource, service_type]),
		"path": ["spec", "type"],
	}
}
