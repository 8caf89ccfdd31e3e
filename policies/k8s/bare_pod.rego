# METADATA
# title: Bare Pod without a controller
# description: |
#   Flags a Pod with no metadata.ownerReferences: no Deployment, StatefulSet, DaemonSet or Job
#   manages it, so nothing recreates it when its node fails, is drained or upgraded, and a
#   change to its spec needs a delete and re-create that GitOps tools do in place only for
#   controllers. Pods that Helm or Argo CD run as hooks (helm.sh/hook, argocd.argoproj.io/hook
#   annotations: `helm test` pods, sync hooks) are bare by design and pass.
# custom:
#   id: k8s/bare-pod
#   severity: low
#   remediation: Run the Pod from a Deployment (a long-running service), a StatefulSet, a DaemonSet or a Job (a task that ends).
#   kinds: [Pod]
#   profiles: [extended]
#   aliases:
#     kyverno: prevent-bare-pods
package tollgate.k8s.bare_pod

import rego.v1

hook_annotations := {"helm.sh/hook", "argocd.argoproj.io/hook"}

deny contains result if {
	input.kind == "Pod"
	not data.tollgate.lib.k8s.patch
	not owned
	not hook
	result = {
		"msg": sprintf("%s: Pod has no controller (no ownerReferences), so nothing recreates it when its node goes away", [data.tollgate.lib.k8s.resource]),
		"path": ["kind"],
	}
}

owned if {
	refs = input.metadata.ownerReferences
	is_array(refs)
	count(refs) > 0
}

hook if {
	annotations = input.metadata.annotations
	is_object(annotations)
	some key in object.keys(annotations)
	key in hook_annotations
}
