//! `tollgate init`: write a starter `.tollgate.yaml` (every key, the optional ones commented out)
//! and an example policy with its unit test, at the repository root. Never overwrites a file, and
//! never writes through a symbolic link (the repository may have been cloned from anyone).

use std::io::Write;
use std::path::Path;

use crate::error::{Error, ExitStatus, Io};

/// The starter config. Settings that are commented out show the key and an example value.
pub const CONFIG: &str = r#"# tollgate configuration (written by `tollgate init`). Command-line flags override these keys.
# Paths are relative to the repository root. In PR mode (`check --base`) this file, the policies
# and the data are read from the merge-base commit, so a pull request cannot weaken its own gate.

# Your own Rego policies: files or directories (conftest conventions: `deny`/`violation`/`warn`
# rules in package `main`; `*_test.rego` files are tests for `tollgate verify`, not policies).
policy:
  - policy
# The built-in checks: default (PSS baseline and GitOps), baseline, restricted, gitops, extended,
# correctness, all, or none. Without this key, giving `policy` turns the built-in checks off.
builtin: default
# What blocks: error (the default), warning, never, or a risk floor (critical, high, medium, low, info).
fail-on: error

# Data files (JSON/YAML) exposed to policies as `data`; built-in checks read `tollgate.params`.
# data:
#   - policy/data.yaml
# Rego packages evaluated in your policies (globs; default: main), or every package.
# namespace:
#   - main
# all-namespaces: false
# Give policies all documents at once: `input` is an array of {path, contents}.
# combine: false
# Which files are checked (default: *.yaml, *.yml, *.json) and which are skipped.
# include:
#   - "**/*.yaml"
# exclude:
#   - "charts/*/templates/**"
# Input formats a repository-wide run reads by file name (default: yaml, json); also dockerfile,
# toml, ini, dotenv, properties, ignore (.gitignore/.dockerignore), shaped as conftest shapes them.
# formats:
#   - yaml
#   - json
# Output formats: human, json, sarif, junit, github, markdown (FORMAT=PATH writes to a file).
# output:
#   - human
# Worker threads (at most the machine's cores) and the size cap of a file.
# jobs: 4
# max-file-size: 10485760
# A Git LFS pointer where a manifest should be blocks (the gate cannot see the content); `allow`
# makes it a note.
# lfs-pointers: block
# Gatekeeper templates and constraints committed in the repository are policies; `false` leaves
# them to `-p` paths only.
# gatekeeper-in-repository: true
# Render Kustomize roots and local Helm charts and check what they produce (runs `kubectl
# kustomize` and `helm template` offline; the same as --render).
# render: [kustomize, helm]
# Schema validation (offline): the Kubernetes minor, extra schema locations, strictness.
# kubernetes-version: "1.37"
# schema-location:
#   - schemas
# strict: true
# reject-missing-schemas: false
# schemas: true
# JSON Schemas for files that are not Kubernetes objects (repo-relative schema paths).
# file-schemas:
#   - files: .github/workflows/*.yml
#     schema: schemas/github-workflow.json
# Built-in checks turned on or off over the profile (ids or aliases such as KSV-0017), and their
# parameters (`tollgate policies explain ID` lists them).
# checks:
#   enable: [k8s/untrusted-registry]
#   disable: [k8s/image-without-digest]
# params:
#   allowed_registries: [registry.example.com]
# Waivers: suppress a rule's findings for a stated reason until a date (then they block again).
# waivers:
#   - rule: k8s/privileged-container
#     resources: ["DaemonSet/kube-system/calico-*"]
#     paths: ["infrastructure/**"]
#     reason: CNI agents need host access
#     owner: platform-team
#     expires: 2027-01-31
"#;

/// The example policy.
pub const POLICY: &str = r#"# An example policy (written by `tollgate init`): conftest conventions, Rego v1.
# `tollgate check` evaluates the `deny`/`warn` rules of package `main` on every document;
# `tollgate verify -p policy` runs the tests in example_test.rego.
package main

import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"}

# METADATA
# title: Workloads name an owning team
# custom:
#   id: example/team-label
#   severity: low
#   remediation: Add a `team` label (metadata.labels.team) naming who runs this workload.
deny contains result if {
	input.kind in workload_kinds
	not input.metadata.labels.team
	result := {
		"msg": sprintf("%s/%s has no team label", [input.kind, input.metadata.name]),
		"path": "/metadata",
	}
}

warn contains msg if {
	input.kind == "Deployment"
	input.spec.replicas == 1
	msg := sprintf("Deployment/%s runs a single replica", [input.metadata.name])
}
"#;

