package tollgate.gitops.argocd_mutable_revision_test

import rego.v1

import data.tollgate.gitops.argocd_mutable_revision

app(spec) := {
	"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "shop"},
	"spec": object.union({"destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"}}, spec),
}

git(revision) := {"repoURL": "https://github.com/acme/deploy.git", "path": "apps/shop", "targetRevision": revision}

test_sha_and_tag_pass if {
	count(argocd_mutable_revision.deny) == 0 with input as app({"source": git("0123456789abcdef0123456789abcdef01234567")})
	count(argocd_mutable_revision.deny) == 0 with input as app({"sources": [git("v1.4.2"), {"repoURL": "https://charts.example.com", "chart": "x", "targetRevision": "*"}]})
	count(argocd_mutable_revision.deny) == 0 with input as app({"source": git("{{ .values.revision }}")})
}

test_unset_and_branch_fail if {
	findings := argocd_mutable_revision.deny with input as app({"sources": [{"repoURL": "https://github.com/acme/deploy.git", "path": "x"}, git("main")]})
	findings == {
		{"msg": "Application/shop: Git source https://github.com/acme/deploy.git tracks the mutable revision HEAD (targetRevision unset)", "path": ["spec", "sources", 0, "targetRevision"]},
		{"msg": "Application/shop: Git source https://github.com/acme/deploy.git tracks the mutable revision main", "path": ["spec", "sources", 1, "targetRevision"]},
	}
}

test_applicationset_template_fails if {
	findings := argocd_mutable_revision.deny with input as {
		"apiVersion": "argoproj.io/v1alpha1",
		"kind": "ApplicationSet",
		"metadata": {"name": "all"},
		"spec": {"template": {"spec": {"source": git("HEAD")}}},
	}
	some f in findings
	f.path == ["spec", "template", "spec", "source", "targetRevision"]
}

test_other_api_groups_are_ignored if {
	count(argocd_mutable_revision.deny) == 0 with input as {"apiVersion": "example.com/v1", "kind": "Application", "metadata": {"name": "x"}, "spec": {"source": git("main")}}
}

# The repository's own configuration (gitops_repositories) may be tracked on a branch.
test_own_repository_passes if {
	own := ["git@github.com:acme/deploy.git"]
	count(argocd_mutable_revision.deny) == 0 with input as app({"source": git("HEAD")}) with data.tollgate.params.gitops_repositories as own
	count(argocd_mutable_revision.deny) == 0 with input as app({"source": object.remove(git("x"), ["targetRevision"])}) with data.tollgate.params.gitops_repositories as own
	count(argocd_mutable_revision.deny) == 1 with input as app({"sources": [git("main"), object.union(git("main"), {"repoURL": "https://github.com/acme/other"})]})
		with data.tollgate.params.gitops_repositories as own
}

# A patch of an Application (no destination) that sets no revision is not judged.
test_patch_without_revision_passes if {
	patch := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "shop"}, "spec": {"source": {"path": "apps/shop/prod", "repoURL": "https://github.com/acme/deploy.git"}}}
	count(argocd_mutable_revision.deny) == 0 with input as patch
	count(argocd_mutable_revision.deny) == 1 with input as object.union(patch, {"spec": {"source": {"targetRevision": "dev"}}})
}

# A repoURL left for the user to fill in is not judged (it may be this repository).
test_placeholder_repository_passes if {
	count(argocd_mutable_revision.deny) == 0 with input as app({"source": object.union(git("HEAD"), {"repoURL": "{repo-placeholder}"})})
	count(argocd_mutable_revision.deny) == 0 with input as app({"source": object.union(git("HEAD"), {"repoURL": "<your-config-repo>"})})
	count(argocd_mutable_revision.deny) == 1 with input as app({"source": object.union(git("HEAD"), {"repoURL": "https://github.com/{org}/deploy"})})
}
