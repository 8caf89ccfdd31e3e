//! Waivers as governed code: inline annotations and `.tollgate.yaml` entries suppress findings
//! (which stay in the report), expire, and are reported when unused or malformed.

use std::path::Path;
use std::process::{Command, Output};

const POLICY: &str = r#"package main
import rego.v1
deny contains {"msg": sprintf("%s is privileged", [input.metadata.name]), "id": "k8s/privileged-container", "path": ["spec", "containers", 0, "securityContext", "privileged"]} if {
	input.spec.containers[0].securityContext.privileged == true
}
"#;

fn pod(name: &str, annotation: Option<&str>) -> String {
    let ann = annotation.map(|a| format!("  annotations:\n    tollgate.dev/waive: \"{a}\"\n")).unwrap_or_default();
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: apps\n{ann}spec:\n  containers:\n    - name: c\n      image: x:1\n      securityContext:\n        privileged: true\n")
}

fn run(dir: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec!["check", ".", "-p", "policy", "-o", "json"];
    args.extend_from_slice(extra);
    let o: Output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(&args)
        .current_dir(dir)
        .env("TOLLGATE_TODAY", "2026-06-01")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("run tollgate");
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.code(), v, stderr)
}

fn setup(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policy")).unwrap();
    std::fs::write(dir.path().join("policy/p.rego"), POLICY).unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn find<'a>(v: &'a serde_json::Value, rule: &str, file: &str) -> Vec<&'a serde_json::Value> {
    v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule && f["file"] == file).collect()
}

#[test]
fn inline_waiver_suppresses_and_expires() {
    let dir = setup(&[
        ("ok.yaml", pod("waived", Some("k8s/privileged-container=CNI needs host access; expires=2026-12-31"))),
        ("old.yaml", pod("expired", Some("k8s/privileged-container=temporary; expires=2026-01-31"))),
        ("unused.yaml", pod("unused", Some("k8s/host-path-volume=not here; expires=2026-12-31"))),
        ("bad.yaml", pod("bad", Some("k8s/privileged-container=no expiry"))),
    ]);
    let (code, v, err) = run(dir.path(), &[]);
    assert_eq!(code, Some(1), "{err}");
    // Suppressed, still reported, not blocking.
    let ok = find(&v, "k8s/privileged-container", "ok.yaml");
    assert_eq!(ok.len(), 1);
    assert_eq!(
        ok[0]["suppressed"],
        serde_json::json!({"kind": "waiver", "reason": "CNI needs host access", "expires": "2026-12-31"})
    );
    // Expired: the finding blocks again, and the waiver itself is reported at the annotation.
    let old = find(&v, "k8s/privileged-container", "old.yaml");
    assert_eq!(old[0]["suppressed"], serde_json::Value::Null);
    let exp = find(&v, "gate/expired-waiver", "old.yaml");
    assert_eq!(exp.len(), 1);
    assert_eq!(exp[0]["line"], 7, "{}", exp[0]);
    assert_eq!(exp[0]["severity"], "warning");
    // Unused and malformed waivers are reported.
    assert_eq!(find(&v, "gate/unused-waiver", "unused.yaml").len(), 1);
    let bad = find(&v, "gate/invalid-waiver", "bad.yaml");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["severity"], "error");
    assert_eq!(v["summary"]["suppressed"], 1);

    // Only the waived file: nothing blocks.
    let (code, v, _) = run(dir.path(), &["--include", "ok.yaml"]);
    assert_eq!(code, Some(0), "{v}");
}

