//! The pre-commit framework (the real `pre-commit` package from PyPI): the project's
//! `.pre-commit-hooks.yaml` is a valid hook manifest, and a `repo: local` hook running the built
//! binary with `check --staged` blocks a violating commit and lets a clean one through.
//!
//! Skips (with a message) when `pre-commit` is not installed, unless `TOLLGATE_REQUIRE_PRE_COMMIT=1`
//! (set by `.ci/run`), which makes a missing `pre-commit` a failure.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::{git, repo, write};

/// How to run pre-commit here: the `pre-commit` command, or `python3 -m pre_commit`.
fn pre_commit_cmd() -> Option<Vec<String>> {
    let candidates = [vec!["pre-commit".to_string()], vec!["python3".into(), "-m".into(), "pre_commit".into()]];
    candidates
        .into_iter()
        .find(|c| Command::new(&c[0]).args(&c[1..]).arg("--version").output().is_ok_and(|o| o.status.success()))
}

fn available() -> Option<Vec<String>> {
    let found = pre_commit_cmd();
    if found.is_none() {
        if std::env::var("TOLLGATE_REQUIRE_PRE_COMMIT").as_deref() == Ok("1") {
            panic!("pre-commit is not installed (python3 -m pip install pre-commit) and TOLLGATE_REQUIRE_PRE_COMMIT=1");
        }
        common::skipped("precommit", "pre-commit is not installed (python3 -m pip install pre-commit)");
    }
    found
}

/// Run `cmd` in `dir` with git isolated from the user's configuration and pre-commit's cache in `home`.
fn run(dir: &Path, home: &Path, program: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).args(args);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_AUTHOR_NAME", "Tollgate Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Tollgate Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("SKIP");
    cmd.output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn pc(pc: &[String], dir: &Path, home: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&str> = pc[1..].iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    run(dir, home, &pc[0], &all)
}

fn text(o: &Output) -> String {
    format!("--- stdout\n{}\n--- stderr\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  containers:\n    - name: shell\n      image: busybox:1.36\n      securityContext:\n        privileged: true\n";
const CLEAN: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  containers:\n    - name: shell\n      image: busybox:1.36\n";

#[test]
fn hook_manifest_is_valid_for_pre_commit() {
    let Some(cmd) = available() else { return };
    let home = common::tempdir();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let out = pc(&cmd, home.path(), home.path(), &["validate-manifest", manifest.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", text(&out));
    // The validator does reject a broken manifest (so the check above means something).
    write(home.path(), "bad.yaml", "- id: tollgate\n  entry: tollgate check --staged\n");
    let bad = pc(&cmd, home.path(), home.path(), &["validate-manifest", "bad.yaml"]);
    assert!(!bad.status.success(), "a manifest without name/language passed\n{}", text(&bad));
}

#[test]
fn local_hook_blocks_violating_commit_and_passes_clean_one() {
    let Some(cmd) = available() else { return };
    let r = repo();
    let root = r.path();
    let home = common::tempdir();
    let bin = env!("CARGO_BIN_EXE_tollgate");
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: tollgate\n        name: tollgate policy gate\n        \
         entry: '{bin} check --staged'\n        language: system\n        pass_filenames: false\n        always_run: true\n"
    );
    write(root, ".pre-commit-config.yaml", config);
    let out = pc(&cmd, root, home.path(), &["validate-config", ".pre-commit-config.yaml"]);
    assert!(out.status.success(), "{}", text(&out));
    git(root, &["add", ".pre-commit-config.yaml"]);
    git(root, &["commit", "-q", "--no-verify", "-m", "pre-commit config"]);
    let out = pc(&cmd, root, home.path(), &["install"]);
    assert!(out.status.success(), "{}", text(&out));

    // `pre-commit run` on the staged violation fails and shows tollgate's report.
    write(root, "apps/pod.yaml", PRIVILEGED);
    git(root, &["add", "apps/pod.yaml"]);
    let run_out = pc(&cmd, root, home.path(), &["run"]);
    assert!(!run_out.status.success(), "{}", text(&run_out));
    assert!(text(&run_out).contains("k8s/privileged-container"), "{}", text(&run_out));

    // A real `git commit` goes through the installed pre-commit hook.
    let head = git(root, &["rev-parse", "HEAD"]);
    let refused = run(root, home.path(), "git", &["commit", "-q", "-m", "privileged"]);
    assert!(!refused.status.success(), "the violation was committed\n{}", text(&refused));
    assert!(text(&refused).contains("k8s/privileged-container"), "{}", text(&refused));
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head);

    write(root, "apps/pod.yaml", CLEAN);
    git(root, &["add", "apps/pod.yaml"]);
    let ok = run(root, home.path(), "git", &["commit", "-q", "-m", "clean pod"]);
    assert!(ok.status.success(), "a clean commit was refused\n{}", text(&ok));
    assert_ne!(git(root, &["rev-parse", "HEAD"]), head);
}
