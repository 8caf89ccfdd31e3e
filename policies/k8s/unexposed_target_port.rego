# METADATA
# title: Service targetPort names a port its pods do not have
# description: |
#   Flags a Service port whose targetPort is a name that no container port of the workloads it
#   selects carries (among the manifests of the commit: a cross-resource check that reads the
#   commit's inventory). kube-proxy resolves a named targetPort in each selected pod; a pod
#   without a port of that name gets no traffic on that Service port. Judged only when the
#   selector matches at least one workload of the commit (k8s/dangling-service reports one that
#   matches none) and the namespace holds no object of an API group that is not Kubernetes' own;
#   a numbered targetPort is not judged (the pod may listen on a port it does not declare).
# custom:
#   id: k8s/unexposed-target-port
#   severity: medium
#   remediation: Use the name of a port (ports[].name) the selected containers declare, or its number, or name the container's port as the Service expects.
#   kinds: [Service]
#   scope: inventory
#   profiles: [correctness]
package tollgate.k8s.unexposed_target_port

import rego.v1

import data.tollgate.lib.inventory

deny contains result if {
	not data.tollgate.lib.k8s.patch
	input.kind == "Service"
	not input.spec.type == "ExternalName"
	selector = input.spec.selector
	is_object(selector)
	count(selector) > 0
	not data.tollgate.lib.inventory.custom_resources
	# Once per Service, not per port: a Service may list many ports.
	workloads = inventory.matching_workloads({"matchLabels": selector})
	count(workloads) > 0
	some i, port in input.spec.ports
	target = port.targetPort
	is_string(target)
	target != ""
	not data.tollgate.k8s.unexposed_target_port.declared(workloads, target)
	result = {
		"msg": sprintf(
			"%s: targetPort %s is not the name of a port of the pods it selects (%s); they get no traffic on port %v",
			[
				data.tollgate.lib.k8s.resource, target,
				concat(", ", sort({sprintf("%s/%s", [w.kind, w.name]) | some w in workloads})),
				object.get(port, "port", i),
			],
		),
		"path": ["spec", "ports", i, "targetPort"],
	}
}

declared(workloads, target) if {
	some w in workloads
	names = w.port_names
	is_array(names)
	target in names
}
