# METADATA
# title: Service with externalIPs
# description: |
#   Flags Services that set spec.externalIPs. Anyone allowed to create such a Service can
#   intercept traffic for any IP address in the cluster (CVE-2020-8554); the field is rarely
#   needed and best blocked outright.
# custom:
#   id: k8s/service-external-ips
#   severity: high
#   remediation: Remove spec.externalIPs; use a LoadBalancer Service or an Ingress/Gateway instead.
#   kinds: [Service]
#   profiles: [extended]
#   frameworks:
#     nsa: [NP]
#   aliases:
#     trivy: KSV-0108
#     kyverno: [restrict-service-external-ips, restrict-external-ips]
#     gatekeeper: k8sexternalips
package tollgate.k8s.service_external_ips

import rego.v1

deny contains result if {
	input.kind == "Service"
	ips = input.spec.externalIPs
	is_array(ips)
	count(ips) > 0
	result = {
		"msg": sprintf("%s: sets spec.externalIPs %v (CVE-2020-8554)", [data.tollgate.lib.k8s.resource, ips]),
		"path": ["spec", "externalIPs"],
	}
}
