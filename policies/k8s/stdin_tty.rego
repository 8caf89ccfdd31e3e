# METADATA
# title: stdin or tty on a container
# description: |
#   Flags stdin: true or tty: true on a container. A long-running workload has no use for them:
#   they are what `kubectl run -it` sets for an interactive shell, and left in a manifest they keep
#   an attachable terminal open to whoever may `kubectl attach`, and a process that reads stdin
#   blocks on it instead of exiting. One finding per field set. Ephemeral containers are exempt:
#   they are what `kubectl debug -it` adds to attach a terminal.
# custom:
#   id: k8s/stdin-tty
#   severity: low
#   remediation: Remove stdin and tty from the container (debug with kubectl debug, which adds an ephemeral container when needed).
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   aliases:
#     gatekeeper: k8sdisallowinteractivetty
package tollgate.k8s.stdin_tty

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	k8s.container_field(entry) != "ephemeralContainers"
	some field in ["stdin", "tty"]
	entry.container[field] == true
	result = {
		"msg": sprintf("%s: %s sets %s: true", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), field]),
		"path": array.concat(entry.path, [field]),
	}
}
