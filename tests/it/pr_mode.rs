//! End-to-end tests of PR mode (`check --base REV [--rev HEAD]`) on real git repositories built in
//! temp dirs: only findings new in head block; the gate (policies, data, config) is the
//! merge-base's, and changes to it are `gate/policy-changed` notes; deleted and renamed files;
//! `--combine`; `--show-existing`; bare repositories; and the errors (unknown refs, unrelated
//! histories, a shallow clone without the merge-base, a policy directory missing in the base).

use crate::common;

use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;
use tempfile::TempDir;

/// Two rules: `deny` (privileged) and `deny_latest` (an image tagged latest).
const POLICY: &str = r#"package main

import rego.v1

deny contains result if {
	input.spec.privileged == true
	result := {"msg": sprintf("%s is privileged", [input.metadata.name]), "path": ["spec", "privileged"]}
}

deny_latest contains result if {
	endswith(input.spec.image, ":latest")
	result := {"msg": sprintf("%s uses a latest image", [input.metadata.name]), "path": ["spec", "image"]}
}
"#;

/// [`POLICY`] without the `deny` (privileged) rule.
const POLICY_WITHOUT_PRIVILEGED: &str = r#"package main

import rego.v1

deny_latest contains result if {
	endswith(input.spec.image, ":latest")
	result := {"msg": sprintf("%s uses a latest image", [input.metadata.name]), "path": ["spec", "image"]}
}
"#;

/// A pod-shaped document (line 6: `privileged`, line 7: `image`).
fn pod(name: &str, privileged: bool, image: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  privileged: {privileged}\n  image: {image}\n"
    )
}

fn clean(name: &str) -> String {
    pod(name, false, "nginx:1.27")
}

/// A repository whose `main` has `policy/main.rego` ([`POLICY`]) and `files`, with the branch `pr`
/// checked out at the same commit.
fn setup(files: &[(&str, String)]) -> TempDir {
    let r = repo();
    write(r.path(), "policy/main.rego", POLICY);
    for (path, content) in files {
        write(r.path(), path, content);
    }
    commit_all(r.path(), "base");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    r
}

/// `tollgate check --base main -o json ARGS` in `dir`.
#[track_caller]
fn pr_check(dir: &Path, args: &[&str]) -> Run {
    // Schema validation off: the manifests here are sketches for the policies.
    tollgate(dir, &[&["check", "--base", "main", "-o", "json", "--no-schemas"][..], args].concat())
}

/// (rule, file, message, new) of every finding.
fn seen(report: &Value) -> Vec<(String, String, String, bool)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["file"].as_str().unwrap_or("-").to_string(),
                f["message"].as_str().unwrap_or("?").to_string(),
                f["new"].as_bool().unwrap_or_else(|| panic!("`new` is not a boolean in {f:#}")),
            )
        })
        .collect()
}

fn s(rule: &str, file: &str, message: &str, new: bool) -> (String, String, String, bool) {
    (rule.to_string(), file.to_string(), message.to_string(), new)
}

/// The finding's rule and file, for the notes.
fn rules_files(report: &Value) -> Vec<(String, String)> {
    findings(report)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or("?").to_string(), f["file"].as_str().unwrap_or("-").to_string()))
        .collect()
}

