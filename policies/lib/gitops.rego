# Shared helpers for the GitOps checks (`import data.tollgate.lib.gitops`).
#
#   gitops.argo_app                  the document is an Argo CD Application or ApplicationSet
#   gitops.argo_sources              set of {"source": s, "path": [...]} over spec.source and
#                                    spec.sources[i] (ApplicationSet: under spec.template.spec)
#   gitops.flux(group)               the document's apiVersion is <group>.toolkit.fluxcd.io/*
#   gitops.templated(value)          a string with {{ }} placeholders (ApplicationSet generators)
#   gitops.exact_version(v)          a string that names one full version (1.2.3, v1.2.3-rc.1): no
#                                    range, wildcard or partial version (Helm reads 1.2 as 1.2.x)
#   gitops.own_repository(url)       url is one of the gitops_repositories parameter: a repository
#                                    that holds the cluster's own configuration (this one)
package tollgate.lib.gitops

import rego.v1

argo_app if {
	input.kind in {"Application", "ApplicationSet"}
	startswith(input.apiVersion, "argoproj.io/")
}

# Where the Application spec is: the document's spec, or an ApplicationSet's template spec.
argo_spec_path := ["spec"] if input.kind == "Application"

argo_spec_path := ["spec", "template", "spec"] if input.kind == "ApplicationSet"

argo_spec := object.get(input, argo_spec_path, {})

argo_sources contains {"source": s, "path": array.concat(argo_spec_path, ["source"])} if {
	argo_app
	s = argo_spec.source
	is_object(s)
}

argo_sources contains {"source": s, "path": array.concat(argo_spec_path, ["sources", i])} if {
	argo_app
	sources = argo_spec.sources
	is_array(sources)
	some i, s in sources
	is_object(s)
}

flux(group) if {
	is_string(input.apiVersion)
	startswith(input.apiVersion, concat("", [group, ".toolkit.fluxcd.io/"]))
}

templated(value) if {
	is_string(value)
	contains(value, "{{")
}

exact_version(v) if {
	is_string(v)
	regex.match(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$`, v)
}

# The repositories of the cluster's own configuration (data.tollgate.params.gitops_repositories),
# compared without scheme, user, `.git` suffix, trailing slash and case, so that
# https://github.com/acme/fleet, git@github.com:acme/fleet.git and ssh://git@github.com/acme/fleet
# are one repository.
own_repository(url) if {
	configured = data.tollgate.params.gitops_repositories
	is_array(configured)
	some own in configured
	repository_key(own) == repository_key(url)
}

repository_key(url) := key if {
	is_string(url)
	u = lower(trim_space(url))
	no_scheme = regex.replace(u, `^[a-z][a-z0-9+.-]*://`, "")
	no_user = regex.replace(no_scheme, `^[^@/]*@`, "")
	# scp-like git@host:owner/repo
	path_form = regex.replace(no_user, `^([^/:]+):([^0-9])`, "${1}/${2}")
	key = trim_suffix(trim_right(path_form, "/"), ".git")
}