#[test]
fn config_waivers_are_governed() {
    let cfg = "waivers:\n  - rule: k8s/privileged-container\n    resources: [\"Pod/apps/cni-*\"]\n    reason: CNI agents need host access\n    owner: platform-team\n    expires: 2026-12-31\n  - rule: k8s/privileged-container\n    paths: [\"legacy/**\"]\n    reason: being migrated\n    expires: 2026-02-01\n  - rule: k8s/host-path-volume\n    reason: nothing matches\n    expires: 2026-12-31\n";
    let dir = setup(&[
        (".tollgate.yaml", cfg.to_string()),
        ("cni.yaml", pod("cni-agent", None)),
        ("app.yaml", pod("web", None)),
        ("legacy/old.yaml", pod("old", None)),
    ]);
    let (code, v, err) = run(dir.path(), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(find(&v, "k8s/privileged-container", "cni.yaml")[0]["suppressed"]["kind"], "waiver");
    assert_eq!(find(&v, "k8s/privileged-container", "app.yaml")[0]["suppressed"], serde_json::Value::Null);
    assert_eq!(find(&v, "k8s/privileged-container", "legacy/old.yaml")[0]["suppressed"], serde_json::Value::Null);
    let exp = find(&v, "gate/expired-waiver", ".tollgate.yaml");
    assert_eq!(exp.len(), 1);
    assert_eq!(exp[0]["line"], 7);
    let unused = find(&v, "gate/unused-waiver", ".tollgate.yaml");
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["line"], 11);

    // A waiver without a reason is a config error with its location.
    std::fs::write(dir.path().join(".tollgate.yaml"), "waivers:\n  - rule: k8s/x\n    expires: 2026-12-31\n").unwrap();
    let (code, _, err) = run(dir.path(), &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains(".tollgate.yaml:2:") && err.contains("reason"), "{err}");
    std::fs::write(
        dir.path().join(".tollgate.yaml"),
        "waivers:\n  - rule: k8s/x\n    reason: r\n    expires: someday\n",
    )
    .unwrap();
    let (code, _, err) = run(dir.path(), &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains(".tollgate.yaml:4:") && err.contains("not a date"), "{err}");
}

/// A git repository with `files` committed on `main`, then a `pr` branch checked out.
fn git_setup(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = setup(files);
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("run git");
        assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    git(&["checkout", "-q", "-b", "pr"]);
    dir
}

