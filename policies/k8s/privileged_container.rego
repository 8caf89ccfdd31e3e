# METADATA
# title: Privileged container
# description: |
#   Flags containers that run with securityContext.privileged set to true. A privileged
#   container has every capability and full access to the node's devices, so escaping it
#   is equivalent to root on the node.
# custom:
#   id: k8s/privileged-container
#   severity: critical
#   remediation: Remove securityContext.privileged or set it to false; grant only the specific capabilities the container needs.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   frameworks:
#     pss: {level: baseline, control: Privileged Containers}
#     cis: [{version: "1.12", id: "5.2.2"}]
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0017
#     checkov: CKV_K8S_16
#     kube-linter: privileged-container
#     polaris: runAsPrivileged
#     kyverno: disallow-privileged-containers
#     gatekeeper: k8spspprivilegedcontainer
package tollgate.k8s.privileged_container

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	entry.container.securityContext.privileged == true
	result = {
		"msg": sprintf("%s: %s is privileged", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "privileged"]),
	}
}