#[track_caller]
fn stderr_has(run: &Run, parts: &[&str]) {
    for p in parts {
        assert!(run.stderr.contains(p), "stderr lacks {p:?}\n--- stderr\n{}\n--- stdout\n{}", run.stderr, run.stdout);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Only new findings block

#[test]
fn only_findings_new_in_head_block() {
    let r = setup(&[
        ("apps/a.yaml", pod("a", true, "nginx:1.27")),
        ("apps/b.yaml", clean("b")),
        ("apps/c.yaml", pod("c", true, "x:1")),
    ]);
    // Touch a (which keeps its violation), make b privileged; c is not touched.
    write(r.path(), "apps/a.yaml", format!("# owned by team a\n{}", pod("a", true, "nginx:1.27")));
    write(r.path(), "apps/b.yaml", pod("b", true, "nginx:1.27"));
    commit_all(r.path(), "pr");

    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    let rep = run.json();
    assert_eq!(seen(&rep), [s("main.deny", "apps/b.yaml", "b is privileged", true)]);
    // files, documents, errors, warnings, notes, suppressed, new: only the changed files count.
    assert_eq!(summary(&rep), [2, 2, 1, 0, 0, 0, 1]);

    // --show-existing keeps a's finding, not new; c was not changed, so it is not evaluated.
    let run = pr_check(r.path(), &["-p", "policy", "--show-existing"]);
    run.expect_code(1);
    let rep = run.json();
    assert_eq!(
        seen(&rep),
        [
            s("main.deny", "apps/a.yaml", "a is privileged", false),
            s("main.deny", "apps/b.yaml", "b is privileged", true)
        ]
    );
    let a = &findings(&rep)[0];
    assert_eq!(a["severity"], "error", "existing findings keep their severity");
    assert_eq!(a["line"], 7, "located in head's version of the file");
    assert_eq!(summary(&rep), [2, 2, 2, 0, 0, 0, 1]);
}

#[test]
fn existing_findings_alone_never_block() {
    let r = setup(&[("apps/a.yaml", pod("a", true, "nginx:latest"))]);
    // Lines move and an unrelated field changes: the same two violations.
    write(
        r.path(),
        "apps/a.yaml",
        format!("# moved down\n\n{}  restartPolicy: Always\n", pod("a", true, "nginx:latest")),
    );
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(0);
    assert!(findings(&run.json()).is_empty());

    let run = pr_check(r.path(), &["-p", "policy", "--show-existing", "--fail-on", "warning"]);
    run.expect_code(0);
    let rep = run.json();
    assert_eq!(
        seen(&rep),
        [
            s("main.deny", "apps/a.yaml", "a is privileged", false),
            s("main.deny_latest", "apps/a.yaml", "a uses a latest image", false)
        ]
    );
    assert_eq!(summary(&rep)[6], 0);
}

#[test]
fn fixing_a_violation_passes() {
    let r = setup(&[("apps/a.yaml", pod("a", true, "nginx:1.27")), ("apps/b.yaml", pod("b", true, "nginx:1.27"))]);
    write(r.path(), "apps/a.yaml", clean("a"));
    commit_all(r.path(), "fix a");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(0);
    let rep = run.json();
    assert!(findings(&rep).is_empty(), "{rep:#}");
    assert_eq!(summary(&rep), [1, 1, 0, 0, 0, 0, 0]);
}

#[test]
fn a_new_violation_in_a_file_that_already_has_one() {
    let r = setup(&[("apps/a.yaml", pod("a", true, "nginx:1.27"))]);
    write(r.path(), "apps/a.yaml", pod("a", true, "nginx:latest"));
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()), [s("main.deny_latest", "apps/a.yaml", "a uses a latest image", true)]);

    let run = pr_check(r.path(), &["-p", "policy", "--show-existing"]);
    run.expect_code(1);
    assert_eq!(
        seen(&run.json()),
        [
            s("main.deny", "apps/a.yaml", "a is privileged", false),
            s("main.deny_latest", "apps/a.yaml", "a uses a latest image", true)
        ]
    );
}

#[test]
fn a_second_copy_of_an_existing_violation_is_new() {
    // Same resource twice in one file: same fingerprint; matched one to one, the copy is new.
    let r = setup(&[("apps/a.yaml", pod("a", true, "x:1"))]);
    write(r.path(), "apps/a.yaml", format!("{}---\n{}", pod("a", true, "x:1"), pod("a", true, "x:1")));
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy", "--show-existing"]);
    run.expect_code(1);
    let rep = run.json();
    let news: Vec<(u64, bool)> =
        findings(&rep).iter().map(|f| (f["document"].as_u64().unwrap_or(99), f["new"] == true)).collect();
    assert_eq!(news, [(0, false), (1, true)]);
}

#[test]
fn broken_yaml_introduced_by_the_change_blocks() {
    let r = setup(&[("apps/a.yaml", clean("a")), ("apps/bad.yaml", "a: [\n".into())]);
    write(r.path(), "apps/a.yaml", "metadata: {name: a\n");
    write(r.path(), "apps/bad.yaml", "# still broken\na: [\n");
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    let rep = run.json();
    // bad.yaml was broken on the merge-base already: only a.yaml's error is new.
    assert_eq!(rules_files(&rep), [("parse/invalid-yaml".to_string(), "apps/a.yaml".to_string())]);
}

