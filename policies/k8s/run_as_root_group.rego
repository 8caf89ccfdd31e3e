# METADATA
# title: Runs with the root group
# description: |
#   Flags runAsGroup 0 (pod or container securityContext), fsGroup 0 and a 0 in
#   supplementalGroups. A process in group 0 can read and write every file owned by the root
#   group, in the image and on shared volumes. This is the optional "non-root groups" control of
#   the restricted Pod Security Standard: Pod Security Admission's restricted level does not
#   enforce it, so the check is in extended, not restricted (a pod PSA admits passes restricted).
# custom:
#   id: k8s/run-as-root-group
#   severity: low
#   remediation: Set runAsGroup and fsGroup to a non-zero GID (for example 10001) and remove 0 from supplementalGroups.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     pss: {level: restricted, control: Non-root groups (optional)}
#     cis: [{version: "1.12", id: "5.2.7"}]
#     nsa: [NR]
#   aliases:
#     trivy: KSV-0116
#     kube-linter: run-as-non-root
#     kyverno: require-non-root-groups
#     gatekeeper: k8spspallowedusers
package tollgate.k8s.run_as_root_group

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some field in ["runAsGroup", "fsGroup"]
	data.tollgate.lib.k8s.pod_security_context[field] == 0
	result = {
		"msg": sprintf("%s: pod securityContext.%s is 0 (root group)", [data.tollgate.lib.k8s.resource, field]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", field]),
	}
}

deny contains result if {
	groups = data.tollgate.lib.k8s.pod_security_context.supplementalGroups
	is_array(groups)
	some i, gid in groups
	gid == 0
	result = {
		"msg": sprintf("%s: pod securityContext.supplementalGroups contains 0 (root group)", [data.tollgate.lib.k8s.resource]),
		"path": array.concat(data.tollgate.lib.k8s.pod_spec_path, ["securityContext", "supplementalGroups", i]),
	}
}

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	entry.container.securityContext.runAsGroup == 0
	result = {
		"msg": sprintf("%s: %s securityContext.runAsGroup is 0 (root group)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "runAsGroup"]),
	}
}
