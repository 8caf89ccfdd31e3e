# METADATA
# title: Over-broad Argo CD project
# description: |
#   Flags AppProjects that allow any source repository (sourceRepos "*"), any destination
#   (destinations[] with server, name or namespace "*") or any cluster-scoped resource
#   (clusterResourceWhitelist entries with group and kind "*"), and Applications (or
#   ApplicationSet templates) in the default project, which allows all of these out of the box.
#   A project is the boundary between teams: whoever can commit to an allowed repository can
#   deploy anything anywhere it allows.
# custom:
#   id: gitops/argocd-broad-project
#   severity: high
#   remediation: Give each team an AppProject listing its repositories, destination clusters and namespaces, and the cluster-scoped kinds it needs; never deploy through the default project.
#   kinds: [AppProject, Application, ApplicationSet]
#   profiles: [gitops]
#   frameworks:
#     cis: [{version: "1.12", id: "5.1.3"}]
#     nsa: [RBAC]
#   aliases:
#     kyverno: application-prevent-default-project
package tollgate.gitops.argocd_broad_project

import rego.v1

app_project if {
	input.kind == "AppProject"
	startswith(input.apiVersion, "argoproj.io/")
}

list(obj, key) := l if {
	l = obj[key]
	is_array(l)
} else := []

deny contains result if {
	app_project
	some i, repo in list(input.spec, "sourceRepos")
	repo == "*"
	result = {
		"msg": sprintf("%s: allows every source repository (sourceRepos \"*\")", [data.tollgate.lib.k8s.resource]),
		"path": ["spec", "sourceRepos", i],
	}
}

deny contains result if {
	app_project
	some i, destination in list(input.spec, "destinations")
	some field in ["server", "name", "namespace"]
	destination[field] == "*"
	result = {
		"msg": sprintf("%s: destination %d allows every %s (\"*\")", [data.tollgate.lib.k8s.resource, i, field]),
		"path": ["spec", "destinations", i, field],
	}
}

deny contains result if {
	app_project
	some i, entry in list(input.spec, "clusterResourceWhitelist")
	entry.group == "*"
	entry.kind == "*"
	result = {
		"msg": sprintf("%s: allows every cluster-scoped resource (clusterResourceWhitelist group and kind \"*\")", [data.tollgate.lib.k8s.resource]),
		"path": ["spec", "clusterResourceWhitelist", i],
	}
}

deny contains result if {
	data.tollgate.lib.gitops.argo_app
	project = object.get(data.tollgate.lib.gitops.argo_spec, "project", "default")
	project in {"default", ""}
	result = {
		"msg": sprintf("%s: deploys through the default Argo CD project, which allows every repository, cluster and kind", [data.tollgate.lib.k8s.resource]),
		"path": array.concat(data.tollgate.lib.gitops.argo_spec_path, ["project"]),
	}
}
