# METADATA
# title: hostAliases set
# description: |
#   Flags a pod spec with hostAliases. The kubelet writes them into the pod's /etc/hosts, so the
#   names they list resolve to fixed addresses that bypass cluster DNS: an address that moves
#   breaks the workload silently, and a reviewer of the DNS records does not see that a name of
#   theirs is pinned (or redirected) in this pod. An empty list sets nothing and passes.
# custom:
#   id: k8s/host-aliases
#   severity: low
#   remediation: Remove hostAliases and publish the names in DNS (a Service, an ExternalName Service or the cluster DNS configuration).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   aliases:
#     trivy: KSV-0007
package tollgate.k8s.host_aliases

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	aliases = data.tollgate.lib.k8s.pod_spec.hostAliases
	is_array(aliases)
	count(aliases) > 0
	result = {
		"msg": sprintf("%s: hostAliases pins %s in the pod's /etc/hosts", [data.tollgate.lib.k8s.resource, describe(aliases)]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["hostAliases"]),
	}
}

# "db.internal, cache.internal" (the hostnames of every entry), or "addresses" when none names one.
describe(aliases) := concat(", ", names) if {
	names = [name | some a in aliases; is_array(a.hostnames); some name in a.hostnames; is_string(name)]
	count(names) > 0
} else := "addresses"