#[test]
fn only_the_changed_files_are_read() {
    let mut files: Vec<(String, String)> =
        (0..40).map(|i| (format!("apps/f{i:02}.yaml"), pod(&format!("f{i}"), true, "x:1"))).collect();
    files.push(("apps/z.yaml".into(), clean("z")));
    let refs: Vec<(&str, String)> = files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let r = setup(&refs);
    write(r.path(), "apps/z.yaml", pod("z", false, "x:latest"));
    write(r.path(), "apps/new.yaml", clean("new"));
    fs::remove_file(r.path().join("apps/f00.yaml")).unwrap_or_else(|e| panic!("{e}"));
    write(r.path(), "README.md", "not a manifest\n");
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy", "--timings"]);
    run.expect_code(1);
    let rep = run.json();
    assert_eq!(seen(&rep), [s("main.deny_latest", "apps/z.yaml", "z uses a latest image", true)]);
    // Two head files (z modified, new added); on the merge-base only z (deleted files contribute nothing).
    assert_eq!(summary(&rep)[..2], [2, 2]);
    stderr_has(&run, &["2 head + 1 merge-base files"]);
}

/// A submodule the change adds is noted (its manifests are not checked), whatever its name.
#[test]
fn a_submodule_added_by_the_change_is_noted() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    let head = git(r.path(), &["rev-parse", "HEAD"]);
    git(r.path(), &["update-index", "--add", "--cacheinfo", &format!("160000,{head},vendor/lib")]);
    git(r.path(), &["commit", "-q", "--no-verify", "-m", "submodule"]);
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(0);
    assert_eq!(rules_files(&run.json()), [("source/skipped-submodule".to_string(), "vendor/lib".to_string())]);
}

// ---------------------------------------------------------------------------------------------
// 2. The gate is judged by the base

#[test]
fn a_change_that_deletes_a_rule_and_violates_it_is_still_blocked() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    write(r.path(), "policy/main.rego", POLICY_WITHOUT_PRIVILEGED);
    write(r.path(), "apps/a.yaml", pod("a", true, "nginx:1.27"));
    commit_all(r.path(), "drop the privileged rule, then be privileged");

    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    let rep = run.json();
    assert_eq!(
        seen(&rep),
        [
            s("main.deny", "apps/a.yaml", "a is privileged", true),
            s(
                "gate/policy-changed",
                "policy/main.rego",
                "policy file modified in this change; the gate ran with the merge-base version (the change takes effect once merged)",
                true
            ),
        ]
    );
    let note = &findings(&rep)[1];
    assert_eq!((note["severity"].as_str(), note["source"].as_str()), (Some("note"), Some("gate")));
    assert_eq!(summary(&rep), [1, 1, 1, 0, 1, 0, 2]);

    // Even with the policy directory gone from the working tree: it is read from git objects.
    fs::remove_dir_all(r.path().join("policy")).unwrap_or_else(|e| panic!("{e}"));
    pr_check(r.path(), &["-p", "policy"]).expect_code(1);

    // --policy-from head opts out: head's policy no longer has the rule.
    git(r.path(), &["checkout", "-q", "--", "policy"]);
    let run = pr_check(r.path(), &["-p", "policy", "--policy-from", "head"]);
    run.expect_code(0);
    assert_eq!(
        seen(&run.json()),
        [s(
            "gate/policy-changed",
            "policy/main.rego",
            "policy file modified in this change; the gate ran with head's version (--policy-from head)",
            true
        )]
    );
}

#[test]
fn policies_read_from_the_merge_base_not_the_working_tree() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    write(r.path(), "apps/a.yaml", pod("a", true, "x:1"));
    commit_all(r.path(), "pr");
    // An uncommitted edit of the policy that would let everything pass is invisible.
    write(r.path(), "policy/main.rego", "package main\n");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()), [s("main.deny", "apps/a.yaml", "a is privileged", true)]);
}

#[test]
fn added_and_deleted_policy_files_are_noted() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    write(r.path(), "policy/extra.rego", "package extra\n");
    write(r.path(), "policy/main_test.rego", "package main\n");
    fs::remove_file(r.path().join("policy/main.rego")).unwrap_or_else(|e| panic!("{e}"));
    write(r.path(), "policy/keep.rego", POLICY);
    write(r.path(), "apps/a.yaml", pod("a", true, "x:1"));
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    let rep = run.json();
    // Tests (`_test.rego`) are not part of the gate and are not noted.
    assert_eq!(
        seen(&rep),
        [
            s("main.deny", "apps/a.yaml", "a is privileged", true),
            s("gate/policy-changed", "policy/extra.rego", "policy file added in this change; the gate ran without it (it takes effect once merged)", true),
            s("gate/policy-changed", "policy/keep.rego", "policy file added in this change; the gate ran without it (it takes effect once merged)", true),
            s(
                "gate/policy-changed",
                "policy/main.rego",
                "policy file deleted in this change; the gate still ran with the merge-base version (the deletion takes effect once merged)",
                true
            ),
        ]
    );
}

