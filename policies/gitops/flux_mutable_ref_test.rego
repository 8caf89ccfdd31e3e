package tollgate.gitops.flux_mutable_ref_test

import rego.v1

import data.tollgate.gitops.flux_mutable_ref

src(kind, ref) := {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": kind, "metadata": {"name": "app"}, "spec": {"url": "https://github.com/acme/app", "ref": ref}}

test_pinned_git_refs_pass if {
	every ref in [
		{"commit": "0123456789abcdef0123456789abcdef01234567", "branch": "main"},
		{"tag": "v1.4.2"},
		{"semver": "1.4.2"},
		{"name": "refs/tags/v1.4.2"},
	] {
		count(flux_mutable_ref.deny) == 0 with input as src("GitRepository", ref)
	}
}

test_moving_git_refs_fail if {
	findings := flux_mutable_ref.deny with input as src("GitRepository", {"branch": "main"})
	findings == {{"msg": "GitRepository/app: follows the branch main", "path": ["spec", "ref", "branch"]}}
	count(flux_mutable_ref.deny) == 1 with input as src("GitRepository", {"semver": ">=1.0.0"})
	count(flux_mutable_ref.deny) == 1 with input as src("GitRepository", {"name": "refs/heads/main"})
	findings2 := flux_mutable_ref.deny with input as {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": {"name": "app"}, "spec": {"url": "https://github.com/acme/app"}}
	findings2 == {{"msg": "GitRepository/app: has no ref, so it follows the default branch", "path": ["spec", "ref"]}}
}

test_oci_refs if {
	count(flux_mutable_ref.deny) == 0 with input as src("OCIRepository", {"digest": "sha256:abc"})
	count(flux_mutable_ref.deny) == 0 with input as src("OCIRepository", {"tag": "1.4.2"})
	count(flux_mutable_ref.deny) == 1 with input as src("OCIRepository", {"tag": "latest"})
	count(flux_mutable_ref.deny) == 1 with input as src("OCIRepository", {"semver": "~1.4"})
	count(flux_mutable_ref.deny) == 1 with input as src("OCIRepository", {})
}

test_other_api_groups_are_ignored if {
	count(flux_mutable_ref.deny) == 0 with input as {"apiVersion": "example.com/v1", "kind": "GitRepository", "metadata": {"name": "x"}, "spec": {}}
}

# What flux bootstrap writes: the repository's own source, on its branch.
test_bootstrap_source_passes if {
	bootstrap := {
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": {"name": "flux-system", "namespace": "flux-system"},
		"spec": {"interval": "1m0s", "ref": {"branch": "main"}, "secretRef": {"name": "flux-system"}, "url": "ssh://git@github.com/acme/fleet"},
	}
	count(flux_mutable_ref.deny) == 0 with input as bootstrap
	# The same name elsewhere is an ordinary source.
	count(flux_mutable_ref.deny) == 1 with input as object.union(bootstrap, {"metadata": {"namespace": "apps"}})
}

# Sources of the repositories named in gitops_repositories, in any spelling of their URL.
test_own_repositories_pass if {
	own := ["https://github.com/Acme/App.git"]
	count(flux_mutable_ref.deny) == 0 with input as src("GitRepository", {"branch": "main"}) with data.tollgate.params.gitops_repositories as own
	count(flux_mutable_ref.deny) == 0 with input as object.union(src("GitRepository", {"branch": "main"}), {"spec": {"url": "ssh://git@github.com/acme/app"}})
		with data.tollgate.params.gitops_repositories as own
	count(flux_mutable_ref.deny) == 0 with input as object.union(src("GitRepository", {"branch": "main"}), {"spec": {"url": "git@github.com:acme/app.git"}})
		with data.tollgate.params.gitops_repositories as own
	count(flux_mutable_ref.deny) == 1 with input as object.union(src("GitRepository", {"branch": "main"}), {"spec": {"url": "https://github.com/acme/app-other"}})
		with data.tollgate.params.gitops_repositories as own
}

# A patch that sets no ref leaves the ref of the object it patches; one that sets a branch does not.
test_patches if {
	patch := {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": {"name": "app"}, "spec": {"interval": "5m"}}
	count(flux_mutable_ref.deny) == 0 with input as patch
	count(flux_mutable_ref.deny) == 1 with input as object.union(patch, {"spec": {"ref": {"branch": "dev"}}})
}
