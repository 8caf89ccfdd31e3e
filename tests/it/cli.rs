//! End-to-end tests of the `tollgate` binary outside git: exit codes, the JSON report of
//! DESIGN.md §4, the policy conventions of §3, bad input (§2), `parse`, `policies list` and the
//! human output. Every run is the real binary on files in a temp dir (fixtures from
//! `fixtures/cli`, bad input generated here), with a time limit.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{json, Value};

/// A temp dir holding `pod.yaml` (fixtures/cli/manifests/pod.yaml) and the given policy dirs
/// under `policies/`.
fn pod_with(policies: &[&str]) -> tempfile::TempDir {
    let d = tempdir();
    copy_fixture("manifests/pod.yaml", d.path(), "pod.yaml");
    for p in policies {
        copy_fixture(&format!("policies/{p}"), d.path(), &format!("policies/{p}"));
    }
    d
}

/// (rule, severity, message, pointer, (line, column, end_line, end_column), risk) of a finding.
fn row(f: &Value) -> (String, String, String, String, (u64, u64, u64, u64), Value) {
    (
        f["rule"].as_str().unwrap_or("?").into(),
        f["severity"].as_str().unwrap_or("?").into(),
        f["message"].as_str().unwrap_or("?").into(),
        f["pointer"].as_str().unwrap_or("?").into(),
        span(f),
        f["risk"].clone(),
    )
}

fn r(
    rule: &str,
    sev: &str,
    msg: &str,
    ptr: &str,
    at: (u64, u64, u64, u64),
    risk: Value,
) -> (String, String, String, String, (u64, u64, u64, u64), Value) {
    (rule.into(), sev.into(), msg.into(), ptr.into(), at, risk)
}

// ---------------------------------------------------------------------------------------------
// 1. Exit codes

#[test]
fn exit_0_when_nothing_blocks() {
    let d = tempdir();
    copy_fixture("manifests/configmap.yaml", d.path(), "configmap.yaml");
    copy_fixture("policies/conventions", d.path(), "policies/conventions");
    let run = tollgate(d.path(), &["check", "-p", "policies/conventions", "-o", "json"]);
    run.expect_code(0);
    let rep = run.json();
    assert_eq!(summary(&rep), [1, 1, 0, 0, 0, 0, 0]);
    assert!(findings(&rep).is_empty());
}

#[test]
fn exit_1_when_errors_block_and_fail_on_changes_it() {
    let d = pod_with(&["conventions"]);
    let p = ["check", "-p", "policies/conventions", "-o", "json"];
    tollgate(d.path(), &p).expect_code(1);
    tollgate(d.path(), &[&p[..], &["--fail-on", "error"]].concat()).expect_code(1);
    tollgate(d.path(), &[&p[..], &["--fail-on", "never"]].concat()).expect_code(0);
    // Risk floors: acme/privileged is high; unrated errors (main.deny) fail closed at any floor.
    tollgate(d.path(), &[&p[..], &["--fail-on", "critical"]].concat()).expect_code(1);
}