#[test]
fn config_and_data_come_from_the_merge_base() {
    let r = repo();
    write(
        r.path(),
        "policy/registry.rego",
        r#"package main

import rego.v1

deny contains result if {
	not startswith(input.spec.image, data.registries.allowed)
	result := {"msg": sprintf("%s: image not from %s", [input.metadata.name, data.registries.allowed]), "path": ["spec", "image"]}
}
"#,
    );
    write(r.path(), "policy/data.json", r#"{"registries": {"allowed": "registry.example.com/"}}"#);
    write(
        r.path(),
        ".tollgate.yaml",
        "policy: [policy]\ndata: [policy/data.json]\nfail-on: error\nexclude: ['policy/**']\n",
    );
    write(r.path(), "apps/a.yaml", pod("a", false, "registry.example.com/a:1"));
    commit_all(r.path(), "base");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    // The change allows its own registry, turns the gate off, and uses the registry.
    write(r.path(), "policy/data.json", r#"{"registries": {"allowed": "evil.example.com/"}}"#);
    write(
        r.path(),
        ".tollgate.yaml",
        "policy: [policy]\ndata: [policy/data.json]\nfail-on: never\nexclude: ['apps/**', 'policy/**']\n",
    );
    write(r.path(), "apps/a.yaml", pod("a", false, "evil.example.com/a:1"));
    commit_all(r.path(), "pr");

    let run = pr_check(r.path(), &[]);
    run.expect_code(1);
    assert_eq!(
        rules_files(&run.json()),
        [
            ("gate/policy-changed".to_string(), ".tollgate.yaml".to_string()),
            ("main.deny".to_string(), "apps/a.yaml".to_string()),
            ("gate/policy-changed".to_string(), "policy/data.json".to_string()),
        ]
    );
    let notes: Vec<String> = findings(&run.json())
        .iter()
        .filter(|f| f["rule"] == "gate/policy-changed")
        .map(|f| f["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(notes[0].starts_with("config file modified"), "{notes:?}");
    assert!(notes[1].starts_with("data file modified"), "{notes:?}");

    // With head's gate, the change's own config (fail-on: never, apps excluded) applies.
    let run = pr_check(r.path(), &["--policy-from", "head"]);
    run.expect_code(0);
}

#[test]
fn a_base_without_tollgate_yaml_means_defaults_and_a_missing_config_flag_is_an_error() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    write(r.path(), ".tollgate.yaml", "fail-on: never\n");
    write(r.path(), "ci/gate.yaml", "fail-on: never\n");
    write(r.path(), "apps/a.yaml", pod("a", true, "x:1"));
    commit_all(r.path(), "pr");
    // The merge-base has no .tollgate.yaml: defaults (fail-on error), not head's.
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    assert_eq!(
        rules_files(&run.json()),
        [
            ("gate/policy-changed".to_string(), ".tollgate.yaml".to_string()),
            ("main.deny".to_string(), "apps/a.yaml".to_string())
        ]
    );
    // An explicit --config inside the repository must exist in the merge-base.
    let run = pr_check(r.path(), &["-p", "policy", "--config", "ci/gate.yaml"]);
    run.expect_code(2);
    stderr_has(&run, &["--config ci/gate.yaml: no such file in the merge-base", "--policy-from head"]);
    pr_check(r.path(), &["-p", "policy", "--config", "ci/gate.yaml", "--policy-from", "head"]).expect_code(0);
}

#[test]
fn policy_directory_missing_in_the_base() {
    let r = repo();
    write(r.path(), "apps/a.yaml", clean("a"));
    commit_all(r.path(), "base without policies");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    write(r.path(), "policy/main.rego", POLICY);
    write(r.path(), "apps/a.yaml", pod("a", true, "x:1"));
    commit_all(r.path(), "add the policies and a violation");

    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(2);
    assert!(run.stdout.is_empty(), "no report on a tool error: {}", run.stdout);
    stderr_has(
        &run,
        &[
            "-p policy: no such file or directory in the merge-base",
            "commit them to the base branch first",
            "--policy-from head",
        ],
    );

    let run = pr_check(r.path(), &["-p", "policy", "--policy-from", "head"]);
    run.expect_code(1);
    assert_eq!(
        rules_files(&run.json()),
        [
            ("main.deny".to_string(), "apps/a.yaml".to_string()),
            ("gate/policy-changed".to_string(), "policy/main.rego".to_string())
        ]
    );
}

#[test]
fn a_broken_policy_in_the_base_names_where_it_was_read() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    write(r.path(), "policy/broken.rego", "package main\n\ndeny contains x if {\n");
    commit_all(r.path(), "broken on main");
    git(r.path(), &["branch", "-f", "main"]);
    write(r.path(), "policy/broken.rego", "package other\n");
    commit_all(r.path(), "fixed in the change");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(2);
    stderr_has(&run, &["policy/broken.rego", "note: read from the merge-base"]);
}

#[test]
fn policies_outside_the_repository_are_read_from_disk() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    let outside = tempdir();
    write(outside.path(), "main.rego", POLICY);
    write(r.path(), "policy/main.rego", "package main\n");
    write(r.path(), "apps/a.yaml", pod("a", true, "x:1"));
    commit_all(r.path(), "pr");
    let p = outside.path().display().to_string();
    let run = pr_check(r.path(), &["-p", &p]);
    run.expect_code(1);
    // The repository's own policy/ is not part of this gate: no note.
    assert_eq!(seen(&run.json()), [s("main.deny", "apps/a.yaml", "a is privileged", true)]);
}

#[test]
fn config_waivers_are_the_merge_base_and_judged_on_both_sides() {
    let waiver = "policy: [policy]\nwaivers:\n  - rule: main.deny\n    resources: [\"Pod/a\"]\n    reason: legacy\n    expires: 2999-01-01\n";
    let r = setup(&[
        (".tollgate.yaml", waiver.to_string()),
        ("apps/a.yaml", pod("a", true, "x:1")),
        ("apps/b.yaml", clean("b")),
    ]);
    // The change waives its own violation in head's config: the merge-base's waivers apply.
    write(
        r.path(),
        ".tollgate.yaml",
        format!("{waiver}  - rule: main.deny\n    resources: [\"Pod/b\"]\n    reason: mine\n    expires: 2999-01-01\n"),
    );
    write(r.path(), "apps/b.yaml", pod("b", true, "x:1"));
    commit_all(r.path(), "pr");
    // The waiver for a matches nothing among the changed files on either side: no unused-waiver
    // warning (it would be the same on the merge-base), even with --fail-on warning.
    let run = pr_check(r.path(), &["--fail-on", "warning"]);
    run.expect_code(1);
    assert_eq!(
        rules_files(&run.json()),
        [
            ("gate/policy-changed".to_string(), ".tollgate.yaml".to_string()),
            ("main.deny".to_string(), "apps/b.yaml".to_string())
        ]
    );

    // A change that fixes the waived violation: the waiver becomes unused, which is new.
    git(r.path(), &["checkout", "-q", "-B", "fix", "main"]);
    write(r.path(), "apps/a.yaml", clean("a"));
    commit_all(r.path(), "fix a");
    let run = pr_check(r.path(), &[]);
    run.expect_code(0);
    assert_eq!(rules_files(&run.json()), [("gate/unused-waiver".to_string(), ".tollgate.yaml".to_string())]);
}

// ---------------------------------------------------------------------------------------------
// 3. What the change is

#[test]
fn deleted_and_renamed_files() {
    let r = setup(&[
        ("apps/a.yaml", pod("a", true, "x:1")),
        ("apps/b.yaml", pod("b", true, "x:1")),
        ("apps/c.yaml", clean("c")),
    ]);
    // Deleting a violating file passes.
    git(r.path(), &["rm", "-q", "apps/a.yaml"]);
    git(r.path(), &["commit", "-q", "-m", "delete a"]);
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(0);
    let rep = run.json();
    assert!(findings(&rep).is_empty());
    assert_eq!(summary(&rep)[..2], [0, 0]);

    // A renamed (moved) file is a new file to the gate: its path is part of every fingerprint (and
    // in GitOps decides where it is deployed), so its findings are new.
    fs::create_dir_all(r.path().join("prod")).unwrap_or_else(|e| panic!("{e}"));
    git(r.path(), &["mv", "apps/b.yaml", "prod/b.yaml"]);
    git(r.path(), &["mv", "apps/c.yaml", "prod/c.yaml"]);
    git(r.path(), &["commit", "-q", "-m", "move b and c"]);
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()), [s("main.deny", "prod/b.yaml", "b is privileged", true)]);
}

