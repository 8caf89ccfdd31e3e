# METADATA
# title: Argo CD Git source on a mutable revision
# description: |
#   Flags Git sources of Argo CD Applications and ApplicationSet templates (spec.source,
#   spec.sources[]; sources with a chart are left to gitops/argocd-unpinned-chart) whose
#   targetRevision is omitted (HEAD), HEAD or a branch-like name. What gets deployed then changes
#   with every push to that branch, without a change to the deployment repository to review.
#   A 40-hex commit SHA or a version tag (v1.4.2, 1.4.2) passes; templated values ({{ ... }})
#   and placeholder repoURLs ({repo-placeholder}, <your-repo>) are not judged. Sources of the
#   repository's own configuration pass: set the gitops_repositories parameter to this
#   repository's URL (any spelling: https, ssh, scp-like, with or without .git), and the
#   Application-of-apps root and its children that track this repository's branch are not
#   flagged (every change to it is a reviewed change here). A kustomize patch of an Application
#   (no spec.destination) is not judged for a revision it does not set.
# custom:
#   id: gitops/argocd-mutable-revision
#   severity: high
#   remediation: Set targetRevision to a commit SHA or a release tag, and update it through a reviewed change (for example with Argo CD Image Updater or Renovate).
#   kinds: [Application, ApplicationSet]
#   profiles: [gitops]
#   params:
#     gitops_repositories: {type: array, default: [], description: URLs of the repositories that hold the cluster's own configuration (this one); their sources may follow a branch}
#   frameworks:
#     nsa: [UPG]
package tollgate.gitops.argocd_mutable_revision

import rego.v1

import data.tollgate.lib.gitops
deny contains result if {
	some entry in data.tollgate.lib.gitops.argo_sources
	not entry.source.chart
	not gitops.own_repository(entry.source.repoURL)
	not placeholder(object.get(entry.source, "repoURL", ""))
	revision = object.get(entry.source, "targetRevision", "")
	not gitops.templated(revision)
	not immutable(revision)
	not unset_in_patch(revision)
	result = {
		"msg": sprintf("%s: Git source %v tracks the mutable revision %s", [data.tollgate.lib.k8s.resource, object.get(entry.source, "repoURL", "<no repoURL>"), describe(revision)]),
		"path": array.concat(entry.path, ["targetRevision"]),
	}
}

immutable(revision) if regex.match(`^[0-9a-f]{40}$`, revision)

# A version tag (v1.4, 1.4.2, v2.0.0-rc.1).
immutable(revision) if regex.match(`^v?[0-9]+(\.[0-9]+)+([-+][0-9A-Za-z.+-]+)?$`, revision)

immutable(revision) if regex.match(`^sha256:[0-9a-f]{64}$`, revision)

describe(revision) := "HEAD (targetRevision unset)" if {
	revision in {"", null}
} else := sprintf("%v", [revision])

unset_in_patch(revision) if {
	revision in {"", null}
	data.tollgate.lib.k8s.patch
}

# A repoURL left for the user to fill in ({repo-placeholder}, <your-repo>, {{ .repo }}): which
# repository it will be, and so whether it is this one, is not known.
placeholder(url) if gitops.templated(url)

placeholder(url) if regex.match(`^\s*[{<][^}>]*[}>]\s*$`, url)
