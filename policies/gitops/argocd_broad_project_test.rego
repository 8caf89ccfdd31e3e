package tollgate.gitops.argocd_broad_project_test

import rego.v1

import data.tollgate.gitops.argocd_broad_project

project(spec) := {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "team"}, "spec": spec}

test_scoped_project_passes if {
	count(argocd_broad_project.deny) == 0 with input as project({
		"sourceRepos": ["https://github.com/acme/shop-deploy.git"],
		"destinations": [{"server": "https://kubernetes.default.svc", "namespace": "shop"}],
		"clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
	})
	count(argocd_broad_project.deny) == 0 with input as {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a"}, "spec": {"project": "shop"}}
}

test_wildcards_fail if {
	findings := argocd_broad_project.deny with input as project({
		"sourceRepos": ["*"],
		"destinations": [{"server": "*", "namespace": "*"}],
		"clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
	})
	findings == {
		{"msg": "AppProject/team: allows every source repository (sourceRepos \"*\")", "path": ["spec", "sourceRepos", 0]},
		{"msg": "AppProject/team: destination 0 allows every server (\"*\")", "path": ["spec", "destinations", 0, "server"]},
		{"msg": "AppProject/team: destination 0 allows every namespace (\"*\")", "path": ["spec", "destinations", 0, "namespace"]},
		{"msg": "AppProject/team: allows every cluster-scoped resource (clusterResourceWhitelist group and kind \"*\")", "path": ["spec", "clusterResourceWhitelist", 0]},
	}
}

test_default_project_fails if {
	findings := argocd_broad_project.deny with input as {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a"}, "spec": {"project": "default"}}
	findings == {{"msg": "Application/a: deploys through the default Argo CD project, which allows every repository, cluster and kind", "path": ["spec", "project"]}}
	findings2 := argocd_broad_project.deny with input as {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "s"}, "spec": {"template": {"spec": {}}}}
	findings2 == {{"msg": "ApplicationSet/s: deploys through the default Argo CD project, which allows every repository, cluster and kind", "path": ["spec", "template", "spec", "project"]}}
}