#[test]
fn warnings_block_only_with_fail_on_warning() {
    let d = pod_with(&["warn-only"]);
    let run = tollgate(d.path(), &["check", "-p", "policies/warn-only", "-o", "json"]);
    run.expect_code(0);
    let rep = run.json();
    assert_eq!(summary(&rep), [1, 1, 0, 2, 0, 0, 2]);
    let sev: Vec<_> = findings(&rep)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or("?"), f["severity"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(sev, [("main.warn", "warning"), ("main.warn_privileged", "warning")]);
    tollgate(d.path(), &["check", "-p", "policies/warn-only", "--fail-on", "warning"]).expect_code(1);
    // A risk floor only looks at errors: a high warning does not block.
    tollgate(d.path(), &["check", "-p", "policies/warn-only", "--fail-on", "high"]).expect_code(0);
}

#[test]
fn exit_1_risk_floor_passes_lower_risks() {
    // metadata.rego rates: bare pod medium, privileged critical, explicit info.
    let d = tempdir();
    copy_fixture("policies/metadata", d.path(), "policies/metadata");
    write(d.path(), "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: calm\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n");
    let p = ["check", "-p", "policies/metadata"];
    tollgate(d.path(), &[&p[..], &["--fail-on", "high"]].concat()).expect_code(0);
    tollgate(d.path(), &[&p[..], &["--fail-on", "medium"]].concat()).expect_code(1);
    tollgate(d.path(), &p).expect_code(1);
}

/// A tool failure: exit 2, no report on stdout, and stderr contains every `needles` entry.
#[track_caller]
fn tool_error(dir: &std::path::Path, args: &[&str], needles: &[&str]) {
    let run = tollgate(dir, args);
    run.expect_code(2);
    assert_eq!(run.stdout, "", "a failed run prints no report");
    for n in needles {
        assert!(run.stderr.contains(n), "stderr lacks {n:?}:\n{}", run.stderr);
    }
}

#[test]
fn exit_2_unknown_flag() {
    let d = pod_with(&["conventions"]);
    tool_error(d.path(), &["check", "--no-such-flag", "-p", "policies/conventions"], &["--no-such-flag"]);
}

#[test]
fn exit_2_bad_policy_path() {
    let d = pod_with(&[]);
    tool_error(d.path(), &["check", "-p", "policies/nowhere", "pod.yaml"], &["policies/nowhere"]);
}

#[test]
fn exit_2_policy_path_without_policies() {
    let d = pod_with(&["tests-only"]);
    std::fs::create_dir_all(d.path().join("policies/empty")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    tool_error(d.path(), &["check", "-p", "policies/empty", "pod.yaml"], &["no Rego policies", "policies/empty"]);
    tool_error(
        d.path(),
        &["check", "-p", "policies/tests-only", "pod.yaml"],
        &["no Rego policies", "policies/tests-only"],
    );
}

#[test]
fn exit_2_rego_syntax_error_names_file_and_line() {
    let d = pod_with(&["broken", "broken-v0"]);
    tool_error(d.path(), &["check", "-p", "policies/broken", "pod.yaml"], &["policies/broken/broken.rego:6"]);
    // A v0 module's error is where the v0 parser stops, not v1's complaint about v0 syntax.
    let run = tollgate(d.path(), &["check", "-p", "policies/broken-v0", "pod.yaml"]);
    run.expect_code(2);
    assert!(run.stderr.contains("policies/broken-v0/broken.rego:6"), "{}", run.stderr);
    assert!(!run.stderr.contains("broken.rego:4"), "{}", run.stderr);
}

/// A call to a function that exists nowhere (a typo) stops the run at load time with its place,
/// as in OPA, even when no document reaches it (regorus alone would only fail on a document that
/// does, and pass the others).
#[test]
fn exit_2_undefined_function_names_file_line_and_column() {
    let d = pod_with(&["undefined-function"]);
    tool_error(
        d.path(),
        &["check", "-p", "policies/undefined-function", "pod.yaml"],
        &["policies/undefined-function/typo.rego:9:10: undefined function lowr"],
    );
}

#[test]
fn exit_2_unknown_builtin_profile() {
    let d = pod_with(&[]);
    tool_error(d.path(), &["check", "--builtin", "paranoid", "pod.yaml"], &["paranoid"]);
}

#[test]
fn exit_2_invalid_fail_on() {
    let d = pod_with(&["conventions"]);
    tool_error(d.path(), &["check", "-p", "policies/conventions", "--fail-on", "sometimes"], &["sometimes"]);
}

#[test]
fn exit_2_unknown_output_format() {
    let d = pod_with(&["conventions"]);
    tool_error(d.path(), &["check", "-p", "policies/conventions", "-o", "yaml"], &["yaml"]);
    tool_error(d.path(), &["check", "-p", "policies/conventions", "--color", "sometimes"], &["sometimes"]);
}

#[test]
fn exit_2_unknown_config_key_names_line_and_column() {
    let d = pod_with(&["conventions"]);
    write(
        d.path(),
        ".tollgate.yaml",
        "# settings\npolicy: policies/conventions\n  \nfail-on: error\nexlcude: ['vendor/**']\n",
    );
    tool_error(d.path(), &["check"], &[".tollgate.yaml:5:1", "exlcude", "exclude"]);
    write(d.path(), ".tollgate.yaml", "policy: policies/conventions\njobs: many\n");
    tool_error(d.path(), &["check"], &[".tollgate.yaml:2:1", "jobs"]);
}

#[test]
fn exit_2_bad_data_file_names_line() {
    let d = pod_with(&["data"]);
    write(d.path(), "data/bad.yaml", "registries:\n  allowed: [unclosed\n");
    tool_error(d.path(), &["check", "-p", "policies/data", "-d", "data/bad.yaml", "pod.yaml"], &["data/bad.yaml:3"]);
}

// ---------------------------------------------------------------------------------------------
// 2. The JSON report

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default()
}

#[test]
fn json_report_shape() {
    let d = pod_with(&["conventions", "exception"]);
    write(d.path(), "broken.yaml", "kind: ConfigMap\nmetadata:\n  name: [oops\n");
    let run = tollgate(d.path(), &["check", "-p", "policies/conventions", "-p", "policies/exception", "-o", "json"]);
    run.expect_code(1);
    assert!(run.stdout.ends_with("}\n"));
    let rep = run.json();
    assert_eq!(keys(&rep), ["version", "summary", "findings"]);
    assert_eq!(rep["version"], json!(1));
    assert_eq!(keys(&rep["summary"]), ["files", "documents", "errors", "warnings", "notes", "suppressed", "new"]);

    let fs = findings(&rep);
    assert!(!fs.is_empty());
    let one_of = |v: &Value, allowed: &[&str]| v.as_str().is_some_and(|s| allowed.contains(&s));
    for f in fs {
        assert_eq!(keys(f), FINDING_KEYS, "{f:#}");
        assert!(f["rule"].is_string() && f["message"].is_string() && f["pointer"].is_string(), "{f:#}");
        assert!(one_of(&f["severity"], &["error", "warning", "note"]), "{f:#}");
        assert!(one_of(&f["source"], &["parse", "schema", "policy", "gate"]), "{f:#}");
        assert!(f["risk"].is_null() || one_of(&f["risk"], &["critical", "high", "medium", "low", "info"]), "{f:#}");
        assert!(f["file"].is_string() && f["document"].is_u64(), "{f:#}");
        for k in ["line", "column", "end_line", "end_column"] {
            assert!(f[k].as_u64().is_some_and(|n| n >= 1), "{k} in {f:#}");
        }
        let fp = f["fingerprint"].as_str().unwrap_or("");
        assert!(fp.len() >= 16 && fp.chars().all(|c| c.is_ascii_hexdigit()), "{f:#}");
        assert_eq!(f["new"], json!(true));
        let res = &f["resource"];
        assert!(res.is_null() || keys(res) == ["apiVersion", "kind", "namespace", "name"], "{f:#}");
        let sup = &f["suppressed"];
        assert!(sup.is_null() || keys(sup) == ["kind", "reason", "expires"], "{f:#}");
    }

    // One finding in full.
    let priv_ = finding(&rep, "acme/privileged", "container app is privileged");
    let mut expected = json!({
        "rule": "acme/privileged", "severity": "error", "message": "container app is privileged",
        "file": "pod.yaml", "document": 0,
        "pointer": "/spec/containers/0/securityContext/privileged",
        "line": 11, "column": 9, "end_line": 11, "end_column": 25,
        "resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": "web"},
        "source": "policy", "risk": "high", "fingerprint": priv_["fingerprint"].clone(), "new": true,
        "suppressed": null
    });
    assert_eq!(priv_, &expected);

    // A parse finding: no resource, source parse.
    let parse: Vec<&Value> = fs.iter().filter(|f| f["source"] == "parse").collect();
    assert_eq!(parse.len(), 1, "{rep:#}");
    assert_eq!(
        (parse[0]["rule"].as_str(), parse[0]["file"].as_str(), &parse[0]["resource"]),
        (Some("parse/invalid-yaml"), Some("broken.yaml"), &Value::Null)
    );

    // A suppressed finding, in full.
    let sup = finding(&rep, "main.deny_privileged", "privileged container");
    expected = json!({"kind": "exception", "reason": sup["suppressed"]["reason"].clone(), "expires": null});
    assert_eq!(sup["suppressed"], expected);
    assert!(sup["suppressed"]["reason"].as_str().is_some_and(|r| r.contains("privileged")));

    // The summary counts what the findings say (suppressed ones only as suppressed).
    let count = |sev: &str| fs.iter().filter(|f| f["severity"] == sev && f["suppressed"].is_null()).count() as u64;
    let suppressed = fs.iter().filter(|f| !f["suppressed"].is_null()).count() as u64;
    let s = summary(&rep);
    assert_eq!(
        s,
        [
            2,
            1,
            count("error"),
            count("warning"),
            count("note"),
            suppressed,
            count("error") + count("warning") + count("note")
        ]
    );
    assert_eq!((s[2], s[3], s[5]), (6, 2, 1), "{rep:#}");
}

