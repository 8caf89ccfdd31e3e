//! Corpus run: every real public manifest in the team's shared corpus (`../shared/corpus/real`)
//! loads without a parse error and the built-in library evaluates it without a runtime error.
//! On a machine without the corpus (a user's clone) the test says it skipped.

use crate::common;

use std::path::Path;
use std::process::Command;

#[test]
fn real_manifests_load_and_evaluate() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if !corpus.is_dir() {
        common::skipped("corpus::real_manifests_load_and_evaluate", &format!("{} not found", corpus.display()));
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", ".", "-o", "json", "--fail-on", "never"])
        .current_dir(&corpus)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("run tollgate");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = report["findings"].as_array().expect("findings");
    let documents = report["summary"]["documents"].as_u64().unwrap_or(0);
    assert!(documents > 1000, "the corpus should yield thousands of documents, got {documents}");
    // kubectl reads every file of the corpus, so neither may we fail to: only duplicate keys
    // (which recent kubectl rejects too) are allowed as parse errors.
    let bad: Vec<String> = findings
        .iter()
        .filter(|f| {
            let rule = f["rule"].as_str().unwrap_or("");
            (rule.starts_with("parse/") && rule != "parse/duplicate-key") || rule == "policy/runtime-error"
        })
        .map(|f| format!("{}:{} {} {}", f["file"], f["line"], f["rule"], f["message"]))
        .collect();
    assert!(bad.is_empty(), "unexpected parse or runtime errors on real manifests:\n{}", bad.join("\n"));
}
