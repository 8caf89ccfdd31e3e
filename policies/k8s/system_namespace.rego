# METADATA
# title: Workload in a system namespace
# description: |
#   Flags workloads whose metadata.namespace is a Kubernetes system namespace (kube-system,
#   kube-public, kube-node-lease). System namespaces hold the control plane's own components and
#   are usually exempt from Pod Security admission and network policies, so an application placed
#   there escapes them. Platform repositories can override the list with the system_namespaces
#   parameter (an empty list disables the check).
# custom:
#   id: k8s/system-namespace
#   severity: medium
#   remediation: Deploy the workload into its own namespace.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   params:
#     system_namespaces: {type: array, default: [kube-system, kube-public, kube-node-lease], description: namespaces reserved for the platform}
#   frameworks:
#     cis: [{version: "1.12", id: "5.6.1"}]
#     nsa: [NS]
#   aliases: {trivy: KSV-0037}
package tollgate.k8s.system_namespace

import rego.v1

default_system_namespaces := ["kube-system", "kube-public", "kube-node-lease"]

system_namespaces := {ns | some ns in configured} if {
	configured = data.tollgate.params.system_namespaces
	is_collection(configured)
} else := {ns | some ns in default_system_namespaces}

is_collection(x) if is_array(x)

is_collection(x) if is_set(x)

deny contains result if {
	namespace = input.metadata.namespace
	namespace in system_namespaces
	result = {
		"msg": sprintf("%s: is deployed into the system namespace %s", [data.tollgate.lib.k8s.resource, namespace]),
		"path": ["metadata", "namespace"],
	}
}