#[test]
fn findings_sorted_by_file_document_line_rule() {
    let d = tempdir();
    copy_fixture("policies/order", d.path(), "policies/order");
    // Line 5 holds two findings: deny_zz at column 21, deny_aa at column 35.
    write(
        d.path(),
        "a.yaml",
        "kind: Pod\nmetadata:\n  name: one\nspec:\n  securityContext: {runAsUser: 0, privileged: true}\n---\nkind: Pod\nmetadata:\n  name: two\nspec:\n  securityContext: {privileged: true}\n",
    );
    write(d.path(), "b.yaml", "kind: Pod\nmetadata: {name: three}\nspec:\n  securityContext:\n    runAsUser: 0\n");
    let run = tollgate(d.path(), &["check", "-p", "policies/order", "-o", "json"]);
    run.expect_code(1);
    let rep = run.json();
    let got: Vec<(String, u64, u64, String, u64)> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").into(),
                f["document"].as_u64().unwrap_or(99),
                f["line"].as_u64().unwrap_or(0),
                f["rule"].as_str().unwrap_or("").into(),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let want: Vec<(String, u64, u64, String, u64)> = [
        ("a.yaml", 0, 1, "main.deny", 1),
        ("a.yaml", 0, 5, "main.deny_aa", 35),
        ("a.yaml", 0, 5, "main.deny_zz", 21),
        ("a.yaml", 1, 7, "main.deny", 1),
        ("a.yaml", 1, 11, "main.deny_aa", 21),
        ("b.yaml", 0, 1, "main.deny", 1),
        ("b.yaml", 0, 5, "main.deny_zz", 5),
    ]
    .iter()
    .map(|(f, d, l, r, c)| (f.to_string(), *d, *l, r.to_string(), *c))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn same_run_twice_is_byte_identical() {
    let d = pod_with(&["conventions", "exception"]);
    for i in 0..6 {
        let mut text = String::from("apiVersion: v1\nkind: Pod\n");
        text.push_str(&format!("metadata:\n  name: p{i}\nspec:\n  containers:\n"));
        for c in 0..3 {
            text.push_str(&format!(
                "    - name: c{c}\n      image: img:{c}\n      securityContext: {{privileged: true, runAsUser: 0}}\n"
            ));
        }
        write(d.path(), &format!("more/p{i}.yaml"), text);
    }
    let args = ["check", "-p", "policies/conventions", "-p", "policies/exception", "-o", "json"];
    let first = tollgate(d.path(), &args);
    first.expect_code(1);
    // 14 findings per pod from conventions, 2 from exception; 8 on pod.yaml.
    assert_eq!(findings(&first.json()).len(), 6 * 16 + 8);
    let second = tollgate(d.path(), &args);
    assert_eq!(first.stdout, second.stdout);
    let serial = tollgate(d.path(), &[&args[..], &["-j", "1"]].concat());
    assert_eq!(first.stdout, serial.stdout);
    let human1 = tollgate(d.path(), &["check", "-p", "policies/conventions", "--color", "never"]);
    let human2 = tollgate(d.path(), &["check", "-p", "policies/conventions", "--color", "never", "-j", "3"]);
    assert_eq!(human1.stdout, human2.stdout);
}

#[test]
fn fingerprint_survives_unrelated_lines_but_line_moves() {
    let d = pod_with(&["conventions"]);
    let before = tollgate(d.path(), &["check", "-p", "policies/conventions", "-o", "json"]).json();
    // Insert a comment, labels and an annotation above the offending fields.
    let text = std::fs::read_to_string(d.path().join("pod.yaml")).unwrap_or_default();
    let moved = text
        .replacen("apiVersion: v1\n", "# owned by team shop\napiVersion: v1\n", 1)
        .replacen("  namespace: shop\n", "  namespace: shop\n  annotations:\n    note: unrelated\n", 1)
        .replacen("    - name: app\n", "    - name: app\n      ports:\n        - containerPort: 8080\n", 1);
    write(d.path(), "pod.yaml", &moved);
    let after = tollgate(d.path(), &["check", "-p", "policies/conventions", "-o", "json"]).json();

    let by_rule = |rep: &Value, rule: &str| {
        let f = findings(rep).iter().find(|f| f["rule"] == rule).cloned().unwrap_or(Value::Null);
        (f["fingerprint"].as_str().unwrap_or("").to_string(), f["line"].as_u64().unwrap_or(0))
    };
    for (rule, line_before, line_after) in [
        ("acme/privileged", 11, 16),
        ("main.deny_root", 12, 17),
        ("main.warn_digest", 9, 14),
        ("main.deny_limits", 8, 11),
    ] {
        let (fp1, l1) = by_rule(&before, rule);
        let (fp2, l2) = by_rule(&after, rule);
        assert_eq!((l1, l2), (line_before, line_after), "{rule}");
        assert!(!fp1.is_empty());
        assert_eq!(fp1, fp2, "{rule}: the fingerprint moved with the line");
    }
    assert_eq!(findings(&before).len(), findings(&after).len());

    // It is still an identity: another resource gets other fingerprints.
    write(d.path(), "pod.yaml", moved.replacen("name: web", "name: api", 1));
    let renamed = tollgate(d.path(), &["check", "-p", "policies/conventions", "-o", "json"]).json();
    assert_ne!(by_rule(&renamed, "acme/privileged").0, by_rule(&before, "acme/privileged").0);
}

// ---------------------------------------------------------------------------------------------
// 3. Policy conventions

#[test]
fn rule_kinds_results_and_locations() {
    let d = pod_with(&["conventions"]);
    let run = tollgate(d.path(), &["check", "-p", "policies/conventions", "-o", "json"]);
    run.expect_code(1);
    let rep = run.json();
    let got: Vec<_> = findings(&rep).iter().map(row).collect();
    let n = Value::Null;
    assert_eq!(
        got,
        vec![
            r("main.deny", "error", "pods must be managed by a controller", "", (1, 1, 12, 21), n.clone()),
            r("main.warn", "warning", "pod has no labels", "", (1, 1, 12, 21), n.clone()),
            // The missing resources.limits resolves to its nearest existing parent, the item:
            // its first line, not its block.
            r(
                "main.deny_limits",
                "error",
                "container app has no resource limits",
                "/spec/containers/0",
                (8, 7, 8, 16),
                n.clone()
            ),
            r(
                "main.warn_digest",
                "warning",
                "image nginx:1.27 is not pinned by digest",
                "/spec/containers/0/image",
                (9, 7, 9, 24),
                json!("low")
            ),
            r(
                "acme/privileged",
                "error",
                "container app is privileged",
                "/spec/containers/0/securityContext/privileged",
                (11, 9, 11, 25),
                json!("high")
            ),
            r(
                "main.deny_root",
                "error",
                "container app runs as root",
                "/spec/containers/0/securityContext/runAsUser",
                (12, 9, 12, 21),
                n
            ),
        ]
    );
    assert_eq!(summary(&rep), [1, 1, 4, 2, 0, 0, 6]);
    for f in findings(&rep) {
        assert_eq!(
            (f["file"].as_str(), f["document"].as_u64(), f["source"].as_str()),
            (Some("pod.yaml"), Some(0), Some("policy"))
        );
    }
}

#[test]
fn namespace_globs_and_all_namespaces() {
    let d = pod_with(&["namespaces"]);
    let rules = |extra: &[&str]| -> Vec<String> {
        let run = tollgate(
            d.path(),
            &[&["check", "-p", "policies/namespaces", "-o", "json", "pod.yaml"][..], extra].concat(),
        );
        run.expect_code(1);
        findings(&run.json())
            .iter()
            .map(|f| format!("{} {}", f["rule"].as_str().unwrap_or("?"), f["message"].as_str().unwrap_or("?")))
            .collect()
    };
    assert_eq!(rules(&[]), ["main.deny from main"]);
    assert_eq!(rules(&["-n", "team.*"]), ["team.alpha.deny from team.alpha", "team.beta.deny from team.beta"]);
    assert_eq!(rules(&["-n", "other", "-n", "team.b*"]), ["other.deny from other", "team.beta.deny from team.beta"]);
    assert_eq!(
        rules(&["--all-namespaces"]),
        [
            "main.deny from main",
            "other.deny from other",
            "team.alpha.deny from team.alpha",
            "team.beta.deny from team.beta"
        ]
    );
    let none =
        tollgate(d.path(), &["check", "-p", "policies/namespaces", "-n", "nothing.here", "-o", "json", "pod.yaml"]);
    none.expect_code(0);
    assert!(findings(&none.json()).is_empty());
}

#[test]
fn exceptions_suppress_by_rule_name_and_do_not_block() {
    let d = pod_with(&["exception"]);
    let run = tollgate(d.path(), &["check", "-p", "policies/exception", "-o", "json"]);
    run.expect_code(1);
    let rep = run.json();
    let got: Vec<_> = findings(&rep)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or("?"), f["line"].as_u64(), f["suppressed"]["kind"].as_str()))
        .collect();
    assert_eq!(got, [("main.deny_privileged", Some(11), Some("exception")), ("main.deny_root", Some(12), None)]);
    assert_eq!(summary(&rep), [1, 1, 1, 0, 0, 1, 1]);

    // Only the excepted finding left: it is reported but nothing blocks.
    let text = std::fs::read_to_string(d.path().join("pod.yaml")).unwrap_or_default();
    write(d.path(), "pod.yaml", text.replace("runAsUser: 0", "runAsUser: 1000"));
    let run = tollgate(d.path(), &["check", "-p", "policies/exception", "-o", "json"]);
    run.expect_code(0);
    let rep = run.json();
    assert_eq!(summary(&rep), [1, 1, 0, 0, 0, 1, 0]);
    assert_eq!(findings(&rep).len(), 1);
    assert_eq!(findings(&rep)[0]["suppressed"]["kind"], "exception");

    // The exception is per document: another pod is not excepted.
    write(d.path(), "pod.yaml", text.replace("name: web", "name: api").replace("runAsUser: 0", "runAsUser: 1000"));
    let run = tollgate(d.path(), &["check", "-p", "policies/exception", "-o", "json"]);
    run.expect_code(1);
    assert_eq!(findings(&run.json())[0]["suppressed"], Value::Null);
}