/// The example policy's unit tests.
pub const POLICY_TEST: &str = r#"# Unit tests of example.rego: `tollgate verify -p policy`.
package main

import rego.v1

deployment(labels, replicas) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "labels": labels},
	"spec": {"replicas": replicas},
}

test_team_label_passes if {
	count(deny) == 0 with input as deployment({"team": "payments"}, 2)
}

test_missing_team_label_denied if {
	deny == {{"msg": "Deployment/web has no team label", "path": "/metadata"}} with input as deployment({}, 2)
}

test_other_kinds_ignored if {
	count(deny) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "c"}}
}

test_single_replica_warns if {
	warn == {"Deployment/web runs a single replica"} with input as deployment({"team": "payments"}, 1)
}
"#;

/// The files `init` writes: (path relative to the repository root, content).
pub const FILES: [(&str, &str); 3] =
    [(".tollgate.yaml", CONFIG), ("policy/example.rego", POLICY), ("policy/example_test.rego", POLICY_TEST)];

/// Write the starter files at the root of the repository containing `cwd` (or in `cwd` outside a
/// repository). Nothing is written when any of them exists.
pub fn run(cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let root = crate::source::git::find_repo_root(cwd).unwrap_or_else(|| cwd.to_path_buf());
    if root.join("HEAD").is_file() && root.join("objects").is_dir() && !root.join(".git").exists() {
        return Err(Error::Usage(format!("{} is a bare repository: it has no working tree", root.display())));
    }
    let shown = |rel: &str| {
        let p = root.join(rel);
        p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p).display().to_string()
    };
    // A dangling link counts as existing: it is a name `init` would have to write through.
    let existing: Vec<String> = FILES
        .iter()
        .filter(|(rel, _)| std::fs::symlink_metadata(root.join(rel)).is_ok())
        .map(|(rel, _)| shown(rel))
        .collect();
    if !existing.is_empty() {
        return Err(Error::Usage(format!(
            "not overwriting {}; nothing was written (move them away to start over)",
            existing.join(", ")
        )));
    }
    // Every directory on the way is checked before anything is written.
    for (rel, _) in FILES {
        let dir = Path::new(rel).parent().unwrap_or(Path::new(""));
        crate::source::confine::walk_dirs(&root, dir, false)
            .map_err(|why| Error::Usage(format!("not writing {}: {why}; nothing was written", shown(rel))))?;
    }
    let mut written = String::new();
    for (rel, content) in FILES {
        let p = root.join(rel);
        let dir = Path::new(rel).parent().unwrap_or(Path::new(""));
        crate::source::confine::walk_dirs(&root, dir, true)?;
        let mut f = crate::source::confine::create_fresh(&p, false, 0o644).map_err(|e| io_err(&p, e))?;
        f.write_all(content.as_bytes()).map_err(|e| io_err(&p, e))?;
        written.push_str(&format!("wrote {}\n", shown(rel)));
    }
    written.push_str(
        "next: `tollgate verify -p policy` runs the example's tests, `tollgate check` runs the gate, \
         `tollgate hook install` runs it before every commit\n",
    );
    io.stdout.write_all(written.as_bytes()).map_err(Error::stdout)?;
    Ok(ExitStatus::Pass)
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The config with every commented-out setting enabled: a `# key:` line whose key is a config
    /// key, and the `#   ` lines that continue it.
    fn uncommented() -> String {
        let mut out = String::new();
        let mut in_setting = false;
        for line in CONFIG.lines() {
            let body = line.strip_prefix("# ");
            let starts =
                body.and_then(|b| b.split_once(':')).is_some_and(|(k, _)| crate::settings::config::KEYS.contains(&k));
            if starts || (in_setting && line.starts_with("#   ")) {
                in_setting = true;
                out.push_str(&line[2..]);
            } else {
                in_setting = false;
                out.push_str(line);
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn starter_config_shows_every_key_and_each_is_valid() {
        let c = crate::settings::config::parse(".tollgate.yaml", CONFIG).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.policy, ["policy"]);
        assert_eq!(c.builtin, Some(crate::settings::values::Builtin::Profile(crate::library::Profile::Default)));
        let all = uncommented();
        let full = crate::settings::config::parse(".tollgate.yaml", &all).unwrap_or_else(|e| panic!("{e}\n{all}"));
        for key in crate::settings::config::KEYS {
            assert!(all.lines().any(|l| l.starts_with(&format!("{key}:"))), "starter config lacks `{key}`");
        }
        assert_eq!(full.waivers.len(), 1);
        assert_eq!(full.kubernetes_version.as_deref(), Some("1.37"));
        assert_eq!(full.include, ["**/*.yaml"]);
    }
}
