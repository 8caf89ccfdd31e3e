package tollgate.k8s.missing_health_probe_test

import rego.v1

import data.tollgate.k8s.missing_health_probe

deployment(kind, containers) := {"kind": kind, "metadata": {"name": "d"}, "spec": {"template": {"spec": {"initContainers": [{"name": "init"}], "containers": containers}}}}

probe := {"httpGet": {"path": "/healthz", "port": 8080}}

test_both_probes_pass if {
	count(missing_health_probe.deny) == 0 with input as deployment("Deployment", [{"name": "a", "livenessProbe": probe, "readinessProbe": probe}])
}

test_missing_probes_fail if {
	findings := missing_health_probe.deny with input as deployment("StatefulSet", [{"name": "a", "readinessProbe": probe}, {"name": "b"}])
	findings == {
		{"msg": "StatefulSet/d: container 'a' has no livenessProbe", "path": ["spec", "template", "spec", "containers", 0, "livenessProbe"]},
		{"msg": "StatefulSet/d: container 'b' has no livenessProbe", "path": ["spec", "template", "spec", "containers", 1, "livenessProbe"]},
		{"msg": "StatefulSet/d: container 'b' has no readinessProbe", "path": ["spec", "template", "spec", "containers", 1, "readinessProbe"]},
	}
}

test_jobs_are_ignored if {
	count(missing_health_probe.deny) == 0 with input as deployment("Job", [{"name": "a"}])
}
