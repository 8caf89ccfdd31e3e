# METADATA
# title: Writable root filesystem
# description: |
#   Flags containers that do not set securityContext.readOnlyRootFilesystem to true. A writable
#   root filesystem lets an attacker drop tools or modify binaries inside the running container;
#   mount an emptyDir for the paths that must be writable.
# custom:
#   id: k8s/writable-root-filesystem
#   severity: medium
#   remediation: Set securityContext.readOnlyRootFilesystem to true and mount emptyDir volumes where the application writes.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.6.3"}]
#     nsa: [IFS]
#   aliases:
#     trivy: KSV-0014
#     checkov: CKV_K8S_22
#     kube-linter: no-read-only-root-fs
#     polaris: notReadOnlyRootFilesystem
#     kyverno: require-ro-rootfs
#     gatekeeper: k8spspreadonlyrootfilesystem
package tollgate.k8s.writable_root_filesystem

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	not data.tollgate.lib.k8s.patch
	some entry in data.tollgate.lib.k8s.containers
	not entry.container.securityContext.readOnlyRootFilesystem == true
	result = {
		"msg": sprintf("%s: %s has a writable root filesystem (securityContext.readOnlyRootFilesystem is not true)", [data.tollgate.lib.k8s.resource, k8s.container_label(entry)]),
		"path": array.concat(entry.path, ["securityContext", "readOnlyRootFilesystem"]),
	}
}
