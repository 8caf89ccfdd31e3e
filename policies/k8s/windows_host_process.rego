# METADATA
# title: Windows HostProcess container
# description: |
#   Flags securityContext.windowsOptions.hostProcess set to true on the pod or on a container.
#   A HostProcess container runs directly on the Windows node with the node's privileges, the
#   Windows equivalent of a privileged container.
# custom:
#   id: k8s/windows-host-process
#   severity: high
#   remediation: Remove windowsOptions.hostProcess or set it to false; run node agents from a dedicated, privileged namespace if they are truly needed.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   frameworks:
#     pss: {level: baseline, control: HostProcess}
#     cis: [{version: "1.12", id: "5.2.10"}]
#     nsa: [PSE]
#   aliases: {trivy: KSV-0103, polaris: hostProcess, kyverno: disallow-host-process, gatekeeper: k8spsphostprocess}
package tollgate.k8s.windows_host_process

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	data.tollgate.lib.k8s.pod_security_context.windowsOptions.hostProcess == true
	result = {
		"msg": sprintf("%s: pod runs as a Windows HostProcess pod", [data.tollgate.lib.k8s.resource]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "windowsOptions", "hostProcess"]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	entry.container.securityContext.windowsOptions.hostProcess == true
	result = {
		"msg": sprintf("%s: %s runs as a Windows HostProcess container", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "windowsOptions", "hostProcess"]),
	}
}
