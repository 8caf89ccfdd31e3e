//! Snapshot tests (insta) of what a reviewer reads: the human, markdown, github and SARIF outputs
//! of the real binary on a small committed repository (fixtures/snapshots/repo: a YAML syntax
//! error, a misspelt field, a privileged container, a waived host namespace), committed to git in
//! a temp dir and checked with nothing from the environment but fixed `GITHUB_*` values. Each
//! output is compared with its file under tests/it/snapshots/, so a change in what a renderer writes
//! shows as a diff to review: on a mismatch insta writes `NAME.snap.new` beside the snapshot (not
//! under CI); accept it with `cargo insta accept`, or by moving it over `NAME.snap`.

use std::path::Path;

use crate::common;

/// The GitHub context of the markdown and github outputs (links to the blob at this commit).
const GITHUB: [(&str, &str); 3] = [
    ("GITHUB_SERVER_URL", "https://github.com"),
    ("GITHUB_REPOSITORY", "acme/shop"),
    ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
];

/// The fixture repository, committed in a fresh git repository.
fn fixture_repo() -> tempfile::TempDir {
    let repo = common::repo();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/snapshots/repo");
    common::copy_tree(&src, repo.path());
    common::commit_all(repo.path(), "fixture");
    repo
}

/// `tollgate check ARGS` on the fixture repository: its stdout, after checking that the gate
/// blocks (three errors) and wrote nothing to stderr.
#[track_caller]
fn check(args: &[&str], env: &[(&str, &str)]) -> String {
    let repo = fixture_repo();
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let run = common::tollgate_clean_env(repo.path(), &all, env);
    run.expect_code(1);
    assert_eq!(run.stderr, "", "stderr of tollgate {all:?}");
    run.stdout
}

#[test]
fn human() {
    insta::assert_snapshot!("human", check(&["--color", "never"], &[]));
}

#[test]
fn markdown() {
    insta::assert_snapshot!("markdown", check(&["-o", "markdown"], &GITHUB));
}

#[test]
fn github() {
    let dir = common::tempdir();
    let summary = dir.path().join("step-summary.md");
    let summary_path = summary.to_str().unwrap_or_else(|| panic!("temp path is not UTF-8: {}", summary.display()));
    let mut env = GITHUB.to_vec();
    env.push(("GITHUB_STEP_SUMMARY", summary_path));
    insta::assert_snapshot!("github", check(&["-o", "github"], &env));
    let written = std::fs::read_to_string(&summary).unwrap_or_else(|e| panic!("{}: {e}", summary.display()));
    insta::assert_snapshot!("github_step_summary", written);
}

#[test]
fn sarif() {
    let out = check(&["-o", "sarif"], &[]);
    let errors = common::sarif_schema_errors(&out);
    assert!(errors.is_empty(), "SARIF does not validate against the SARIF 2.1.0 schema:\n{}", errors.join("\n"));
    // The tool's version is the one thing that changes with every release.
    let version = env!("CARGO_PKG_VERSION");
    let mut redacted = out;
    for key in ["version", "semanticVersion"] {
        let (from, to) = (format!("\"{key}\": \"{version}\""), format!("\"{key}\": \"[tollgate version]\""));
        assert_eq!(redacted.matches(&from).count(), 1, "one {from} in\n{redacted}");
        redacted = redacted.replace(&from, &to);
    }
    insta::assert_snapshot!("sarif", redacted);
}
