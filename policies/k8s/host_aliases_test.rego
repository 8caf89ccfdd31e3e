package tollgate.k8s.host_aliases_test

import rego.v1

import data.tollgate.k8s.host_aliases

deployment(pod_spec) := {"kind": "Deployment", "metadata": {"name": "api"}, "spec": {"template": {"spec": pod_spec}}}

test_no_host_aliases_passes if {
	count(host_aliases.deny) == 0 with input as deployment({"containers": [{"name": "a"}]})
	count(host_aliases.deny) == 0 with input as deployment({"containers": [{"name": "a"}], "hostAliases": []})
	count(host_aliases.deny) == 0 with input as deployment({"containers": [{"name": "a"}], "hostAliases": null})
}

test_host_aliases_fail if {
	findings := host_aliases.deny with input as deployment({"hostAliases": [
		{"ip": "10.0.0.5", "hostnames": ["db.internal", "db"]},
		{"ip": "10.0.0.6", "hostnames": ["cache.internal"]},
	]})
	findings == {{
		"msg": "Deployment/api: hostAliases pins db.internal, db, cache.internal in the pod's /etc/hosts",
		"path": ["spec", "template", "spec", "hostAliases"],
	}}
}

test_entries_without_hostnames_fail if {
	findings := host_aliases.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"hostAliases": [{"ip": "10.0.0.5"}]}}
	findings == {{"msg": "Pod/p: hostAliases pins addresses in the pod's /etc/hosts", "path": ["spec", "hostAliases"]}}
}

test_cronjob_path if {
	findings := host_aliases.deny with input as {
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostAliases": [{"ip": "1.2.3.4", "hostnames": ["x"]}]}}}}},
	}
	[f.path | some f in findings] == [["spec", "jobTemplate", "spec", "template", "spec", "hostAliases"]]
}
