//! `tollgate verify`: Rego unit tests with pass/fail per test, failing values, coverage and
//! conftest's helper builtins, on the real binary.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate")).args(args).current_dir(dir).output().expect("run tollgate")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

const POLICY: &str = r#"package main

import rego.v1

deny contains msg if {
	input.kind == "Pod"
	input.spec.hostPID == true
	msg := "hostPID"
}

warn contains "old api" if {
	input.apiVersion == "extensions/v1beta1"
}
"#;

const TESTS: &str = r#"package main_test

import rego.v1

import data.main

test_host_pid_denied if {
	count(main.deny) == 1 with input as {"kind": "Pod", "spec": {"hostPID": true}}
}

test_parse_config_helper if {
	doc := parse_config("yaml", "kind: Pod\nspec:\n  hostPID: on\n")
	count(main.deny) == 1 with input as doc
}

test_wrong_expectation if {
	count(main.deny) == 2 with input as {"kind": "Pod", "spec": {"hostPID": true}}
}
"#;

#[test]
fn pass_fail_values_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policy")).unwrap();
    std::fs::write(dir.path().join("policy/p.rego"), POLICY).unwrap();
    std::fs::write(dir.path().join("policy/p_test.rego"), TESTS).unwrap();
    let o = run(dir.path(), &["verify", "-p", "policy"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("PASS policy/p_test.rego: data.main_test.test_host_pid_denied"), "{out}");
    assert!(out.contains("PASS policy/p_test.rego: data.main_test.test_parse_config_helper"), "{out}");
    assert!(out.contains("FAIL policy/p_test.rego: data.main_test.test_wrong_expectation"), "{out}");
    assert!(out.contains("undefined"), "the failure says why: {out}");
    assert!(out.trim_end().ends_with("2 passed, 1 failed"), "{out}");

    // --run selects tests; all selected pass -> exit 0.
    let o = run(dir.path(), &["verify", "-p", "policy", "--run", "*host_pid*"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).trim_end().ends_with("1 passed, 0 failed"));
}

#[test]
fn coverage_and_threshold() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policy")).unwrap();
    std::fs::write(dir.path().join("policy/p.rego"), POLICY).unwrap();
    let only_deny = "package main_test\nimport rego.v1\nimport data.main\ntest_deny if {\n\tcount(main.deny) == 1 with input as {\"kind\": \"Pod\", \"spec\": {\"hostPID\": true}}\n}\n";
    std::fs::write(dir.path().join("policy/p_test.rego"), only_deny).unwrap();
    let o = run(dir.path(), &["verify", "-p", "policy", "-o", "json", "--coverage"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cov = &v["coverage"][0];
    assert_eq!(cov["file"], "policy/p.rego");
    let not_covered: Vec<u64> = cov["not_covered"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
    assert!(
        not_covered.iter().any(|l| (11..=12).contains(l)),
        "the warn rule (lines 11-12) is never evaluated: {not_covered:?}"
    );
    assert!(!not_covered.iter().any(|l| (5..=8).contains(l)), "the deny rule is evaluated: {not_covered:?}");
    let total = v["total_coverage"].as_f64().unwrap();
    assert!(total < 100.0 && total > 0.0, "{total}");
    // Below the threshold: exit 1, and the text says so.
    let o = run(dir.path(), &["verify", "-p", "policy", "--threshold", "99"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("below the threshold"), "{}", text(&o));
}

#[test]
fn no_tests_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.rego"), POLICY).unwrap();
    let o = run(dir.path(), &["verify", "-p", "p.rego"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no tests found"));
}

/// A test file that calls a function that exists nowhere does not compile (exit 2, its place),
/// as with `opa test`, instead of failing only the tests that reach the call.
#[test]
fn undefined_function_is_a_compile_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.rego"), POLICY).unwrap();
    let typo = "package main_test\n\nimport rego.v1\n\ntest_typo if {\n\tcontains_host_pid(1)\n}\n";
    std::fs::write(dir.path().join("p_test.rego"), typo).unwrap();
    let o = run(dir.path(), &["verify", "-p", "."]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("p_test.rego:6:2: undefined function contains_host_pid"), "{err}");
}

#[test]
fn builtin_library_passes_with_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["verify", "--threshold", "95"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(!out.contains("FAIL "), "{out}");
    assert!(out.contains("policies/k8s/privileged_container.rego"), "{out}");
}

/// `--namespace GLOB` (`-n`) runs the tests of the packages it matches, as conftest verify's:
/// `*` matches dots too; a glob that matches no package is "no tests found" (exit 2).
#[test]
fn namespace_selects_tests_by_package() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policy")).unwrap();
    std::fs::write(dir.path().join("policy/p.rego"), POLICY).unwrap();
    std::fs::write(dir.path().join("policy/p_test.rego"), TESTS).unwrap();
    let other = "package k8s.extra_test\nimport rego.v1\ntest_ok if true\n";
    std::fs::write(dir.path().join("policy/extra_test.rego"), other).unwrap();
    let o = run(dir.path(), &["verify", "-p", "policy", "-n", "k8s.*"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("PASS policy/extra_test.rego: data.k8s.extra_test.test_ok"), "{}", text(&o));
    assert!(text(&o).trim_end().ends_with("1 passed, 0 failed"), "{}", text(&o));
    let o = run(dir.path(), &["verify", "-p", "policy", "--namespace", "main_test"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).trim_end().ends_with("2 passed, 1 failed"), "{}", text(&o));
    let o = run(dir.path(), &["verify", "-p", "policy", "-n", "nothing"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// As conftest: a relative path of `parse_config_file` and `parse_combined_config_files` is read
/// from the directory of the policy file that calls it (run from elsewhere, the files beside the
/// policy are found), and a multi-document file is one entry per document, sorted by path; a
/// path that is not there is read from the current directory, as before.
#[test]
fn config_files_are_read_beside_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let pol = dir.path().join("policies/combine");
    std::fs::create_dir_all(&pol).unwrap();
    std::fs::write(pol.join("settings.yaml"), "limit: 2\n").unwrap();
    std::fs::write(pol.join("two.yaml"), "kind: A\n---\nkind: B\n").unwrap();
    std::fs::write(dir.path().join("top.yaml"), "where: top\n").unwrap();
    let tests = r#"package main
import rego.v1

test_beside if {
	parse_config_file("settings.yaml").limit == 2
}

test_combined_splits_documents if {
	docs := parse_combined_config_files(["two.yaml", "settings.yaml"])
	[d.contents.kind | some d in docs; d.contents.kind] == ["A", "B"]
	docs[0].path == "policies/combine/settings.yaml"
	count(docs) == 3
}

test_from_the_current_directory if {
	parse_config_file("top.yaml").where == "top"
}
"#;
    std::fs::write(pol.join("combine_test.rego"), tests).unwrap();
    let o = run(dir.path(), &["verify", "-p", "policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).trim_end().ends_with("3 passed, 0 failed"), "{}", text(&o));
}
