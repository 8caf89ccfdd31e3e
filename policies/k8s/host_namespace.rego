# METADATA
# title: Host namespace shared
# description: |
#   Flags pods that set hostNetwork, hostPID or hostIPC to true (one finding per field). Sharing
#   the node's network, process or IPC namespace lets the pod see and talk to everything on the
#   node, bypassing network policies and process isolation.
# custom:
#   id: k8s/host-namespace
#   severity: high
#   remediation: Remove hostNetwork, hostPID and hostIPC from the pod spec or set them to false.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   frameworks:
#     pss: {level: baseline, control: Host Namespaces}
#     cis: [{version: "1.12", id: "5.2.3"}, {version: "1.12", id: "5.2.4"}, {version: "1.12", id: "5.2.5"}]
#     nsa: [PSE]
#   aliases:
#     trivy: [KSV-0008, KSV-0009, KSV-0010]
#     checkov: [CKV_K8S_17, CKV_K8S_18, CKV_K8S_19]
#     kube-linter: [host-ipc, host-network, host-pid]
#     polaris: [hostIPCSet, hostNetworkSet, hostPIDSet]
#     kyverno: disallow-host-namespaces
#     gatekeeper: [k8spsphostnamespace, k8spsphostnetworkingports]
package tollgate.k8s.host_namespace

import rego.v1

namespaces := {"hostNetwork": "network", "hostPID": "process (PID)", "hostIPC": "IPC"}

deny contains result if {
	some field, namespace in namespaces
	data.tollgate.lib.k8s.pod_spec[field] == true
	result = {
		"msg": sprintf("%s: pod shares the node's %s namespace (%s: true)", [data.tollgate.lib.k8s.resource, namespace, field]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, [field]),
	}
}
