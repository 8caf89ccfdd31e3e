//! End-to-end tests of gator `kind: Suite` files in `tollgate verify`: yes/no/N assertions with
//! message patterns, inventory and namespaceSelector, AdmissionReview cases, skips and what
//! tollgate does not run, a failing case's expected and observed, bad suites, and paths that try
//! to leave the repository.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn suite_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/gatekeeper-suite")
}

/// A git repository holding `fixtures/gatekeeper-suite`, committed.
fn suite_repo() -> tempfile::TempDir {
    let r = repo();
    copy_tree(&suite_fixtures(), r.path());
    commit_all(r.path(), "suites");
    r
}

fn verify(dir: &Path, args: &[&str]) -> Run {
    tollgate(dir, &[&["verify"][..], args].concat())
}

/// (test/case, outcome) of every case of a JSON report, in report order.
fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["suites"]
        .as_array()
        .unwrap_or_else(|| panic!("no suites in {report}"))
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("?").to_string();
            (format!("{}/{}", s("test"), s("case")), s("outcome"))
        })
        .collect()
}

fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Every assertion form holds where it should: `no`, an exact count, a count of the messages a
/// pattern matches (anchored or not), `yes` with a pattern; the parameter default applies; an
/// excluded namespace is not reviewed; an AdmissionReview's UPDATE sees its `oldObject` and user,
/// a DELETE reviews the old object; namespaceSelector reads the Namespaces of the inventory (and
/// without them Gatekeeper's rejection counts as a result); a referential template reads the
/// inventory; a `kinds` entry without `apiGroups` (or without `kinds`) matches any, as in
/// Gatekeeper; `not f(x, input.parameters.missing)` gives no violation and a body line beginning
/// with `(` starts a statement, as in OPA.
#[test]
fn a_suite_whose_cases_hold_passes() {
    let r = suite_repo();
    let run = verify(r.path(), &["-p", "pass", "-o", "json"]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(
        outcomes(&report),
        pairs(&[
            ("labels/labelled", "pass"),
            ("labels/bare", "pass"),
            ("labels/owner-only", "pass"),
            ("labels/excluded-namespace", "pass"),
            ("labels/update-removes-a-label", "pass"),
            ("labels/delete", "pass"),
            ("labels-defaults/default-owner", "pass"),
            ("labels-namespace-selector/prod-namespace-in-inventory", "pass"),
            ("labels-namespace-selector/dev-namespace-in-inventory", "pass"),
            ("labels-namespace-selector/namespace-not-in-inventory", "pass"),
            ("unique-host/alone", "pass"),
            ("unique-host/taken", "pass"),
            ("kinds-without-groups-or-kinds/pod-without-apigroups", "pass"),
            ("kinds-without-groups-or-kinds/ingress-not-selected", "pass"),
            ("kinds-without-groups-or-kinds/any-kind-of-apps", "pass"),
            ("negated-call-with-an-undefined-argument/no-parameter-no-violation", "pass"),
            ("negated-call-with-a-defined-argument/outside-the-registry", "pass"),
            ("line-beginning-with-a-paren/narrow-spread", "pass"),
        ])
    );
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64(), report["skipped"].as_u64()),
        (Some(18), Some(0), Some(0))
    );
    let bare = &report["suites"][1];
    assert_eq!(bare["suite"], "pass/suite.yaml");
    assert_eq!(bare["line"], 14);
    assert_eq!(
        bare["observed"],
        serde_json::json!(["missing label owner on Pod bare", "missing label team on Pod bare"])
    );
    let update = &report["suites"][4];
    assert_eq!(update["observed"], serde_json::json!(["label tier removed by mallory"]));
    let taken = &report["suites"][11];
    assert_eq!(
        taken["observed"],
        serde_json::json!(["host shop.example.com is also the host of ingress legacy/old-shop"])
    );
    // The text output: one line per case, then the totals.
    let text = verify(r.path(), &["-p", "pass"]);
    text.expect_code(0);
    assert!(text.stdout.contains("PASS pass/suite.yaml:14: labels/bare\n"), "{}", text.stdout);
    assert!(text.stdout.ends_with("18 passed, 0 failed\n"), "{}", text.stdout);
}