/// conftest's matching of exception entries to rule names (its `removeRulePrefix`).
#[test]
fn exceptions_match_rule_names_as_conftest_does() {
    let d = pod_with(&["exception_conftest"]);
    let run = tollgate(d.path(), &["check", "-p", "policies/exception_conftest", "-o", "json"]);
    run.expect_code(1);
    let rep = run.json();
    let mut got: Vec<_> = findings(&rep)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or("?").to_string(), f["suppressed"]["kind"].as_str().map(str::to_string)))
        .collect();
    got.sort();
    let ex = Some("exception".to_string());
    assert_eq!(
        got,
        [
            ("main.deny".to_string(), ex.clone()),
            ("main.deny_root".to_string(), None),
            ("main.violation".to_string(), ex.clone()),
            ("main.warn_privileged".to_string(), ex),
        ]
    );
    let plain = findings(&rep).iter().find(|f| f["rule"] == "main.deny").cloned().unwrap_or_default();
    assert!(plain["suppressed"]["reason"].as_str().unwrap_or("").contains("the bare deny, violation and warn rules"));
}

#[test]
fn data_files_json_and_yaml() {
    let d = pod_with(&["data"]);
    copy_fixture("data", d.path(), "data");
    let want = ["at most 0 containers", "image nginx:1.27 is not from registry.acme.example/"];
    for data_args in [&["-d", "data/registries.json", "-d", "data/limits.yaml"][..], &["--data", "data"][..]] {
        let run =
            tollgate(d.path(), &[&["check", "-p", "policies/data", "-o", "json", "pod.yaml"][..], data_args].concat());
        run.expect_code(1);
        let rep = run.json();
        assert_eq!(messages(&rep), want, "{data_args:?}");
        assert_eq!(span(finding(&rep, "main.deny", want[1])), (9, 7, 9, 24));
    }
    // Without the data the rules are undefined: nothing found.
    let run = tollgate(d.path(), &["check", "-p", "policies/data", "-o", "json", "pod.yaml"]);
    run.expect_code(0);
    assert!(findings(&run.json()).is_empty());
}

#[test]
fn combine_gives_all_documents_and_locates_by_index() {
    let d = tempdir();
    copy_fixture("policies/combine", d.path(), "policies/combine");
    write(
        d.path(),
        "apps/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
    );
    write(
        d.path(),
        "apps/services.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n",
    );
    let run = tollgate(d.path(), &["check", "-p", "policies/combine", "--combine", "-o", "json", "--no-schemas"]);
    run.expect_code(1);
    let rep = run.json();
    let got: Vec<_> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?"),
                f["message"].as_str().unwrap_or("?"),
                f["file"].as_str(),
                f["document"].as_u64(),
                f["pointer"].as_str().unwrap_or("?"),
                f["line"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "main.deny",
                "documents: apps/deploy.yaml#Deployment, apps/services.yaml#Service, apps/services.yaml#Service",
                None,
                None,
                "",
                None
            ),
            ("main.deny_replicas", "a single replica", Some("apps/deploy.yaml"), Some(0), "/spec/replicas", Some(6)),
            (
                "main.deny_orphan",
                "service api selects no deployment",
                Some("apps/services.yaml"),
                Some(1),
                "/metadata/name",
                Some(9)
            ),
        ]
    );
    let orphan = finding(&rep, "main.deny_orphan", "service api selects no deployment");
    assert_eq!(span(orphan), (9, 3, 9, 12));
    assert_eq!(orphan["resource"], json!({"apiVersion": "v1", "kind": "Service", "namespace": null, "name": "api"}));
    assert_eq!(summary(&rep), [2, 3, 3, 0, 0, 0, 3]);
}