#[test]
fn the_merge_base_not_the_base_tip_is_compared() {
    let r = setup(&[("apps/a.yaml", clean("a")), ("apps/b.yaml", pod("b", true, "x:1"))]);
    write(r.path(), "apps/a.yaml", format!("# touched\n{}", clean("a")));
    commit_all(r.path(), "pr: harmless");
    // main moves on after the branch point: it fixes b and adds a violation of its own.
    git(r.path(), &["checkout", "-q", "main"]);
    write(r.path(), "apps/b.yaml", clean("b"));
    write(r.path(), "apps/m.yaml", pod("m", true, "x:1"));
    commit_all(r.path(), "main moves on");
    git(r.path(), &["checkout", "-q", "pr"]);

    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(0);
    let rep = run.json();
    assert!(findings(&rep).is_empty(), "{rep:#}");
    assert_eq!(summary(&rep)[0], 1, "only the change's own file");

    // --rev names head explicitly (from another branch).
    git(r.path(), &["checkout", "-q", "main"]);
    let run =
        tollgate(r.path(), &["check", "--base", "main", "--rev", "pr", "-p", "policy", "-o", "json", "--no-schemas"]);
    run.expect_code(0);
    // Reversed, main's changes since the merge-base are the change: m is new.
    let run =
        tollgate(r.path(), &["check", "--base", "pr", "--rev", "main", "-p", "policy", "-o", "json", "--no-schemas"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()), [s("main.deny", "apps/m.yaml", "m is privileged", true)]);
}