/// A case whose assertion does not hold fails the run (exit 1): it says which assertion, what the
/// assertions expected and the message of every result; the other case still passes.
#[test]
fn a_failing_case_says_what_was_expected_and_observed() {
    let r = suite_repo();
    let run = verify(r.path(), &["-p", "fail"]);
    run.expect_code(1);
    assert_eq!(
        run.stdout,
        "PASS fail/suite.yaml:10: labels/labelled\n\
         FAIL fail/suite.yaml:14: labels/owner-only-expected-clean\n     \
         violations: no, message: \"team\": got 1 violations containing \"team\" but want none\n     \
         expected: violations: yes; violations: no, message: \"team\"\n     \
         observed: 1 violation\n       \
         - missing label team on Pod solo\n\
         1 passed, 1 failed\n"
    );
    let report = verify(r.path(), &["-p", "fail", "-o", "json"]);
    report.expect_code(1);
    let report = report.json();
    assert_eq!(report["failed"], 1);
    assert_eq!(report["suites"][1]["outcome"], "fail");
    assert_eq!(
        report["suites"][1]["expected"],
        serde_json::json!(["violations: yes", "violations: no, message: \"team\""])
    );
}

/// `skip: true` on a case or a test, a template calling `external_data` and a test with an
/// `expansion` are skipped with why, never counted as passed; the run passes (exit 0) with them
/// counted apart.
#[test]
fn skipped_and_unsupported_cases_are_skipped_with_why() {
    let r = suite_repo();
    let run = verify(r.path(), &["-p", "skip", "-o", "json"]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(
        outcomes(&report),
        pairs(&[
            ("labels/labelled", "pass"),
            ("labels/not-yet", "skip"),
            ("skipped-test/whatever", "skip"),
            ("signed/unsigned", "skip"),
            ("expanded/deployment", "skip"),
        ])
    );
    assert_eq!((report["passed"].as_u64(), report["skipped"].as_u64()), (Some(1), Some(4)));
    let detail = |i: usize| report["suites"][i]["detail"].as_str().unwrap_or("").to_string();
    assert!(detail(3).contains("calls external_data"), "{}", detail(3));
    assert!(detail(4).contains("does not expand objects"), "{}", detail(4));
    let text = verify(r.path(), &["-p", "skip"]);
    assert!(text.stdout.contains("SKIP skip/suite.yaml:32: signed/unsigned\n"), "{}", text.stdout);
    assert!(text.stdout.ends_with("1 passed, 0 failed, 4 skipped\n"), "{}", text.stdout);
    // `--run` selects cases by test/case.
    let one = verify(r.path(), &["-p", "skip", "--run", "labels/labelled", "-o", "json"]);
    one.expect_code(0);
    assert_eq!(outcomes(&one.json()), pairs(&[("labels/labelled", "pass")]));
}

/// Mistakes in a suite are failed cases naming the suite file and line (never a panic, never a
/// pass): YAML that does not parse, `tests` that is no list, a `violations` that is no count, a
/// bad pattern, a missing object file, a file with two objects, a case without assertions, a test
/// without a template, a constraint whose kind the template does not define.
#[test]
fn mistakes_in_a_suite_fail_with_file_and_line() {
    let r = suite_repo();
    let run = verify(r.path(), &["-p", "bad"]);
    run.expect_code(1);
    let out = &run.stdout;
    for want in [
        "FAIL bad/broken.yaml:5\n     the suite file does not load: bad/broken.yaml:5:1: invalid YAML",
        "FAIL bad/not-a-list.yaml:3\n     bad/not-a-list.yaml:3: tests must be a list\n",
        "FAIL bad/suite.yaml:10: mistakes/maybe\n     bad/suite.yaml:13: violations must be a nonnegative integer, \"yes\" or \"no\"\n",
        "FAIL bad/suite.yaml:14: mistakes/bad-regex\n     bad/suite.yaml:18: message is not a valid regular expression",
        "FAIL bad/suite.yaml:19: mistakes/missing-object\n     bad/suite.yaml:20: object \"../lib/objects/nowhere.yaml\": lib/objects/nowhere.yaml: ",
        "FAIL bad/suite.yaml:23: mistakes/two-objects\n     bad/suite.yaml:24: object \"../lib/objects/namespaces.yaml\" defines 2 objects",
        "FAIL bad/suite.yaml:27: mistakes/no-assertions\n     bad/suite.yaml:27: the case has no assertions",
        "FAIL bad/suite.yaml:32: no-template/any\n     bad/suite.yaml:29: the template is missing\n",
        "FAIL bad/suite.yaml:40: wrong-constraint/any\n",
        "lib/constraint-host.yaml:2: constraint unique-hosts: no ConstraintTemplate defines kind TsUniqueHost\n",
        "0 passed, 9 failed\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// A suite comes from the repository, so the files it names are read as `parse_config_file`
/// reads: a path out of the repository (`..`, a symbolic link), a file git does not track and the
/// git directory are refused, each a failed case naming the suite line and why; nothing of those
/// files reaches the output. A leading `/` stays under the suite's directory, as in gator.
#[test]
fn suite_paths_stay_inside_the_repository() {
    let top = tempdir();
    write(top.path(), "outside/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: TOPSECRET\n");
    let root = top.path().join("repo");
    std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{e}"));
    git(&root, &["init", "-q"]);
    copy_tree(&suite_fixtures().join("lib"), &root.join("lib"));
    let mut suite = String::from(
        "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n- name: escapes\n  template: \
         ../lib/template-labels.yaml\n  constraint: ../lib/constraint-labels.yaml\n  cases:\n",
    );
    for (name, object) in [
        ("parent", "../../outside/secret.yaml"),
        ("absolute", "/etc/passwd"),
        ("link", "link.yaml"),
        ("untracked", "../untracked.yaml"),
        ("git-dir", "../.git/config"),
    ] {
        suite.push_str(&format!("  - name: {name}\n    object: {object}\n    assertions: [{{violations: yes}}]\n"));
    }
    write(&root, "policies/suite.yaml", &suite);
    std::os::unix::fs::symlink("../../outside/secret.yaml", root.join("policies/link.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    git(&root, &["add", "lib", "policies"]);
    git(&root, &["commit", "-q", "-m", "suite"]);
    // Committed nowhere: a file a CI step might have written into the checkout.
    write(&root, "untracked.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: TOPSECRET\n");
    let run = verify(&root, &["-p", "policies"]);
    run.expect_code(1);
    let out = &run.stdout;
    for want in [
        "FAIL policies/suite.yaml:8: escapes/parent\n     policies/suite.yaml:9: object \"../../outside/secret.yaml\": \
         ../outside/secret.yaml: not read: it resolves to ",
        "outside the repository and the policy directories\n",
        "FAIL policies/suite.yaml:11: escapes/absolute\n     policies/suite.yaml:12: object \"/etc/passwd\": policies/etc/passwd: ",
        "FAIL policies/suite.yaml:14: escapes/link\n",
        "outside the repository and the policy directories (through a symbolic link)\n",
        "FAIL policies/suite.yaml:17: escapes/untracked\n     policies/suite.yaml:18: object \"../untracked.yaml\": \
         untracked.yaml: not read: git does not track it",
        "FAIL policies/suite.yaml:20: escapes/git-dir\n     policies/suite.yaml:21: object \"../.git/config\": .git/config: \
         not read: it is inside the git directory",
        "0 passed, 5 failed\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(!out.contains("TOPSECRET") && !run.stderr.contains("TOPSECRET"), "{out}\n{}", run.stderr);
}

/// Rego unit tests and suites in one run: both counted in the totals, and a `-p` path with
/// neither is an error (exit 2) that says what it looked for.
#[test]
fn rego_tests_and_suites_run_together() {
    let r = suite_repo();
    write(r.path(), "pass/p_test.rego", "package p\nimport rego.v1\n\ntest_ok if true\n");
    let run = verify(r.path(), &["-p", "pass"]);
    run.expect_code(0);
    assert!(run.stdout.starts_with("PASS pass/p_test.rego: data.p.test_ok\n"), "{}", run.stdout);
    assert!(run.stdout.ends_with("19 passed, 0 failed\n"), "{}", run.stdout);
    let none = verify(r.path(), &["-p", "lib/objects"]);
    none.expect_code(2);
    assert!(
        none.stderr.contains("no Rego files (*.rego) or gator Suite files found in lib/objects"),
        "{}",
        none.stderr
    );
}
