# METADATA
# title: Unsafe sysctl
# description: |
#   Flags pod securityContext.sysctls whose name is outside the Pod Security Standards safe set
#   for the target Kubernetes version (kube_version parameter, default: the newest release).
#   Safe in every version: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range,
#   net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start;
#   from 1.27 net.ipv4.ip_local_reserved_ports; from 1.29 net.ipv4.tcp_keepalive_time,
#   tcp_fin_timeout, tcp_keepalive_intvl and tcp_keepalive_probes; from 1.32 net.ipv4.tcp_rmem
#   and tcp_wmem. Other sysctls are not namespaced or can affect the whole node.
# custom:
#   id: k8s/unsafe-sysctl
#   severity: medium
#   remediation: Remove the sysctl from the pod, or tune it on the node; only sysctls of the safe set may be set per pod.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [baseline, restricted]
#   params:
#     kube_version: {type: string, default: "1.37", description: target Kubernetes version (data.tollgate.params.kube_version)}
#   frameworks:
#     pss: {level: baseline, control: Sysctls}
#     nsa: [PSE]
#   aliases:
#     trivy: KSV-0026
#     kube-linter: unsafe-sysctls
#     kyverno: restrict-sysctls
#     gatekeeper: k8spspforbiddensysctls
package tollgate.k8s.unsafe_sysctl

import rego.v1

# [name, first minor version where it is safe]
safe_since := {
	"kernel.shm_rmid_forced": 0,
	"net.ipv4.ip_local_port_range": 0,
	"net.ipv4.tcp_syncookies": 0,
	"net.ipv4.ping_group_range": 0,
	"net.ipv4.ip_unprivileged_port_start": 0,
	"net.ipv4.ip_local_reserved_ports": 27,
	"net.ipv4.tcp_keepalive_time": 29,
	"net.ipv4.tcp_fin_timeout": 29,
	"net.ipv4.tcp_keepalive_intvl": 29,
	"net.ipv4.tcp_keepalive_probes": 29,
	"net.ipv4.tcp_rmem": 32,
	"net.ipv4.tcp_wmem": 32,
}

safe(name) if safe_since[name] <= data.tollgate.lib.k8s.kube_minor

deny contains result if {
	sysctls = data.tollgate.lib.k8s.pod_security_context.sysctls
	is_array(sysctls)
	some i, sysctl in sysctls
	is_object(sysctl)
	name = object.get(sysctl, "name", "")
	not safe(name)
	result = {
		"msg": sprintf("%s: pod sets sysctl %v, which is not in the safe set for Kubernetes 1.%d", [data.tollgate.lib.k8s.resource, name, data.tollgate.lib.k8s.kube_minor]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "sysctls", i, "name"]),
	}
}