#[test]
fn path_arguments_restrict_the_change() {
    let r = setup(&[("apps/a.yaml", clean("a")), ("infra/b.yaml", clean("b"))]);
    write(r.path(), "apps/a.yaml", pod("a", true, "x:1"));
    write(r.path(), "infra/b.yaml", pod("b", true, "x:1"));
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy", "infra"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()), [s("main.deny", "infra/b.yaml", "b is privileged", true)]);
    // `.` at the root is the whole change.
    let run = pr_check(r.path(), &["-p", "policy", "."]);
    run.expect_code(1);
    assert_eq!(run.json()["findings"].as_array().map(Vec::len), Some(2));
    let run = pr_check(r.path(), &["-p", "policy", "nowhere"]);
    run.expect_code(2);
    stderr_has(&run, &["nowhere: no such file or directory"]);
}

#[test]
fn combine_evaluates_every_file_on_both_sides() {
    let r = repo();
    write(
        r.path(),
        "policy/orphans.rego",
        r#"package main

import rego.v1

deny contains result if {
	some i, d in input
	d.contents.kind == "Service"
	not deployment_named(d.contents.metadata.name)
	result := {"msg": sprintf("service %s selects no deployment", [d.contents.metadata.name]), "path": [i, "contents", "metadata", "name"]}
}

deployment_named(name) if {
	some d in input
	d.contents.kind == "Deployment"
	d.contents.metadata.name == name
}
"#,
    );
    write(r.path(), "apps/web-svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n");
    write(r.path(), "apps/web-deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n");
    write(r.path(), "apps/old-svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: old\n");
    commit_all(r.path(), "base");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    // Deleting the deployment breaks the untouched service file.
    git(r.path(), &["rm", "-q", "apps/web-deploy.yaml"]);
    git(r.path(), &["commit", "-q", "-m", "drop the deployment"]);
    let run = pr_check(r.path(), &["-p", "policy", "--combine"]);
    run.expect_code(1);
    let rep = run.json();
    assert_eq!(seen(&rep), [s("main.deny", "apps/web-svc.yaml", "service web selects no deployment", true)]);
    assert_eq!(summary(&rep)[0], 2, "every file of head");
}

#[test]
fn works_in_a_bare_repository() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    write(r.path(), "apps/a.yaml", pod("a", true, "x:1"));
    commit_all(r.path(), "pr");
    let parent = tempdir();
    let bare = parent.path().join("bare.git");
    git(parent.path(), &["clone", "-q", "--bare", &r.path().display().to_string(), "bare.git"]);
    // `policy` is relative to the git directory: read from the merge-base tree.
    let run =
        tollgate(&bare, &["check", "--base", "main", "--rev", "pr", "-p", "policy", "-o", "json", "--no-schemas"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()), [s("main.deny", "apps/a.yaml", "a is privileged", true)]);
}