#[test]
fn rego_v0_modules_are_accepted() {
    let d = pod_with(&["v0"]);
    let run = tollgate(d.path(), &["check", "-p", "policies/v0", "-o", "json"]);
    run.expect_code(1);
    let rep = run.json();
    let got: Vec<_> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?"),
                f["severity"].as_str().unwrap_or("?"),
                f["message"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(got, [("main.deny", "error", "v0 deny on web"), ("main.warn", "warning", "v0 warn")]);
}

#[test]
fn runtime_error_is_a_finding_on_that_document_only() {
    let d = tempdir();
    copy_fixture("policies/runtime", d.path(), "policies/runtime");
    write(
        d.path(),
        "cms.yaml",
        "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  replicas: \"3\"\n  divisor: 2\n---\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  replicas: \"many\"\n  divisor: 5\n---\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  replicas: \"4\"\n  divisor: 0\n",
    );
    write(d.path(), "z.yaml", "kind: ConfigMap\nmetadata:\n  name: z\ndata:\n  replicas: \"7\"\n  divisor: 10\n");
    for jobs in ["1", "2"] {
        let run = tollgate(d.path(), &["check", "-p", "policies/runtime", "-o", "json", "-j", jobs]);
        run.expect_code(1);
        let rep = run.json();
        let got: Vec<_> = findings(&rep)
            .iter()
            .map(|f| {
                let m = f["message"].as_str().unwrap_or("?");
                // A runtime error is one line: where in the policy, and what.
                (
                    f["file"].as_str().unwrap_or("?"),
                    f["document"].as_u64().unwrap_or(99),
                    f["line"].as_u64().unwrap_or(0),
                    f["rule"].as_str().unwrap_or("?"),
                    m.to_string(),
                )
            })
            .collect();
        let runtime = |rule: &str| {
            format!(
                "data.main.{rule} failed on this document: policies/runtime/runtime.rego:{}",
                if rule == "deny" { "7:30: could not parse string as number" } else { "13:13: divide by zero" }
            )
        };
        assert_eq!(
            got,
            [
                ("cms.yaml", 0, 1, "main.deny", "a: 3 replicas".to_string()),
                ("cms.yaml", 0, 1, "main.deny_ratio", "a: ratio 5".to_string()),
                ("cms.yaml", 1, 8, "main.deny_ratio", "b: ratio 2".to_string()),
                ("cms.yaml", 1, 8, "policy/runtime-error", runtime("deny")),
                ("cms.yaml", 2, 15, "main.deny", "c: 4 replicas".to_string()),
                ("cms.yaml", 2, 15, "policy/runtime-error", runtime("deny_ratio")),
                ("z.yaml", 0, 1, "main.deny", "z: 7 replicas".to_string()),
                ("z.yaml", 0, 1, "main.deny_ratio", "z: ratio 1".to_string()),
            ],
            "-j {jobs}"
        );
        let errs: Vec<&Value> = findings(&rep).iter().filter(|f| f["rule"] == "policy/runtime-error").collect();
        assert!(
            errs[0]["message"].as_str().is_some_and(|m| m.contains("could not parse string as number")),
            "{:#}",
            errs[0]
        );
        assert!(errs[1]["message"].as_str().is_some_and(|m| m.contains("divide by zero")), "{:#}", errs[1]);
        assert_eq!(errs[0]["severity"], "error");
        assert_eq!(errs[0]["resource"]["name"], "b");
    }
}

#[test]
fn print_output_goes_to_stderr() {
    let d = pod_with(&["print"]);
    copy_fixture("manifests/configmap.yaml", d.path(), "configmap.yaml");
    let run = tollgate(d.path(), &["check", "-p", "policies/print", "-o", "json"]);
    run.expect_code(1);
    let mut lines: Vec<&str> = run.stderr.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "print: configmap.yaml: policies/print/print.rego:7: checking settings",
            "print: pod.yaml: policies/print/print.rego:7: checking web"
        ]
    );
    assert_eq!(messages(&run.json()), ["pod"]);
}

#[test]
fn metadata_id_and_severity_apply_to_user_policies() {
    let d = pod_with(&["metadata"]);
    let run = tollgate(d.path(), &["check", "-p", "policies/metadata", "-o", "json"]);
    run.expect_code(1);
    let rep = run.json();
    let got: Vec<_> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?"),
                f["message"].as_str().unwrap_or("?"),
                f["risk"].clone(),
                f["line"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("acme/explicit", "explicit", json!("info"), Some(1)),
            ("acme/no-bare-pods", "bare pod", json!("medium"), Some(1)),
            ("acme/privileged", "privileged", json!("critical"), Some(11)),
        ]
    );
    // The METADATA title and remediation show in the human output.
    let human = tollgate(d.path(), &["check", "-p", "policies/metadata", "--color", "never"]);
    assert!(human.stdout.contains("Run it from a Deployment."), "{}", human.stdout);
}

// ---------------------------------------------------------------------------------------------
// 4. Sources outside git

#[test]
fn stdin_is_one_stream() {
    let d = tempdir();
    copy_fixture("policies/configmaps", d.path(), "policies/configmaps");
    write(d.path(), "ignored.yaml", "kind: ConfigMap\nmetadata:\n  name: on-disk\ndata:\n  v: disk\n");
    let input = b"kind: ConfigMap\nmetadata:\n  name: a\n  labels: {owner: me}\ndata:\n  v: one\n---\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {owner: me}\ndata:\n  v: two\n";
    let run = tollgate_stdin(d.path(), &["check", "-p", "policies/configmaps", "-o", "json", "-"], Some(input));
    run.expect_code(1);
    let rep = run.json();
    assert_eq!(rule_file_line(&rep), [("main.deny".into(), "-".into(), 6), ("main.deny".into(), "-".into(), 13)]);
    assert_eq!(messages(&rep), ["a=one", "b=two"]);
    assert_eq!(summary(&rep), [1, 2, 2, 0, 0, 0, 2]);
}

