//! Waivers across a run: `TOLLGATE_TODAY` must be a calendar date (a replay with a typo used to
//! run silently on the clock's date), and with `--combine` each document's waiver annotation
//! applies to its own findings, as without `--combine` (a waiver on one file's resource used to
//! suppress the same resource's finding in another file).

use crate::common;

use common::{commit_all, findings, repo, tollgate_env, write};

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";

/// `TOLLGATE_TODAY` that is not a date is exit 2 naming it (escaped), in every mode, before any
/// work; a date is used.
#[test]
fn tollgate_today_must_be_a_date() {
    let dir = repo();
    let root = dir.path();
    write(root, "cm.yaml", CONFIGMAP);
    commit_all(root, "base");
    for bad in ["2027-02-30", "2100-02-29", "tomorrow", "2027-01-01\u{1b}[31m", ""] {
        for mode in [&["check"][..], &["check", "--rev", "HEAD"], &["check", "--staged"], &["check", "--base", "HEAD"]]
        {
            let run = tollgate_env(root, mode, None, &[("TOLLGATE_TODAY", bad)]);
            run.expect_code(2);
            let shown = bad.replace('\u{1b}', "\\u{1b}");
            assert!(
                run.stderr.contains(&format!("TOLLGATE_TODAY=`{shown}` is not a calendar date (YYYY-MM-DD)")),
                "{bad:?} {mode:?}: {}",
                run.stderr
            );
            assert!(!run.stderr.contains('\u{1b}'));
            assert!(run.stdout.is_empty(), "no report: {}", run.stdout);
        }
    }
    tollgate_env(root, &["check"], None, &[("TOLLGATE_TODAY", "2028-02-29")]).expect_code(0);
}

const COMBINED: &str = r#"package main
import rego.v1

deny contains {"msg": sprintf("%s needs a team label", [d.contents.metadata.name]), "path": [i, "contents", "metadata", "name"]} if {
	some i, d in input
	not d.contents.metadata.labels.team
}
"#;

fn deployment(waiver: Option<&str>) -> String {
    let annotations = waiver.map(|w| format!("  annotations:\n    tollgate.dev/waive: \"{w}\"\n")).unwrap_or_default();
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n{annotations}spec: {{}}\n"
    )
}

/// (file, rule, suppressed) of every finding of a `--combine` run, sorted.
fn combined(root: &std::path::Path) -> Vec<(String, String, bool)> {
    let args = ["check", "--combine", "-p", "policy", "--builtin", "none", "--no-schemas", "-o", "json"];
    let run = tollgate_env(root, &args, None, &[("TOLLGATE_TODAY", "2027-06-01")]);
    let report = run.json();
    let mut v: Vec<(String, String, bool)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("-").to_string(),
                f["rule"].as_str().unwrap_or("-").to_string(),
                !f["suppressed"].is_null(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn combine_applies_each_waiver_to_its_own_document() {
    let dir = repo();
    let root = dir.path();
    write(root, "policy/p.rego", COMBINED);
    // The same resource in two files: the waiver is on a.yaml's only.
    write(root, "a.yaml", deployment(Some("main.deny=reviewed; expires=2099-01-01")));
    write(root, "b.yaml", deployment(None));
    // Expired, and a waiver for a rule that reports nothing here.
    write(root, "c.yaml", deployment(Some("main.deny=old; expires=2020-01-01")).replace("name: web", "name: old"));
    write(root, "d.yaml", deployment(Some("k8s/other=nothing; expires=2099-01-01")).replace("name: web", "name: d"));
    let s = |f: &str, r: &str, sup: bool| (f.to_string(), r.to_string(), sup);
    assert_eq!(
        combined(root),
        [
            s("a.yaml", "main.deny", true),
            s("b.yaml", "main.deny", false),
            s("c.yaml", "gate/expired-waiver", false),
            s("c.yaml", "main.deny", false),
            s("d.yaml", "gate/unused-waiver", false),
            s("d.yaml", "main.deny", false),
        ]
    );
}
