# METADATA
# title: Container sets the same environment variable twice
# description: |
#   Flags a container (init and ephemeral containers included) whose env list names the same
#   variable more than once. Only the last entry takes effect, so the earlier value is silently
#   lost; and env is merged by name, so `kubectl apply` and server-side apply can drop or keep the
#   wrong entry on the next change. Reported at each repeated entry after the first.
# custom:
#   id: k8s/duplicate-env-var
#   severity: medium
#   remediation: Keep one env entry per name; remove or rename the repeated ones.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [correctness]
#   aliases:
#     kube-linter: duplicate-env-var
package tollgate.k8s.duplicate_env_var

import rego.v1

import data.tollgate.lib.k8s

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	env = entry.container.env
	is_array(env)
	# Sorted by name then index, a repeated entry directly follows an entry of the same name:
	# linear in the list after the sort, whatever its length.
	named = sort([[item.name, i] | some i, item in env; is_string(item.name)])
	some k, pair in named
	k > 0
	named[k - 1][0] == pair[0]
	result = {
		"msg": sprintf(
			"%s: %s sets environment variable %s more than once (env[%d] repeats an earlier entry); only the last value takes effect",
			[data.tollgate.lib.k8s.resource, k8s.container_label(entry), pair[0], pair[1]],
		),
		"path": array.concat(entry.path, ["env", pair[1], "name"]),
	}
}