#[test]
fn path_arguments_include_and_exclude() {
    let d = tempdir();
    copy_fixture("policies/configmaps", d.path(), "policies/configmaps");
    let cm =
        |name: &str| format!("kind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{owner: me}}\ndata:\n  v: x\n");
    write(d.path(), "apps/a.yaml", cm("a"));
    write(
        d.path(),
        "apps/b.json",
        r#"{"kind": "ConfigMap", "metadata": {"name": "b", "labels": {"owner": "me"}}, "data": {"v": "x"}}"#,
    );
    write(d.path(), "infra/c.yml", cm("c"));
    write(d.path(), "infra/d.yaml.tpl", cm("d"));
    write(d.path(), "notes.txt", cm("txt"));
    let names = |args: &[&str]| -> Vec<String> {
        let run = tollgate(d.path(), &[&["check", "-p", "policies/configmaps", "-o", "json"][..], args].concat());
        assert!(run.code == Some(0) || run.code == Some(1), "{run:?}");
        findings(&run.json()).iter().map(|f| f["file"].as_str().unwrap_or("?").to_string()).collect()
    };
    assert_eq!(names(&[]), ["apps/a.yaml", "apps/b.json", "infra/c.yml"]);
    assert_eq!(names(&["apps"]), ["apps/a.yaml", "apps/b.json"]);
    assert_eq!(names(&["infra/c.yml", "apps/b.json"]), ["apps/b.json", "infra/c.yml"]);
    assert_eq!(names(&["--exclude", "*.json"]), ["apps/a.yaml", "infra/c.yml"]);
    assert_eq!(names(&["--exclude", "apps/**"]), ["infra/c.yml"]);
    assert_eq!(names(&["--include", "**/*.tpl"]), ["infra/d.yaml.tpl"]);
    assert_eq!(names(&["--include", "infra/*", "--exclude", "*.tpl"]), ["infra/c.yml"]);
    assert_eq!(names(&["apps", "--exclude", "apps/a.yaml"]), ["apps/b.json"]);
}

#[test]
fn config_file_applies_and_flags_override_it() {
    let d = tempdir();
    copy_fixture("policies/configmaps", d.path(), "policies/configmaps");
    copy_fixture("policies/warn-only", d.path(), "policies/warn-only");
    write(d.path(), "apps/a.yaml", "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  v: one\n");
    write(d.path(), "vendor/v.yaml", "kind: ConfigMap\nmetadata:\n  name: v\ndata:\n  v: vendored\n");
    write(d.path(), ".tollgate.yaml", "policy: policies/configmaps\nexclude: ['vendor/**']\nfail-on: never\n");

    let run = tollgate(d.path(), &["check", "-o", "json"]);
    run.expect_code(0); // fail-on: never
    let rep = run.json();
    assert_eq!(messages(&rep), ["no owner label", "a=one"]);
    // The config file itself is not a manifest.
    assert_eq!(summary(&rep)[..2], [1, 1]);

    tollgate(d.path(), &["check", "--fail-on", "error"]).expect_code(1);
    let run = tollgate(d.path(), &["check", "-o", "json", "--exclude", "nothing"]);
    assert_eq!(messages(&run.json()), ["no owner label", "a=one", "no owner label", "v=vendored"]);
    // -p replaces the configured policies.
    let run = tollgate(d.path(), &["check", "-o", "json", "-p", "policies/warn-only"]);
    run.expect_code(0);
    assert!(findings(&run.json()).is_empty());
    // `output` in the config selects the format.
    write(d.path(), ".tollgate.yaml", "policy: policies/configmaps\noutput: json\n");
    let run = tollgate(d.path(), &["check"]);
    run.expect_code(1);
    assert_eq!(summary(&run.json())[..3], [2, 2, 2]);
}

// ---------------------------------------------------------------------------------------------
// 5. Bad input

#[test]
fn bad_input_is_findings_and_other_files_are_still_checked() {
    let d = tempdir();
    copy_fixture("policies/configmaps", d.path(), "policies/configmaps");
    let good =
        |name: &str| format!("kind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{owner: me}}\ndata:\n  v: fine\n");
    write(d.path(), "m/00-good.yaml", good("first"));
    write(d.path(), "m/zz-good.yaml", good("last"));
    write(d.path(), "m/bad-yaml.yaml", "kind: ConfigMap\nmetadata:\n  name: x\n  labels: {owner: [me}\n");
    write(d.path(), "m/bad.json", "{\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"x\",}\n}\n");
    write(d.path(), "m/utf8.yaml", b"kind: ConfigMap\nmetadata:\n  name: caf\xe9\n".as_slice());
    write(
        d.path(),
        "m/dup.yaml",
        "kind: ConfigMap\nmetadata:\n  name: first\n  labels: {owner: me}\n  name: second\ndata:\n  v: dup\n",
    );
    write(d.path(), "m/tab.yaml", "kind: ConfigMap\nmetadata:\n\tname: tabbed\n");
    let mut bomb = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for c in 'b'..='j' {
        let p = (c as u8 - 1) as char;
        bomb.push_str(&format!("{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"));
    }
    write(d.path(), "m/bomb.yaml", bomb);
    write(d.path(), "m/deep-flow.yaml", format!("x: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)));
    write(d.path(), "m/deep-block.yaml", format!("x:\n{}leaf\n", "- ".repeat(10_000)));
    write(d.path(), "m/deep.json", format!("{{\"x\": {}{}}}\n", "[".repeat(10_000), "]".repeat(10_000)));
    write(
        d.path(),
        "m/big.yaml",
        format!("kind: ConfigMap\nmetadata:\n  name: big\ndata:\n  v: \"{}\"\n", "x".repeat(200_000)),
    );
    write(d.path(), "m/binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00".as_slice());
    write(
        d.path(),
        "m/helm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n{{- if .Values.extra }}\ndata: {}\n{{- end }}\n",
    );

    let run =
        tollgate(d.path(), &["check", "-p", "policies/configmaps", "--max-file-size", "100000", "-o", "json", "m"]);
    run.expect_code(1);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let rep = run.json();
    let got: Vec<(String, String, String, u64)> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("?").to_string(),
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["severity"].as_str().unwrap_or("?").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let want: Vec<(String, String, String, u64)> = [
        ("m/00-good.yaml", "main.deny", "error", 6),
        ("m/bad-yaml.yaml", "parse/invalid-yaml", "error", 4),
        ("m/bad.json", "parse/invalid-json", "error", 3),
        ("m/big.yaml", "parse/file-too-large", "error", 1),
        ("m/binary.yaml", "parse/binary-file", "error", 1),
        // kubectl's own "excessive aliasing" check stops it before the node budget does.
        ("m/bomb.yaml", "parse/alias-budget", "error", 4),
        ("m/deep-block.yaml", "parse/too-deep", "error", 2),
        ("m/deep-flow.yaml", "parse/too-deep", "error", 1),
        ("m/deep.json", "parse/too-deep", "error", 1),
        // Kubernetes keeps the last of duplicate keys, and so do the policies.
        ("m/dup.yaml", "parse/duplicate-key", "error", 5),
        ("m/dup.yaml", "main.deny", "error", 7),
        ("m/helm.yaml", "parse/helm-template", "note", 1),
        ("m/tab.yaml", "parse/invalid-yaml", "error", 3),
        ("m/utf8.yaml", "parse/invalid-utf8", "error", 3),
        ("m/zz-good.yaml", "main.deny", "error", 6),
    ]
    .iter()
    .map(|(f, r, s, l)| (f.to_string(), r.to_string(), s.to_string(), *l))
    .collect();
    assert_eq!(got, want);
    assert_eq!(messages(&rep)[0], "first=fine");
    assert_eq!(messages(&rep)[14], "last=fine");
    assert_eq!(finding(&rep, "main.deny", "second=dup")["resource"]["name"], "second");
    let tab = findings(&rep).iter().find(|f| f["file"] == "m/tab.yaml").cloned().unwrap_or(Value::Null);
    assert!(tab["message"].as_str().is_some_and(|m| m.contains("tab")), "{tab:#}");
    assert_eq!(
        span(finding(&rep, "parse/invalid-json", "invalid JSON: expected a string key, found `}`")),
        (3, 28, 3, 29)
    );
    assert_eq!(
        span(finding(
            &rep,
            "parse/duplicate-key",
            "duplicate key `name`: Kubernetes keeps the last value, other tools the first"
        ))
        .0,
        5
    );
    for f in findings(&rep).iter().filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("parse/"))) {
        assert_eq!(f["source"], "parse", "{f:#}");
    }
    assert_eq!(summary(&rep), [14, 3, 14, 0, 1, 0, 15]);
}

