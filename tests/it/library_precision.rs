//! The built-in library on what real GitOps repositories hold: what `flux bootstrap` and an
//! Argo CD Application-of-apps commit pass the default profile with no finding
//! (`fixtures/bootstrap/`); kustomize patches are not judged for what they leave to the object
//! they patch; a missing field is reported on its parent's key line, not the parent's block
//! (JSON and SARIF); a credential in an embedded file is reported at its line; a Secret once.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{commit_all, copy_tree, findings, repo, span, tollgate, write};

fn bootstrap(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bootstrap").join(name)
}

/// (rule, file, line) of the policy findings of a JSON report.
fn policy_findings(report: &Value) -> Vec<(String, String, u64)> {
    findings(report)
        .iter()
        .filter(|f| f["source"] == "policy")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["file"].as_str().unwrap_or("-").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// A repository holding `fixtures/bootstrap/<name>`, committed.
fn bootstrap_repo(name: &str) -> tempfile::TempDir {
    let r = repo();
    copy_tree(&bootstrap(name), r.path());
    commit_all(r.path(), name);
    r
}

fn default_profile(dir: &Path) -> Value {
    let run = tollgate(dir, &["check", "-o", "json"]);
    run.expect_code(0);
    run.json()
}

#[test]
fn flux_bootstrap_passes_the_default_profile() {
    let r = bootstrap_repo("flux");
    let report = default_profile(r.path());
    assert_eq!(policy_findings(&report), vec![], "{report:#}");
    // The bootstrap source on its branch was flux-mutable-ref's; the reconcilers without a
    // ServiceAccount flux-missing-service-account's (extended now): outside flux-system only, and
    // not the production overlay's patch of the podinfo release.
    let all = tollgate(r.path(), &["check", "-o", "json", "--builtin", "all", "--fail-on", "never"]).json();
    let flux: Vec<_> =
        policy_findings(&all).into_iter().filter(|(rule, _, _)| rule.starts_with("gitops/flux-")).collect();
    let sa = |file: &str, line| ("gitops/flux-missing-service-account".to_string(), file.to_string(), line);
    assert_eq!(
        flux,
        vec![sa("apps/base/podinfo/release.yaml", 6), sa("infrastructure/controllers/cert-manager.yaml", 22)],
        "{all:#}"
    );
}

#[test]
fn argocd_app_of_apps_passes_the_default_profile() {
    let r = bootstrap_repo("argocd");
    let report = default_profile(r.path());
    assert_eq!(policy_findings(&report), vec![], "{report:#}");
    // Without gitops_repositories the root and the guestbook track a branch of a repository the
    // checks cannot know as this one.
    std::fs::remove_file(r.path().join(".tollgate.yaml")).unwrap_or_else(|e| panic!("{e}"));
    commit_all(r.path(), "no params");
    let run = tollgate(r.path(), &["check", "-o", "json"]);
    run.expect_code(1);
    let mut got = policy_findings(&run.json());
    got.sort();
    let want = |file: &str, line| ("gitops/argocd-mutable-revision".to_string(), file.to_string(), line);
    assert_eq!(got, vec![want("apps/guestbook.yaml", 10), want("argocd/root.yaml", 12)]);
    // With no params, the checkout's own `remote.origin.url` (another spelling of the same URL)
    // is this repository: nothing to report again.
    crate::common::git(r.path(), &["remote", "add", "origin", "git@github.com:acme/fleet.git"]);
    let run = tollgate(r.path(), &["check", "-o", "json"]);
    run.expect_code(0);
    assert_eq!(policy_findings(&run.json()), vec![]);
}

const PATCHED: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: api
          resources:
            limits: {cpu: 500m}
          securityContext:
            privileged: true
";

#[test]
fn patches_are_judged_for_what_they_set_only() {
    let r = repo();
    write(r.path(), "overlays/prod/kustomization.yaml", "resources: [../../base]\npatches:\n  - path: api.yaml\n");
    write(r.path(), "overlays/prod/api.yaml", PATCHED);
    commit_all(r.path(), "patch");
    let run = tollgate(r.path(), &["check", "-o", "json", "--builtin", "all", "--fail-on", "never"]);
    let got = policy_findings(&run.json());
    // privileged: true is in the built object; the fields the patch leaves to the base are not
    // missing (no resource, probe, seccomp, label... finding).
    let rules: Vec<&str> = got.iter().map(|(rule, _, _)| rule.as_str()).collect();
    assert_eq!(rules, vec!["k8s/privileged-container"], "{got:?}");
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: nginx:1.27
      resources:
        limits: {cpu: 500m, memory: 128Mi}
";

#[test]
fn missing_field_regions_end_at_the_parents_key_line() {
    let r = repo();
    write(r.path(), "pod.yaml", POD);
    commit_all(r.path(), "pod");
    let report = tollgate(r.path(), &["check", "-o", "json", "--builtin", "restricted", "--fail-on", "never"]).json();
    let escalation: Vec<&Value> =
        findings(&report).iter().filter(|f| f["rule"] == "k8s/privilege-escalation-allowed").collect();
    assert_eq!(escalation.len(), 1, "{report:#}");
    // The container (a sequence item: its first line), not its 5-line block.
    assert_eq!(span(escalation[0]), (8, 7, 8, 16), "{report:#}");
    let sarif = tollgate(r.path(), &["check", "-o", "sarif", "--builtin", "restricted", "--fail-on", "never"]);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap_or_else(|e| panic!("{e}: {}", sarif.stdout));
    let results = log["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    let result = results.iter().find(|x| x["ruleId"] == "k8s/privilege-escalation-allowed");
    let region =
        &result.unwrap_or_else(|| panic!("no result in {log:#}"))["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["endLine"].as_u64()), (Some(8), Some(8)), "{region:#}");
}

const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: model
  namespace: ai
data:
  serve.py: |
    import os
    tokenizer = AutoTokenizer.from_pretrained(
        os.environ[\"MODEL\"],
        token=os.environ[\"HF_TOKEN\"],
    )
  application.properties: |
    app.name=demo
    spring.datasource.username=root
    spring.datasource.password=admin
    server.port=8080
";

#[test]
fn configmap_credentials_at_their_line_and_code_reading_the_environment_passes() {
    let r = repo();
    write(r.path(), "cm.yaml", CONFIGMAP);
    commit_all(r.path(), "cm");
    let report = tollgate(r.path(), &["check", "-o", "json", "--fail-on", "never"]).json();
    let cm: Vec<&Value> = findings(&report).iter().filter(|f| f["rule"] == "gitops/configmap-credential").collect();
    assert_eq!(cm.len(), 1, "{report:#}");
    assert_eq!(
        cm[0]["message"],
        "ConfigMap/model: data.application.properties sets spring.datasource.password, which names a credential, to a literal value"
    );
    assert_eq!(span(cm[0]), (16, 5, 16, 37), "{report:#}");
}

#[test]
fn a_secret_is_one_finding_and_a_ca_bundle_none() {
    let r = repo();
    write(
        r.path(),
        "secrets.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData:\n  username: app\n  password: hunter2\n  host: db.internal\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: ca, namespace: shop}\nstringData:\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIBszCCAVmgAwIBAgIUQ\n    -----END CERTIFICATE-----\n",
    );
    commit_all(r.path(), "secrets");
    let report = tollgate(r.path(), &["check", "-o", "json", "--fail-on", "never"]).json();
    let got = policy_findings(&report);
    assert_eq!(got, vec![("gitops/plaintext-secret".to_string(), "secrets.yaml".to_string(), 4)], "{report:#}");
}
