//! Waiver expiry dates are calendar dates: `2099-02-30` (February has no 30th) and `2100-02-29`
//! (2100 is not a leap year) look like dates and used to be accepted, waiving a finding for ever
//! (or until whatever string compares after them). In `.tollgate.yaml` they are a config error
//! naming the line (exit 2); in an annotation they are a `gate/invalid-waiver` error and the
//! finding stays unsuppressed. Real leap days keep working.

use crate::common;

use std::path::Path;

const POLICY: &str = r#"package main

deny contains {"msg": sprintf("%s is privileged", [input.metadata.name]), "id": "k8s/privileged-container", "path": ["spec", "containers", 0, "securityContext", "privileged"]} if {
	input.spec.containers[0].securityContext.privileged == true
}
"#;

fn pod(name: &str, waiver: Option<&str>) -> String {
    let ann = waiver.map(|w| format!("  annotations:\n    tollgate.dev/waive: \"{w}\"\n")).unwrap_or_default();
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n{ann}spec:\n  containers:\n    - name: c\n      image: x:1\n      securityContext:\n        privileged: true\n")
}

fn repo(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = common::repo();
    common::write(dir.path(), "policy/p.rego", POLICY);
    for (name, text) in files {
        common::write(dir.path(), name, text);
    }
    common::commit_all(dir.path(), "waivers");
    dir
}

fn check(root: &Path) -> common::Run {
    let args = ["check", "-p", "policy", "--no-schemas", "-o", "json", "."];
    common::tollgate_env(root, &args, None, &[("TOLLGATE_TODAY", "2027-06-01")])
}

fn config(expires: &str) -> String {
    format!("waivers:\n  - rule: k8s/privileged-container\n    reason: CNI agent\n    expires: {expires}\n")
}

#[test]
fn config_waivers_with_impossible_dates_are_config_errors() {
    for bad in ["2099-02-30", "2100-02-29", "2027-04-31", "2027-06-31", "2099-13-01"] {
        let dir = repo(&[(".tollgate.yaml", config(bad)), ("pod.yaml", pod("web", None))]);
        let r = check(dir.path());
        assert_eq!(r.code, Some(2), "{bad}: exit 2\n--- stdout\n{}\n--- stderr\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(".tollgate.yaml:4:") && r.stderr.contains(bad), "{bad}: {}", r.stderr);
    }
}

#[test]
fn config_waivers_on_real_leap_days_apply() {
    for good in ["2096-02-29", "2400-02-29"] {
        let dir = repo(&[(".tollgate.yaml", config(good)), ("pod.yaml", pod("web", None))]);
        let r = check(dir.path());
        r.expect_code(0);
        let f = common::finding(&r.json(), "k8s/privileged-container", "web is privileged").clone();
        assert_eq!(f["suppressed"]["expires"], good);
    }
}

#[test]
fn annotation_waivers_with_impossible_dates_do_not_suppress() {
    let dir = repo(&[
        ("a.yaml", pod("a", Some("k8s/privileged-container=CNI agent; expires=2099-02-30"))),
        ("b.yaml", pod("b", Some("k8s/privileged-container=CNI agent; expires=2100-02-29"))),
        ("c.yaml", pod("c", Some("k8s/privileged-container=CNI agent; expires=2096-02-29"))),
    ]);
    let r = check(dir.path());
    r.expect_code(1);
    let report = r.json();
    for (file, name, date) in [("a.yaml", "a", "2099-02-30"), ("b.yaml", "b", "2100-02-29")] {
        let f = common::finding(&report, "k8s/privileged-container", &format!("{name} is privileged"));
        assert!(f["suppressed"].is_null(), "{file}: an impossible date suppresses nothing: {f}");
        let invalid: Vec<&serde_json::Value> = common::findings(&report)
            .iter()
            .filter(|g| g["rule"] == "gate/invalid-waiver" && g["file"] == file)
            .collect();
        assert_eq!(invalid.len(), 1, "{file}: {report}");
        assert_eq!(invalid[0]["severity"], "error");
        assert_eq!(invalid[0]["line"], 6, "at the annotation");
        let msg = invalid[0]["message"].as_str().unwrap_or("");
        assert!(msg.contains(&format!("`{date}` is not a calendar date")), "{msg}");
    }
    // A real leap day still waives.
    let c = common::finding(&report, "k8s/privileged-container", "c is privileged");
    assert_eq!(c["suppressed"]["expires"], "2096-02-29");
}