#[test]
fn bad_input_on_stdin_and_in_parse() {
    let d = tempdir();
    copy_fixture("policies/configmaps", d.path(), "policies/configmaps");
    let deep = format!("x: {}{}\n", "{a: ".repeat(5_000), "}".repeat(5_000));
    let run =
        tollgate_stdin(d.path(), &["check", "-p", "policies/configmaps", "-o", "json", "-"], Some(deep.as_bytes()));
    run.expect_code(1);
    assert_eq!(rule_file_line(&run.json()), [("parse/too-deep".to_string(), "-".to_string(), 1)]);
    write(d.path(), "dup.yaml", "a: 1\nb: 2\na: 3\n");
    let run = tollgate(d.path(), &["parse", "dup.yaml"]);
    run.expect_code(1);
    assert!(run.stderr.contains("dup.yaml:3:1"), "{}", run.stderr);
    assert!(run.stderr.contains("parse/duplicate-key"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// 6. `parse` and `policies list`

#[test]
fn parse_shows_kubernetes_typing_and_list_items() {
    let d = tempdir();
    write(
        d.path(),
        "typed.yaml",
        "defaults: &defaults\n  mode: 0644\n  enabled: on\n  name: base\nmerged:\n  <<: *defaults\n  name: override\nquoted: \"0644\"\nsingle: 'on'\nhex: 0x1F\n---\napiVersion: v1\nkind: List\nitems:\n  - kind: ConfigMap\n    metadata: {name: one}\n  - kind: Secret\n    metadata: {name: two}\n",
    );
    let run = tollgate(d.path(), &["parse", "typed.yaml"]);
    run.expect_code(0);
    let got = run.json();
    let want = json!([
        {"file": "typed.yaml", "document": 0, "pointer": "", "input": {
            "defaults": {"enabled": true, "mode": 420, "name": "base"},
            "hex": 31,
            "merged": {"enabled": true, "mode": 420, "name": "override"},
            "quoted": "0644",
            "single": "on"
        }},
        {"file": "typed.yaml", "document": 1, "pointer": "/items/0", "input": {"kind": "ConfigMap", "metadata": {"name": "one"}}},
        {"file": "typed.yaml", "document": 1, "pointer": "/items/1", "input": {"kind": "Secret", "metadata": {"name": "two"}}}
    ]);
    assert_eq!(got, want);
    // YAML 1.1 readings that YAML 1.2 tools see differently are pointed out.
    assert!(run.stderr.contains("typed.yaml:2:9"), "{}", run.stderr);
    assert!(run.stderr.contains("typed.yaml:3:12"), "{}", run.stderr);

    // The same documents in check: one per List item, each located inside the List.
    copy_fixture("policies/namespaces", d.path(), "policies/namespaces");
    let run = tollgate(d.path(), &["check", "-p", "policies/namespaces", "-o", "json", "typed.yaml"]);
    let rep = run.json();
    let items: Vec<_> = findings(&rep)
        .iter()
        .filter(|f| f["rule"] == "main.deny")
        .map(|f| (f["document"].as_u64(), f["line"].as_u64(), f["resource"]["name"].as_str()))
        .collect();
    assert_eq!(items, [(Some(1), Some(15), Some("one")), (Some(1), Some(17), Some("two"))]);
    assert_eq!(summary(&rep)[1], 3);
}

/// `parse` reads the files a `file-schemas` entry names as YAML 1.2, as `check` does.
#[test]
fn parse_reads_file_schema_files_as_yaml_1_2() {
    let d = repo();
    write(
        d.path(),
        ".tollgate.yaml",
        "file-schemas:\n  - files: [\".github/workflows/*.yml\"]\n    schema: workflow.json\n",
    );
    let text = "name: ci\non: push\nyes_key: yes\nmode: 0644\n";
    write(d.path(), ".github/workflows/ci.yml", text);
    write(d.path(), "other.yml", text);
    let run = tollgate(d.path(), &["parse", ".github/workflows/ci.yml", "other.yml"]);
    run.expect_code(0);
    let got = run.json();
    assert_eq!(got[0]["input"], json!({"name": "ci", "on": "push", "yes_key": "yes", "mode": 644}));
    assert_eq!(got[1]["input"], json!({"name": "ci", "true": "push", "yes_key": true, "mode": 420}));
    // From a subdirectory, the path is taken relative to the repository root.
    let run = tollgate(&d.path().join(".github"), &["parse", "workflows/ci.yml"]);
    run.expect_code(0);
    assert_eq!(run.json()[0]["input"]["on"], "push");
}

#[test]
fn parse_errors_exit_2_for_missing_file() {
    let d = tempdir();
    let run = tollgate(d.path(), &["parse", "missing.yaml"]);
    run.expect_code(2);
    assert!(run.stderr.contains("missing.yaml"), "{}", run.stderr);
}

#[test]
fn policies_list_json_has_unique_ids() {
    let d = tempdir();
    let run = tollgate(d.path(), &["policies", "list", "-o", "json"]);
    run.expect_code(0);
    let list = run.json();
    let items = list.as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "{list:#}");
    let ids: Vec<&str> = items.iter().map(|p| p["id"].as_str().unwrap_or("")).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids: {ids:?}");
    assert!(ids.iter().all(|id| !id.is_empty()));
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "listed by id");
    for p in &items {
        assert!(
            p["severity"].as_str().is_some_and(|s| ["critical", "high", "medium", "low", "info"].contains(&s)),
            "{p:#}"
        );
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p:#}");
    }
    // The text listing names the same ids.
    let text = tollgate(d.path(), &["policies", "list"]);
    text.expect_code(0);
    let text_ids: Vec<&str> = text.stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(text_ids, ids);
    tollgate(d.path(), &["policies", "list", "-o", "yaml"]).expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// 7. Human output

#[test]
fn human_output_shows_the_line_rule_message_and_summary() {
    let d = pod_with(&["conventions"]);
    let run = tollgate(d.path(), &["check", "-p", "policies/conventions", "--color", "never"]);
    run.expect_code(1);
    let out = &run.stdout;
    assert!(!out.contains('\u{1b}'), "ANSI escape with --color never:\n{out}");
    // The privileged finding: rule id with its risk, message, position and the source line.
    let block =
        out.split("\n\n").skip_while(|b| !b.contains("acme/privileged")).take(2).collect::<Vec<_>>().join("\n\n");
    assert!(block.contains("acme/privileged (high)"), "{out}");
    assert!(block.contains("container app is privileged"), "{out}");
    assert!(block.contains("pod.yaml:11:9"), "{out}");
    assert!(block.lines().any(|l| l.starts_with(" 11 │") && l.ends_with("privileged: true")), "{block}");
    for (rule, msg) in [
        ("main.deny_root", "container app runs as root"),
        ("main.warn_digest (low)", "image nginx:1.27 is not pinned by digest"),
    ] {
        assert!(out.contains(rule) && out.contains(msg), "{rule} / {msg} missing:\n{out}");
    }
    let last = out.lines().last().unwrap_or("");
    assert_eq!(last, "✖ 4 errors, 2 warnings, 0 notes in 1 file (1 document): the gate blocks this change");

    // Colour when asked for; not when stdout is not a terminal (auto).
    let colored = tollgate(d.path(), &["check", "-p", "policies/conventions", "--color", "always"]);
    assert!(colored.stdout.contains("\u{1b}["), "no ANSI escape with --color always");
    let auto = tollgate(d.path(), &["check", "-p", "policies/conventions"]);
    assert!(!auto.stdout.contains('\u{1b}'));
}

#[test]
fn human_summary_counts_notes_and_suppressed_and_json_to_a_file() {
    let d = pod_with(&["exception"]);
    write(
        d.path(),
        "chart/templates/cm.yaml",
        "kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n{{ if .Values.x }}\n",
    );
    std::fs::create_dir_all(d.path().join("out")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let run = tollgate(
        d.path(),
        &["check", "-p", "policies/exception", "--color", "never", "-o", "human", "-o", "json=out/report.json"],
    );
    run.expect_code(1);
    let last = run.stdout.lines().last().unwrap_or("");
    assert_eq!(
        last,
        "✖ 1 error, 0 warnings, 1 note, 1 suppressed in 2 files (1 document): the gate blocks this change"
    );
    assert!(run.stdout.contains("parse/helm-template"), "{}", run.stdout);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("out/report.json")).unwrap_or_default())
            .unwrap_or(Value::Null);
    assert_eq!(summary(&report), [2, 1, 1, 0, 1, 1, 2]);

    let clean = tempdir();
    copy_fixture("manifests/configmap.yaml", clean.path(), "cm.yaml");
    copy_fixture("policies/conventions", clean.path(), "policies/conventions");
    let run = tollgate(clean.path(), &["check", "-p", "policies/conventions", "--color", "never"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "✔ 0 errors, 0 warnings, 0 notes in 1 file (1 document)\n");
}

#[test]
fn human_output_escapes_control_characters_from_file_names_and_messages() {
    // A file name and a value that carry a newline and a GitHub workflow command: in a CI log
    // GitHub runs `::command::` found at the start of any line, so neither may start a line.
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("p")).unwrap();
    std::fs::write(
        d.path().join("p/policy.rego"),
        "package main\nimport rego.v1\ndeny contains {\"msg\": sprintf(\"bad name %s\", [input.metadata.name]), \"path\": [\"metadata\", \"name\"]} if input.metadata.name\n",
    )
    .unwrap();
    let name = "evil\n::error file=x::injected.yaml";
    std::fs::write(
        d.path().join(name),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a\\n::warning::from-a-value\\u001b[31m\"\n",
    )
    .unwrap();
    let run = tollgate(d.path(), &["check", "-p", "p", "--color", "never", "--no-schemas"]);
    run.expect_code(1);
    let out = &run.stdout;
    assert!(out.contains("bad name a\\n::warning::from-a-value"), "{out}");
    // File names are escaped where they are read (`\xNN` per byte, see the README).
    assert!(out.contains("evil\\x0a::error file=x::injected.yaml"), "{out}");
    assert!(!out.contains('\u{1b}'), "{out}");
    for line in out.lines() {
        assert!(!line.trim_start().starts_with("::"), "a line starts a workflow command: {line:?}\n{out}");
    }
}

/// A file named on the command line whose name gives no type tollgate reads (a TypeScript file, a
/// `Jenkinsfile`) is an error naming it, in every mode: read as YAML it passed as one string, and
/// from a commit it was left out (0 files, a pass). An `--include` glob that names it reads it as
/// YAML. (A Dockerfile is read as one: `tests/it/formats.rs`.)
#[test]
fn a_named_file_of_another_type_is_an_error() {
    let r = repo();
    write(r.path(), "Jenkinsfile", "pipeline { agent any }\n");
    write(r.path(), "infra/app.ts", "{ bucket: \"x\" }\n");
    write(r.path(), "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n");
    commit_all(r.path(), "base");
    write(r.path(), "infra/app.ts", "{ bucket: \"y\" }\n");
    commit_all(r.path(), "change");
    let message = |p: &str| format!("error: {p}: not a file type tollgate reads by its name (YAML, JSON, Dockerfile");
    for (args, shown) in [
        (&["check", "Jenkinsfile"][..], "Jenkinsfile"),
        (&["check", "--rev", "HEAD", "infra/app.ts"], "infra/app.ts"),
        (&["check", "--staged", "Jenkinsfile"], "Jenkinsfile"),
        (&["check", "--base", "HEAD~1", "infra/app.ts"], "infra/app.ts"),
    ] {
        let run = tollgate(r.path(), args);
        run.expect_code(2);
        assert!(run.stderr.contains(&message(shown)), "{args:?}: {}", run.stderr);
    }
    // A directory is walked as before: its files of other types are not manifests, not errors.
    tollgate(r.path(), &["check", "--rev", "HEAD", "infra"]).expect_code(0);
    let forced = tollgate(r.path(), &["check", "--include", "Jenkinsfile", "-o", "json", "Jenkinsfile"]);
    forced.expect_code(0);
    assert_eq!(forced.json()["summary"]["files"], 1);
}