fn commit(dir: &Path, file: &str, text: String) {
    std::fs::write(dir.join(file), text).unwrap();
    for args in [&["add", "-A"][..], &["commit", "-q", "-m", "change"][..]] {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("run git");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn a_waiver_the_pull_request_adds_is_flagged() {
    let waived = |name: &str, reason: &str, expires: &str| {
        pod(name, Some(&format!("k8s/privileged-container={reason}; expires={expires}")))
    };
    let dir = git_setup(&[
        ("old.yaml", waived("old", "approved in review", "2026-12-31")),
        ("renew.yaml", waived("renew", "approved", "2026-07-01")),
        ("clean.yaml", pod("clean", None).replace("privileged: true", "privileged: false")),
    ]);
    // The change adds a violation waived by itself, renews an existing waiver, and touches the
    // already-waived file without changing its waiver.
    commit(dir.path(), "clean.yaml", waived("clean", "trust me", "2026-12-31"));
    commit(dir.path(), "renew.yaml", waived("renew", "approved", "2027-07-01"));
    commit(
        dir.path(),
        "old.yaml",
        waived("old", "approved in review", "2026-12-31").replace("image: x:1", "image: x:2"),
    );

    let (code, v, err) = run(dir.path(), &["--base", "main", "--no-schemas"]);
    let added = v["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["rule"] == "gate/new-waiver").collect::<Vec<_>>())
        .unwrap_or_else(|| panic!("{code:?} {err}"));
    let files: Vec<&str> = added.iter().filter_map(|f| f["file"].as_str()).collect();
    assert_eq!(files, ["clean.yaml", "renew.yaml"], "{v}");
    assert!(added.iter().all(|f| f["severity"] == "warning" && f["new"] == true), "{v}");
    // Placed on the waived field, naming the rule and the reason.
    assert_eq!(added[0]["line"], 13, "{}", added[0]);
    assert!(added[0]["message"].as_str().unwrap().contains("k8s/privileged-container"), "{}", added[0]);
    assert!(added[0]["message"].as_str().unwrap().contains("trust me"), "{}", added[0]);
    // A warning: the waived findings do not block by default.
    assert_eq!(code, Some(0), "{err}\n{v}");

    // --forbid-new-waivers makes them errors that block.
    let (code, v, err) = run(dir.path(), &["--base", "main", "--no-schemas", "--forbid-new-waivers"]);
    assert_eq!(code, Some(1), "{err}");
    let errors =
        v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "gate/new-waiver" && f["severity"] == "error");
    assert_eq!(errors.count(), 2, "{v}");

    // Outside PR mode the flag is a usage error.
    let (code, _, err) = run(dir.path(), &["--forbid-new-waivers"]);
    assert_eq!(code, Some(2), "{err}");
}

/// SARIF tells code scanning where a suppression is written: an annotation waiver in the manifest
/// itself (`inSource`), a `.tollgate.yaml` waiver elsewhere (`external`). The JSON report calls
/// both `waiver`.
#[test]
fn sarif_reports_inline_waivers_in_source_and_config_waivers_external() {
    let cfg = "waivers:\n  - rule: k8s/privileged-container\n    paths: [\"cfg.yaml\"]\n    reason: waived in config\n    expires: 2026-12-31\n";
    let dir = setup(&[
        (".tollgate.yaml", cfg.to_string()),
        ("inline.yaml", pod("inline", Some("k8s/privileged-container=waived inline; expires=2026-12-31"))),
        ("cfg.yaml", pod("cfg", None)),
    ]);
    let (code, v, err) = run(dir.path(), &["-o", "sarif=out.sarif"]);
    assert_eq!(code, Some(0), "{err}\n{v}");
    for file in ["inline.yaml", "cfg.yaml"] {
        assert_eq!(find(&v, "k8s/privileged-container", file)[0]["suppressed"]["kind"], "waiver", "{v}");
    }
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap()).unwrap();
    let kind_of = |file: &str| -> (String, String) {
        let r = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == file)
            .unwrap_or_else(|| panic!("no result for {file}: {sarif}"));
        let s = &r["suppressions"][0];
        (s["kind"].as_str().unwrap_or("").to_string(), s["justification"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(
        kind_of("inline.yaml"),
        ("inSource".to_string(), "waiver: waived inline (expires 2026-12-31)".to_string())
    );
    assert_eq!(
        kind_of("cfg.yaml"),
        ("external".to_string(), "waiver: waived in config (expires 2026-12-31)".to_string())
    );
}

/// A waiver annotation is on a Kubernetes object: a document of another format (TOML here) that
/// spells `metadata.annotations."tollgate.dev/waive"` is no resource, so it waives nothing (its
/// finding blocks, no waiver finding is made of it); a `.tollgate.yaml` waiver by path covers it.
#[test]
fn a_waiver_annotation_in_a_file_of_another_format_waives_nothing() {
    let toml = "[metadata]\nname = \"t\"\n[metadata.annotations]\n\"tollgate.dev/waive\" = \"k8s/privileged-container=says the file; expires=2026-12-31\"\n[[spec.containers]]\nname = \"c\"\n[spec.containers.securityContext]\nprivileged = true\n";
    let dir = setup(&[("app/pod.toml", toml.to_string())]);
    let (code, v, err) = run(dir.path(), &["--include", "**/*.toml"]);
    assert_eq!(code, Some(1), "{err}");
    let found = find(&v, "k8s/privileged-container", "app/pod.toml");
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["suppressed"], serde_json::Value::Null, "{v}");
    assert_eq!(v["summary"]["suppressed"], 0);
    let gate: Vec<_> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["rule"].as_str().unwrap().starts_with("gate/")).collect();
    assert!(gate.is_empty(), "{gate:?}");

    let cfg = "formats: [yaml, json, toml]\nwaivers:\n  - rule: k8s/privileged-container\n    paths: [\"app/*.toml\"]\n    reason: reviewed\n    expires: 2026-12-31\n";
    std::fs::write(dir.path().join(".tollgate.yaml"), cfg).unwrap();
    let (code, v, err) = run(dir.path(), &[]);
    assert_eq!(code, Some(0), "{err} {v}");
    assert_eq!(find(&v, "k8s/privileged-container", "app/pod.toml")[0]["suppressed"]["reason"], "reviewed");
}