#[test]
fn file_names_with_newlines_and_workflow_commands() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    let names = ["apps/x%0A::error::pwned.yaml", "apps/y\n::error file=z,line=1::pwned.yaml"];
    for n in names {
        write(r.path(), n, pod("p", true, "x:1"));
    }
    commit_all(r.path(), "pr");
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    let rep = run.json();
    let files: Vec<String> = seen(&rep).into_iter().map(|x| x.1).collect();
    // A control character in a name is reported escaped.
    let escaped = "apps/y\\x0a::error file=z,line=1::pwned.yaml";
    assert_eq!(files, [names[0], escaped]);

    // Renamed again within the change: still exactly those names.
    git(r.path(), &["mv", names[0], "apps/%0A::moved.yaml"]);
    git(r.path(), &["commit", "-q", "-m", "mv"]);
    let run = pr_check(r.path(), &["-p", "policy"]);
    run.expect_code(1);
    let files: Vec<String> = seen(&run.json()).into_iter().map(|x| x.1).collect();
    assert_eq!(files, ["apps/%0A::moved.yaml", escaped]);
}

// ---------------------------------------------------------------------------------------------
// 4. Errors: exit 2, never a silent pass

#[test]
fn unknown_refs() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    let run = tollgate(r.path(), &["check", "--base", "no-such-branch", "-p", "policy"]);
    run.expect_code(2);
    stderr_has(&run, &["--base: unknown revision `no-such-branch`", "fetch"]);
    let run = tollgate(r.path(), &["check", "--base", "main", "--rev", "nope", "-p", "policy"]);
    run.expect_code(2);
    stderr_has(&run, &["--rev: unknown revision `nope`"]);
}

#[test]
fn unrelated_histories() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    git(r.path(), &["checkout", "-q", "--orphan", "other"]);
    git(r.path(), &["rm", "-rq", "--cached", "."]);
    commit_all(r.path(), "unrelated");
    let run = tollgate(r.path(), &["check", "--base", "main", "-p", "policy"]);
    run.expect_code(2);
    stderr_has(&run, &["`main` and `HEAD` have unrelated histories"]);
}

#[test]
fn shallow_clone_without_the_merge_base() {
    let origin = setup(&[("apps/a.yaml", clean("a"))]);
    write(origin.path(), "apps/a.yaml", pod("a", true, "x:1"));
    commit_all(origin.path(), "pr 1");
    write(origin.path(), "apps/b.yaml", clean("b"));
    commit_all(origin.path(), "pr 2");
    git(origin.path(), &["checkout", "-q", "main"]);
    write(origin.path(), "apps/c.yaml", clean("c"));
    commit_all(origin.path(), "main 1");

    // What CI does with `fetch-depth: 1`: the PR head and the base tip, one commit each.
    let parent = tempdir();
    let url = format!("file://{}", origin.path().display());
    git(parent.path(), &["clone", "-q", "--depth", "1", "--branch", "pr", &url, "ci"]);
    let ci = parent.path().join("ci");
    git(&ci, &["fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"]);
    let run = tollgate(&ci, &["check", "--base", "origin/main", "-p", "policy", "-o", "json", "--no-schemas"]);
    run.expect_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    stderr_has(&run, &["shallow clone", "fetch-depth: 0", "git fetch --deepen"]);

    // Fetching the history fixes it.
    git(&ci, &["fetch", "-q", "--unshallow", "origin", "pr", "main:refs/remotes/origin/main"]);
    let run = tollgate(&ci, &["check", "--base", "origin/main", "-p", "policy", "-o", "json", "--no-schemas"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()), [s("main.deny", "apps/a.yaml", "a is privileged", true)]);
}

#[test]
fn bad_combinations() {
    let r = setup(&[("apps/a.yaml", clean("a"))]);
    let run = tollgate(r.path(), &["check", "--base", "main", "-"]);
    run.expect_code(2);
    stderr_has(&run, &["stdin"]);
    tollgate(r.path(), &["check", "--base", "main", "--staged"]).expect_code(2);
    tollgate(r.path(), &["check", "--show-existing"]).expect_code(2);
    tollgate(r.path(), &["check", "--policy-from", "head"]).expect_code(2);
    tollgate(r.path(), &["check", "--base", "main", "--policy-from", "sideways"]).expect_code(2);
    let outside = tempdir();
    let run = tollgate(outside.path(), &["check", "--base", "main"]);
    run.expect_code(2);
    stderr_has(&run, &["not a git repository"]);
}

// ---------------------------------------------------------------------------------------------
// 5. The git helpers against git itself

