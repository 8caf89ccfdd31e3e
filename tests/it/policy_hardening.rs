//! A policy can neither crash, stall, exhaust memory nor silently drop results: hostile and broken
//! policies run through the real binary (`check` and `verify`), each attack reproduced as written.

use crate::common;

use std::path::Path;

use common::{commit_all, copy_tree, repo, tollgate_env, write};
use serde_json::Value;

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/policy-hardening").join(name)
}

/// A repository holding one ConfigMap and the fixture policy directory `name` as `pol/`.
fn repo_with(name: &str) -> tempfile::TempDir {
    let dir = repo();
    write(dir.path(), "cm.yaml", CONFIGMAP);
    copy_tree(&fixture(name), &dir.path().join("pol"));
    commit_all(dir.path(), "init");
    dir
}

/// `(rule, message)` of every finding, sorted.
fn findings(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (f["rule"].as_str().unwrap_or("").to_string(), f["message"].as_str().unwrap_or("").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every result a gate rule produces that is not a message (a number, `null`, an array, an object
/// without a string `msg`) is a blocking `policy/invalid-result` finding that names the rule and
/// shows the value, in deny, warn and violation rules, in the interpreter, in the VM and with
/// `--combine`.
#[test]
fn results_that_are_not_messages_are_findings() {
    let dir = repo_with("invalid-results");
    let want_invalid = [
        ("data.main.deny", "42"),
        ("data.main.deny", "null"),
        ("data.main.deny", "[1,2]"),
        ("data.main.deny", "{\"message\":\"no msg key\"}"),
        ("data.main.deny", "{\"msg\":7}"),
        ("data.main.warn", "3.5"),
        ("data.main.violation", "{\"msg\":[\"a\"]}"),
        ("data.main.deny_complete", "{\"code\":1}"),
    ];
    for (args, env) in [(vec![], vec![]), (vec!["--combine"], vec![]), (vec![], vec![("TOLLGATE_REGO_VM", "all")])] {
        let mut all = vec!["check", "-p", "pol", "--builtin", "none", "-o", "json"];
        all.extend(args.iter().copied());
        let run = tollgate_env(dir.path(), &all, None, &env);
        run.expect_code(1);
        let report = run.json();
        let found = findings(&report);
        for (rule, shown) in want_invalid {
            let want =
                format!("{rule} produced a result that is neither a string nor an object with a string `msg`: {shown}");
            assert!(
                found.iter().any(|(r, m)| r == "policy/invalid-result" && *m == want),
                "{args:?} {env:?}: no finding `{want}` in {found:#?}"
            );
        }
        assert!(found.iter().any(|(r, m)| r == "main.deny" && m == "a real message"), "{found:#?}");
        // The 500-element array is shown cut, not whole.
        let long = found
            .iter()
            .find(|(_, m)| m.contains("[1,2,3,4,5"))
            .unwrap_or_else(|| panic!("no finding for the long array: {found:#?}"));
        assert!(long.1.ends_with('…') && long.1.chars().count() < 400, "{long:?}");
        // Every invalid result blocks, the warn rule's included.
        for f in report["findings"].as_array().into_iter().flatten() {
            if f["rule"] == "policy/invalid-result" {
                assert_eq!(f["severity"], "error", "{f}");
            }
        }
        assert_eq!(found.iter().filter(|(r, _)| r == "policy/invalid-result").count(), 9, "{found:#?}");
    }
}

/// Run `tollgate check` and `tollgate verify` on a repository whose `pol/p.rego` holds `rego`
/// (with a test beside it for verify); both must exit 2 with `want` in the error.
#[track_caller]
fn both_refuse(rego: &[u8], want: &str) {
    let dir = repo();
    write(dir.path(), "cm.yaml", CONFIGMAP);
    write(dir.path(), "pol/p.rego", rego);
    write(dir.path(), "pol/p_test.rego", "package main\nimport rego.v1\ntest_ok if true\n");
    commit_all(dir.path(), "init");
    for args in [&["check", "-p", "pol", "--builtin", "none"][..], &["verify", "-p", "pol"][..]] {
        let run = tollgate_env(dir.path(), args, None, &[]);
        run.expect_code(2);
        assert!(run.stderr.contains(want), "{args:?}: `{want}` not in\n{}", run.stderr);
    }
}

/// A NUL byte made regorus stop reading the file there: every rule after it was dropped and the
/// gate passed. Invalid UTF-8 was an error without a place. Both are compile errors at
/// file:line:col, in check and verify.
#[test]
fn nul_bytes_and_invalid_utf8_in_a_policy_are_compile_errors_with_their_place() {
    both_refuse(
        b"package main\nimport rego.v1\ndeny contains \"a\" if false\n\0\ndeny contains \"b\" if true\n",
        "pol/p.rego:4:1: NUL byte",
    );
    both_refuse(
        b"package main\nimport rego.v1\n# caf\xc3\xa9 \xff\ndeny contains \"b\" if true\n",
        "pol/p.rego:3:8: invalid UTF-8",
    );
}

/// A 30-level nested array literal never finished compiling (regorus's parser reads each level
/// twice); 5,000 nested calls and a 19,000-term sum overflowed the stack (exit 134). Each is a
/// compile error naming where, before regorus parses the file.
#[test]
fn deep_or_long_policy_source_is_refused_before_compiling() {
    let head = "package main\nimport rego.v1\n";
    let nested = format!("{head}x := {}1{}\ndeny contains \"a\" if count(x) > 0\n", "[".repeat(30), "]".repeat(30));
    both_refuse(nested.as_bytes(), "pol/p.rego:3:27: too costly to parse");
    let calls = format!("{head}x := {}1{}\ndeny contains \"a\" if x > 0\n", "abs(\n".repeat(5000), ")".repeat(5000));
    both_refuse(calls.as_bytes(), "pol/p.rego:35:4: brackets nested more than 32 deep");
    let sum = format!("{head}x := 1{}\ndeny contains \"a\" if x > 0\n", " + 1".repeat(19_000))
        .replace(" + 1 + 1 + 1 + 1", " + 1 + 1 + 1 + 1\n");
    both_refuse(sum.as_bytes(), "more than 64 operators in one chain");
}

/// `f(x) := y if { y := f(x) }` aborted the process (stack overflow, exit 134); OPA refuses
/// recursion at compile time, and so does tollgate, naming the cycle. A chain of 2,000 rules
/// overflowed the stack without any recursion, and a body of 4,000 statements took seconds to
/// compile (20 s for 8,000): both are compile errors too.
#[test]
fn recursion_deep_chains_and_costly_bodies_are_compile_errors() {
    let head = "package main\nimport rego.v1\n";
    let f = format!("{head}f(x) := y if {{ y := f(x) }}\ndeny contains \"r\" if f(1)\n");
    both_refuse(f.as_bytes(), "pol/p.rego:3:1: data.main.f is recursive: data.main.f -> data.main.f");
    let fg = format!("{head}f(x) := g(x)\ng(x) := f(x)\ndeny contains \"r\" if f(1)\n");
    both_refuse(
        fg.as_bytes(),
        "pol/p.rego:3:1: data.main.f is recursive: data.main.f -> data.main.g (pol/p.rego:4:1) -> data.main.f",
    );
    let mut chain = format!("{head}r0 := 0\n");
    for i in 0..2000 {
        chain.push_str(&format!("r{} := r{i} + 1\n", i + 1));
    }
    chain.push_str("deny contains \"r\" if r2000 > 0\n");
    both_refuse(
        chain.as_bytes(),
        "pol/p.rego:2004:1: evaluating data.main.deny could nest 14015 levels deep, over the limit of 5000",
    );
    let body: String = (0..4000).map(|i| format!("  x{i} := {i}\n")).collect();
    let long = format!("{head}deny contains \"r\" if {{\n{body}  false\n}}\n");
    both_refuse(long.as_bytes(), "pol/p.rego:3:1: data.main.deny is too costly to compile");
}

/// Recursion between rules was a runtime error on each document in the interpreter (and would have
/// overflowed the VM's stack): it is a compile error whichever engine would run it.
#[test]
fn recursion_between_rules_is_a_compile_error_in_either_engine() {
    let dir = repo_with("recursion");
    for vm in ["0", "all", ""] {
        let run =
            tollgate_env(dir.path(), &["check", "-p", "pol", "--builtin", "none"], None, &[("TOLLGATE_REGO_VM", vm)]);
        run.expect_code(2);
        assert!(
            run.stderr.contains("pol/recursive.rego:7:1: data.main.a is recursive: data.main.a -> data.main.b (pol/recursive.rego:9:1) -> data.main.a"),
            "{vm}: {}",
            run.stderr
        );
    }
}

/// The findings of the report whose rule is `rule`, as (file, document, message).
fn findings_of(report: &Value, rule: &str) -> Vec<(String, u64, String)> {
    let mut v: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["document"].as_u64().unwrap_or(u64::MAX),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `count(numbers.range(1, 1000000000))` grew memory at ~1 GB/s without bound, and a bound near
/// 2^63 panicked the process (exit 101): both are a `policy/resource-limit` finding on the
/// document, and a failed test in verify.
#[test]
fn a_policy_that_would_exhaust_memory_is_stopped_with_a_finding() {
    let dir = repo_with("range");
    let run = tollgate_env(dir.path(), &["check", "-p", "pol", "--builtin", "none", "-o", "json"], None, &[]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        findings_of(&report, "policy/resource-limit"),
        [(
            "cm.yaml".to_string(),
            0,
            "policy evaluation of this document was stopped: it went over the memory ceiling of one evaluation, 512 MiB (--policy-memory)".to_string()
        )],
        "{report:#}"
    );
    let run = tollgate_env(dir.path(), &["verify", "-p", "pol"], None, &[]);
    run.expect_code(1);
    assert!(run.stdout.contains("FAIL pol/range_test.rego: data.main.test_billion"), "{}", run.stdout);
    assert!(run.stdout.contains("stopped: over the memory ceiling of one evaluation, 512 MiB"), "{}", run.stdout);
}

/// A value grown a step at a time (a comprehension) is stopped by the memory ceiling too.
#[test]
fn a_growing_value_is_stopped_at_the_memory_ceiling() {
    let dir = repo_with("grow");
    let args =
        ["check", "-p", "pol", "--builtin", "none", "-o", "json", "--policy-memory", "16", "--policy-timeout", "3"];
    let run = tollgate_env(dir.path(), &args, None, &[]);
    run.expect_code(1);
    let found = findings_of(&run.json(), "policy/resource-limit");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].2.ends_with("it went over the memory ceiling of one evaluation, 16 MiB (--policy-memory)"),
        "{found:#?}"
    );
}

/// The time budget is per document and applies once: a document that runs out of it gets one
/// `policy/resource-limit` finding (no second evaluation by the fallback, no runtime error), and
/// the next document gets its own budget.
#[test]
fn each_document_has_one_time_budget() {
    let dir = repo_with("loop");
    write(dir.path(), "two.yaml", format!("{CONFIGMAP}---\n{CONFIGMAP}"));
    commit_all(dir.path(), "two");
    let args = ["check", "-p", "pol", "--builtin", "none", "-o", "json", "--policy-timeout", "0.5"];
    let run = tollgate_env(dir.path(), &args, None, &[]);
    run.expect_code(1);
    let report = run.json();
    let msg = "policy evaluation of this document was stopped: it took longer than the time budget of one document, 500 ms (--policy-timeout)";
    assert_eq!(
        findings_of(&report, "policy/resource-limit"),
        [("cm.yaml".into(), 0, msg.into()), ("two.yaml".into(), 0, msg.into()), ("two.yaml".into(), 1, msg.into())],
        "{report:#}"
    );
    assert_eq!(report["summary"]["errors"], 3, "{report:#}");
}

/// The run's budget: once spent, the documents left are not evaluated but each gets a finding,
/// and the run ends (in check, and with --combine).
#[test]
fn the_run_has_one_time_budget() {
    let dir = repo_with("loop");
    for i in 0..3 {
        write(dir.path(), &format!("more/{i}.yaml"), CONFIGMAP);
    }
    commit_all(dir.path(), "more");
    let args = [
        "check",
        "-p",
        "pol",
        "--builtin",
        "none",
        "-o",
        "json",
        "-j",
        "1",
        "--policy-timeout",
        "30",
        "--policy-run-timeout",
        "1",
    ];
    let run = tollgate_env(dir.path(), &args, None, &[]);
    run.expect_code(1);
    let report = run.json();
    let found = findings_of(&report, "policy/resource-limit");
    assert_eq!(found.len(), 4, "one finding per document: {found:#?}");
    let ran_out = found.iter().filter(|f| f.2 == "policy evaluation of this document was stopped: the run's policy time budget of 1 s (--policy-run-timeout) ran out").count();
    let skipped = found.iter().filter(|f| f.2 == "not evaluated: the run's policy time budget of 1 s (--policy-run-timeout) ran out before this document").count();
    assert_eq!((ran_out, skipped), (1, 3), "{found:#?}");
    let mut combined = args.to_vec();
    combined.push("--combine");
    let run = tollgate_env(dir.path(), &combined, None, &[]);
    run.expect_code(1);
    let found = findings_of(&run.json(), "policy/resource-limit");
    assert_eq!(
        found,
        [(String::new(), u64::MAX, "policy evaluation of the combined documents was stopped: the run's policy time budget of 1 s (--policy-run-timeout) ran out".into())],
    );
}

/// One built-in call that builds a huge value never reaches regorus's timer: the memory ceiling
/// holds the thread and the watchdog ends the run with exit 2, naming the document (never an
/// out-of-memory kill or a hang).
#[test]
fn an_evaluation_that_cannot_be_stopped_ends_the_run() {
    let dir = repo_with("doubling");
    let args = ["check", "-p", "pol", "--builtin", "none", "--policy-memory", "8", "--policy-timeout", "0.5"];
    let run = tollgate_env(dir.path(), &args, None, &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(
            "error: policy evaluation of cm.yaml (document 0) did not stop within its time budget and 10 s more"
        ),
        "{}",
        run.stderr
    );
}

/// A chain of 700 rules, just inside the depth limit, overflowed the stack before (550 in a
/// release build): it now evaluates, on a document, with --combine and in verify.
#[test]
fn a_deep_evaluation_inside_the_limit_runs() {
    let mut chain = String::from("package main\nimport rego.v1\nr0 := 0\n");
    for i in 0..700 {
        chain.push_str(&format!("r{} := r{i} + 1\n", i + 1));
    }
    chain.push_str("deny contains sprintf(\"depth %d\", [r700]) if r700 > 0\n");
    let dir = repo();
    write(dir.path(), "cm.yaml", CONFIGMAP);
    write(dir.path(), "pol/chain.rego", &chain);
    write(dir.path(), "pol/chain_test.rego", "package main\nimport rego.v1\ntest_depth if r700 == 700\n");
    commit_all(dir.path(), "init");
    for extra in [None, Some("--combine")] {
        let mut args = vec!["check", "-p", "pol", "--builtin", "none", "-o", "json"];
        args.extend(extra);
        let run = tollgate_env(dir.path(), &args, None, &[]);
        run.expect_code(1);
        assert_eq!(findings(&run.json()), [("main.deny".to_string(), "depth 700".to_string())], "{extra:?}");
    }
    let run = tollgate_env(dir.path(), &["verify", "-p", "pol"], None, &[]);
    run.expect_code(0);
}

/// Compiling grew with the square of the rules: 16,000 deny rules in one package took ten
/// minutes (each rule was compiled again over every module). 8,000 rules, and 2,000 packages each
/// naming its own kind, now load as fast as they read (the run's time limit catches a return).
#[test]
fn many_rules_and_packages_compile_in_proportion() {
    let dir = repo();
    write(dir.path(), "cm.yaml", CONFIGMAP);
    let rules: String =
        (0..8000).map(|i| format!("deny_r{i} contains \"rule {i}\" if input.kind == \"K{i}\"\n")).collect();
    write(
        dir.path(),
        "pol/rules.rego",
        format!("package main\nimport rego.v1\n{rules}deny contains \"hit\" if input.kind == \"ConfigMap\"\n"),
    );
    for i in 0..2000 {
        write(
            dir.path(),
            &format!("pol/kinds/p{i}.rego"),
            format!("# METADATA\n# custom:\n#   kinds: [K{i}]\npackage main.p{i}\nimport rego.v1\ndeny contains \"kind {i}\" if true\n"),
        );
    }
    commit_all(dir.path(), "init");
    let run =
        tollgate_env(dir.path(), &["check", "-p", "pol", "--builtin", "none", "-n", "main*", "-o", "json"], None, &[]);
    run.expect_code(1);
    assert_eq!(findings(&run.json()), [("main.deny".to_string(), "hit".to_string())]);
}

/// What a policy produces is kept for the report, so it is bounded per document: 1,000 results
/// per rule (the rest counted in one more finding of the rule's severity), messages of 4,000
/// characters, 1,000 lines of print() output.
#[test]
fn policy_output_is_bounded_per_document() {
    let dir = repo_with("flood");
    let run = tollgate_env(dir.path(), &["check", "-p", "pol", "--builtin", "none", "-o", "json"], None, &[]);
    run.expect_code(1);
    let report = run.json();
    let found = findings(&report);
    assert_eq!(found.iter().filter(|(r, m)| r == "main.deny" && m.starts_with("result ")).count(), 1000);
    assert!(found.contains(&(
        "policy/resource-limit".to_string(),
        "data.main.deny produced 5000 results on this document; only the first 1000 are reported".to_string()
    )));
    let long = found.iter().find(|(r, _)| r == "main.warn").expect("the warning");
    assert_eq!(long.1.chars().count(), 4001, "cut after 4,000 characters and …");
    let printed: Vec<&str> = run.stderr.lines().filter(|l| l.contains("cm.yaml: ")).collect();
    assert_eq!(printed.len(), 1001, "{:?}", &printed[printed.len().saturating_sub(3)..]);
    assert!(printed[1000].ends_with("… 4000 more lines of print() output not shown"), "{}", printed[1000]);
}

/// regorus prints warnings (`if` without `import future.keywords.if`) from the thread that
/// compiles the policies; the run must not wait forever on the output it is writing to.
#[test]
fn regorus_warnings_from_the_compiling_thread_do_not_block_the_run() {
    both_refuse(b"package main\n\ndeny contains x if {\n", "pol/p.rego:4:1");
}

/// PR mode compares findings by fingerprint: a policy that stops on a document both in the
/// merge-base and in the change must not let an edit of that document through as "not new".
#[test]
fn a_stopped_evaluation_of_an_edited_document_is_new_in_pr_mode() {
    let dir = repo_with("loop");
    common::git(dir.path(), &["checkout", "-q", "-b", "change"]);
    write(dir.path(), "cm.yaml", format!("{CONFIGMAP}  privileged: \"true\"\n"));
    commit_all(dir.path(), "edit the document");
    let args = ["check", "--base", "main", "-p", "pol", "--builtin", "none", "-o", "json", "--policy-timeout", "0.3"];
    let run = tollgate_env(dir.path(), &args, None, &[]);
    run.expect_code(1);
    let report = run.json();
    let stopped: Vec<&Value> =
        report["findings"].as_array().into_iter().flatten().filter(|f| f["rule"] == "policy/resource-limit").collect();
    assert_eq!(stopped.len(), 1, "{report:#}");
    assert_eq!(stopped[0]["new"], true, "{report:#}");
}
