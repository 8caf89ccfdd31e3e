# METADATA
# title: Literal credential in an environment variable
# description: |
#   Flags env entries whose literal value is a credential: the variable's name marks a secret
#   (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, ACCESS_KEY, CREDENTIAL, ...; names ending in
#   _FILE, _PATH, _URL and the like point at a secret and are ignored) and it has a non-empty
#   literal value, or the value itself looks like a credential (an AWS access key id, a private
#   key block, a GitHub or Slack token, a URL with a password). The credential is then in Git,
#   in every rendered manifest and readable by anyone who can read the workload.
# custom:
#   id: k8s/literal-credential-env
#   severity: high
#   remediation: Move the value into a Secret (sealed, SOPS-encrypted or external) and mount it, and rotate the exposed credential.
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate]
#   profiles: [extended]
#   frameworks:
#     cis: [{version: "1.12", id: "5.4.1"}]
#     nsa: [SEC]
#   aliases: {kube-linter: env-var-secret, polaris: sensitiveContainerEnvVar}
package tollgate.k8s.literal_credential_env

import rego.v1

import data.tollgate.lib.k8s
import data.tollgate.lib.secrets

deny contains result if {
	some entry in data.tollgate.lib.k8s.containers
	env = entry.container.env
	is_array(env)
	some i, var in env
	value = var.value
	secrets.literal(value)
	credential(var.name, value)
	result = {
		"msg": sprintf("%s: %s sets the environment variable %v to a literal credential", [data.tollgate.lib.k8s.resource, k8s.container_label(entry), object.get(var, "name", "<unnamed>")]),
		"path": array.concat(entry.path, ["env", i, "value"]),
	}
}

credential(name, _) if secrets.sensitive_name(name)

credential(_, value) if secrets.secret_value(value)