#[test]
fn changed_paths_match_git_diff_without_renames() {
    use tollgate::source::git;

    let r = repo();
    write(r.path(), "a.yaml", "a: 1\n");
    write(r.path(), "keep/k.yaml", "k: 1\n");
    write(r.path(), "gone/deep/g.yaml", "g: 1\n");
    write(r.path(), "swap/inner.yaml", "s: 1\n");
    write(r.path(), "mode.sh", "echo\n");
    write(r.path(), "moved.yaml", "m: 1\n");
    let base = commit_all(r.path(), "base");
    write(r.path(), "a.yaml", "a: 2\n");
    fs::remove_dir_all(r.path().join("gone")).unwrap_or_else(|e| panic!("{e}"));
    fs::remove_dir_all(r.path().join("swap")).unwrap_or_else(|e| panic!("{e}"));
    write(r.path(), "swap", "now a file\n");
    write(r.path(), "new/dir/n.yaml", "n: 1\n");
    fs::rename(r.path().join("moved.yaml"), r.path().join("new/moved.yaml")).unwrap_or_else(|e| panic!("{e}"));
    git(r.path(), &["update-index", "--chmod=+x", "mode.sh"]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("a.yaml", r.path().join("link.yaml")).unwrap_or_else(|e| panic!("{e}"));
    git(r.path(), &["add", "-A"]);
    git(r.path(), &["update-index", "--chmod=+x", "mode.sh"]);
    git(r.path(), &["commit", "-q", "-m", "head"]);

    let ours: Vec<String> = git::changed_paths(r.path(), &base, "HEAD")
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|c| {
            let status = match (c.old, c.new) {
                (None, Some(_)) => "A",
                (Some(_), None) => "D",
                _ => "M",
            };
            format!("{status}\t{}", c.path)
        })
        .collect();
    let theirs = git(r.path(), &["-c", "core.quotePath=false", "diff", "--name-status", "--no-renames", &base, "HEAD"]);
    // git reports a directory replaced by a file as D (the files) and A (the new file), sorted by path.
    let mut theirs: Vec<String> = theirs.lines().map(str::to_string).collect();
    theirs.sort_by(|a, b| a.split('\t').nth(1).cmp(&b.split('\t').nth(1)));
    assert_eq!(ours, theirs);
    assert!(ours.contains(&"A\tnew/moved.yaml".to_string()) && ours.contains(&"D\tmoved.yaml".to_string()), "{ours:?}");

    assert_eq!(git::merge_base(r.path(), "HEAD", &base).unwrap_or_else(|e| panic!("{e}")), base);
}

/// A pull request that commits a CRD claiming Kubernetes' own Deployment (a schema that accepts
/// anything) beside a Deployment it breaks: the Deployment is still validated against the built-in
/// schema, and the CRD is a warning. With the CRD taken at its word the break passed unseen.
#[test]
fn a_pr_cannot_loosen_a_builtin_kind_with_a_crd_of_its_own() {
    let r = setup(&[]);
    let claims =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema/crd-shadow/claims.yaml"))
            .unwrap_or_else(|e| panic!("{e}"));
    let deployment = |replicas: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: {replicas}\n  \
             selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    \
             spec: {{containers: [{{name: web, image: 'nginx:1.27'}}]}}\n"
        )
    };
    write(r.path(), "apps/web.yaml", deployment("2"));
    commit_all(r.path(), "a valid deployment");
    git(r.path(), &["branch", "-f", "main"]);
    write(r.path(), "crds/deployments.yaml", claims);
    write(r.path(), "apps/web.yaml", deployment("many"));
    commit_all(r.path(), "a CRD of our own for Deployment");
    let run = tollgate(r.path(), &["check", "--base", "main", "-o", "json", "--builtin", "none"]);
    run.expect_code(1);
    let got: Vec<(String, String, bool)> = findings(&run.json())
        .iter()
        .filter(|f| f["source"] == "schema")
        .map(|f| (f["rule"].as_str().unwrap_or("?").into(), f["file"].as_str().unwrap_or("-").into(), f["new"] == true))
        .collect();
    let want = |rule: &str, file: &str| (rule.to_string(), file.to_string(), true);
    assert_eq!(
        got,
        vec![
            want("schema/wrong-type", "apps/web.yaml"),
            want("schema/invalid-crd", "crds/deployments.yaml"),
            want("schema/invalid-crd", "crds/deployments.yaml"),
            want("schema/invalid-crd", "crds/deployments.yaml"),
        ],
        "{}",
        run.stdout
    );
}
