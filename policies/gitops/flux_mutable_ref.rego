# METADATA
# title: Flux source on a mutable reference
# description: |
#   Flags Flux GitRepository and OCIRepository sources that follow a moving reference. A
#   GitRepository passes with spec.ref.commit, a refs/tags/ name, an exact tag or an exact semver;
#   it fails with only a branch, a refs/heads/ name, a semver range, or no ref at all (the default
#   branch). An OCIRepository passes with spec.ref.digest or an exact tag other than latest; it
#   fails with a semver range or no ref (latest). What gets deployed then changes with every push.
#   The repository's own configuration is exempt: the GitRepository flux-system in namespace
#   flux-system (what flux bootstrap writes: the source of the repository being checked, which a
#   commit cannot pin to itself), and sources whose spec.url is one of the gitops_repositories
#   parameter (this repository's URLs: each change to it is a reviewed change here). A kustomize
#   patch (no spec.url) is not judged for a ref it does not set.
# custom:
#   id: gitops/flux-mutable-ref
#   severity: high
#   remediation: Pin spec.ref.commit (Git) or spec.ref.digest (OCI), or at least an exact release tag, and update it through a reviewed change.
#   kinds: [GitRepository, OCIRepository]
#   profiles: [gitops]
#   params:
#     gitops_repositories: {type: array, default: [], description: URLs of the repositories that hold the cluster's own configuration (this one); their sources may follow a branch}
#   frameworks:
#     nsa: [UPG]
package tollgate.gitops.flux_mutable_ref

import rego.v1

import data.tollgate.lib.gitops
# What flux bootstrap writes for the repository itself.
own_configuration if {
	input.kind == "GitRepository"
	input.metadata.name == "flux-system"
	input.metadata.namespace == "flux-system"
}

own_configuration if gitops.own_repository(input.spec.url)

ref := r if {
	r = input.spec.ref
	is_object(r)
} else := {}

has_ref(key) if not object.get(ref, key, "") in {"", null}

# GitRepository: commit > name > semver > tag > branch, as the source-controller applies them.
deny contains result if {
	input.kind == "GitRepository"
	gitops.flux("source")
	not own_configuration
	not has_ref("commit")
	some problem in git_problems
	result = {
		"msg": sprintf("%s: %s", [data.tollgate.lib.k8s.resource, problem.msg]),
		"path": problem.path,
	}
}

git_problems contains {"msg": sprintf("follows the branch ref %s", [ref.name]), "path": ["spec", "ref", "name"]} if {
	has_ref("name")
	not startswith(ref.name, "refs/tags/")
}

git_problems contains {"msg": sprintf("follows the semver range %s", [ref.semver]), "path": ["spec", "ref", "semver"]} if {
	not has_ref("name")
	has_ref("semver")
	not gitops.exact_version(ref.semver)
}

git_problems contains {"msg": sprintf("follows the branch %s", [ref.branch]), "path": ["spec", "ref", "branch"]} if {
	not has_ref("name")
	not has_ref("semver")
	not has_ref("tag")
	has_ref("branch")
}

git_problems contains {"msg": "has no ref, so it follows the default branch", "path": ["spec", "ref"]} if {
	not data.tollgate.lib.k8s.patch
	not has_ref("name")
	not has_ref("semver")
	not has_ref("tag")
	not has_ref("branch")
}

# OCIRepository: digest > semver > tag.
deny contains result if {
	input.kind == "OCIRepository"
	gitops.flux("source")
	not own_configuration
	not has_ref("digest")
	some problem in oci_problems
	result = {
		"msg": sprintf("%s: %s", [data.tollgate.lib.k8s.resource, problem.msg]),
		"path": problem.path,
	}
}

oci_problems contains {"msg": sprintf("follows the semver range %s", [ref.semver]), "path": ["spec", "ref", "semver"]} if {
	has_ref("semver")
	not gitops.exact_version(ref.semver)
}

oci_problems contains {"msg": "follows the mutable tag latest", "path": ["spec", "ref", "tag"]} if {
	not has_ref("semver")
	ref.tag == "latest"
}

oci_problems contains {"msg": "has no ref, so it follows the latest tag", "path": ["spec", "ref"]} if {
	not data.tollgate.lib.k8s.patch
	not has_ref("semver")
	not has_ref("tag")
}
