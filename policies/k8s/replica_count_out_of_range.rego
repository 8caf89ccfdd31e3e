# METADATA
# title: Replica count outside the allowed range
# description: |
#   Flags spec.replicas below replica_limits.min or above replica_limits.max
#   (data.tollgate.params.replica_limits, for example {min: 2, max: 50}; either bound may be
#   left out). Too few replicas make a rollout or a node drain an outage; too many exhaust the
#   namespace's quota or the cluster. An unset replicas (1 by default, or an autoscaler's) is
#   not judged, nor is anything when the parameter is unset.
# custom:
#   id: k8s/replica-count-out-of-range
#   severity: low
#   remediation: Set spec.replicas within the range of replica_limits, or let a HorizontalPodAutoscaler with minReplicas and maxReplicas in that range scale the workload.
#   kinds: [Deployment, StatefulSet, ReplicaSet, ReplicationController]
#   profiles: [extended]
#   params:
#     replica_limits: {type: object, default: null, description: "min and max replicas ({min: 2, max: 50}); unset passes every workload"}
#   aliases:
#     kube-linter: minimum-three-replicas
#     kyverno: require-deployments-have-multiple-replicas
#     gatekeeper: k8sreplicalimits
package tollgate.k8s.replica_count_out_of_range

import rego.v1

deny contains result if {
	input.kind in {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
	replicas = input.spec.replicas
	is_number(replicas)
	some bound in ["min", "max"]
	limit = data.tollgate.params.replica_limits[bound]
	is_number(limit)
	outside(bound, replicas, limit)
	result = {
		"msg": sprintf("%s: replicas is %v, %s the %s of %v (replica_limits)", [data.tollgate.lib.k8s.resource, replicas, word[bound], bound, limit]),
		"path": ["spec", "replicas"],
	}
}

outside("min", replicas, limit) if replicas < limit

outside("max", replicas, limit) if replicas > limit

word := {"min": "below", "max": "above"}
