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
	findings2 := flux_mutable_ref.deny with input as {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": {"name": "app"}, "spec": {}}
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
