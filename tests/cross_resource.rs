//! Cross-resource checks end to end (the real binary on real git repositories): the checks that
//! declare `custom.scope: inventory` see every manifest of the commit through
//! `data.tollgate.inventory`, report on the workload's own field, make PR mode evaluate both sides
//! whole (deleting a NetworkPolicy makes the untouched Deployment's finding new), and the default
//! profile never builds the inventory.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const CROSS: [&str; 3] = ["k8s/missing-network-policy", "k8s/missing-pdb", "k8s/service-account-token-automount"];

/// A Deployment in `shop` (line 7: `replicas`, line 13: the pod template's `labels`, line 15: the
/// pod `spec`).
const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: nginx:1.27
";

const NETPOL: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
";

const PDB: &str = "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchExpressions:
      - {key: app, operator: In, values: [web]}
";

const SA: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
automountServiceAccountToken: false
";

/// A repository whose `main` holds the Deployment and, in other files, what covers it.
fn covered_repo() -> tempfile::TempDir {
    let r = repo();
    write(r.path(), "apps/shop/deploy.yaml", DEPLOY);
    write(r.path(), "apps/shop/netpol.yaml", NETPOL);
    write(r.path(), "policies/pdb.yaml", PDB);
    write(r.path(), "accounts/web.yaml", SA);
    commit_all(r.path(), "base");
    r
}

/// (rule, file, line, pointer) of the cross-resource findings.
fn cross(report: &Value) -> Vec<(String, String, u64, String)> {
    findings(report)
        .iter()
        .filter(|f| CROSS.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["file"].as_str().unwrap_or("-").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["pointer"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

fn c(rule: &str, file: &str, line: u64, pointer: &str) -> (String, String, u64, String) {
    (rule.to_string(), file.to_string(), line, pointer.to_string())
}

#[track_caller]
fn check(dir: &Path, args: &[&str]) -> Run {
    tollgate(dir, &[&["check", "-o", "json", "--no-schemas"][..], args].concat())
}

#[test]
fn checks_see_the_other_files_of_the_commit() {
    let r = covered_repo();
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "extended", "--fail-on", "never"]);
    run.expect_code(0);
    assert_eq!(cross(&run.json()), vec![], "everything is covered by other files");

    // Without the other files, each check reports on the Deployment's own field.
    git(r.path(), &["rm", "-q", "apps/shop/netpol.yaml", "policies/pdb.yaml", "accounts/web.yaml"]);
    commit_all(r.path(), "only the deployment");
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "extended", "--fail-on", "never"]);
    let report = run.expect_code(0).json();
    assert_eq!(
        cross(&report),
        vec![
            c("k8s/missing-pdb", "apps/shop/deploy.yaml", 7, "/spec/replicas"),
            c("k8s/missing-network-policy", "apps/shop/deploy.yaml", 13, "/spec/template/metadata/labels"),
            c("k8s/service-account-token-automount", "apps/shop/deploy.yaml", 15, "/spec/template/spec"),
        ]
    );
    finding(
        &report,
        "k8s/missing-network-policy",
        "Deployment/web: no NetworkPolicy in namespace 'shop' selects its pods",
    );
    finding(
        &report,
        "k8s/service-account-token-automount",
        "Deployment/web: pods get an API token: automountServiceAccountToken is unset and ServiceAccount 'web' is not among the manifests of the commit to set it to false",
    );
}

#[test]
fn selectors_and_namespaces_decide_coverage() {
    let r = covered_repo();
    // A NetworkPolicy for other pods, a PodDisruptionBudget in another namespace, and a
    // ServiceAccount that keeps the token: each leaves the Deployment uncovered.
    write(r.path(), "apps/shop/netpol.yaml", NETPOL.replace("app: web", "app: api"));
    write(r.path(), "policies/pdb.yaml", PDB.replace("namespace: shop", "namespace: other"));
    write(r.path(), "accounts/web.yaml", SA.replace("false", "true"));
    commit_all(r.path(), "uncovered");
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "all", "--fail-on", "never"]);
    let rules: Vec<String> = cross(&run.expect_code(0).json()).into_iter().map(|x| x.0).collect();
    // (in line order: replicas, the pod template's labels, the pod spec)
    assert_eq!(rules, ["k8s/missing-pdb", "k8s/missing-network-policy", "k8s/service-account-token-automount"]);
    // An unset namespace counts as `default` on both sides.
    let r = repo();
    write(r.path(), "a/deploy.yaml", DEPLOY.replace("  namespace: shop\n", ""));
    write(
        r.path(),
        "b/netpol.yaml",
        "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny}\nspec: {podSelector: {}}\n",
    );
    commit_all(r.path(), "default namespace");
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "extended", "--fail-on", "never"]);
    let rules: Vec<String> = cross(&run.expect_code(0).json()).into_iter().map(|x| x.0).collect();
    assert_eq!(rules, ["k8s/missing-pdb", "k8s/service-account-token-automount"]);
}

#[test]
fn pr_deleting_the_network_policy_makes_the_untouched_deployment_blocked() {
    let r = covered_repo();
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    // Other extended findings on the Deployment exist on both sides: they are not new.
    let run = check(r.path(), &["--base", "main", "--builtin", "extended"]);
    assert_eq!(findings(&run.expect_code(0).json()).len(), 0);

    git(r.path(), &["rm", "-q", "apps/shop/netpol.yaml"]);
    commit_all(r.path(), "drop the network policy");
    let run = check(r.path(), &["--base", "main", "--builtin", "extended"]);
    let report = run.expect_code(1).json();
    assert_eq!(
        cross(&report),
        vec![c("k8s/missing-network-policy", "apps/shop/deploy.yaml", 13, "/spec/template/metadata/labels")]
    );
    assert_eq!(findings(&report).len(), 1, "only the new finding is reported: {report:#}");
    assert_eq!(findings(&report)[0]["new"], Value::Bool(true));
    assert_eq!(report["summary"]["new"], 1);

    // A change elsewhere leaves it as it was (existing, not blocking) once merged.
    git(r.path(), &["checkout", "-q", "main"]);
    git(r.path(), &["merge", "-q", "--ff-only", "pr"]);
    git(r.path(), &["checkout", "-q", "-b", "pr2"]);
    write(
        r.path(),
        "apps/shop/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\ndata: {a: b}\n",
    );
    commit_all(r.path(), "unrelated");
    let run = check(r.path(), &["--base", "main", "--builtin", "extended", "--show-existing"]);
    let report = run.expect_code(0).json();
    let nets: Vec<&Value> = findings(&report).iter().filter(|f| f["rule"] == "k8s/missing-network-policy").collect();
    assert_eq!(nets.len(), 1, "{report:#}");
    assert_eq!(nets[0]["new"], Value::Bool(false));
}

#[test]
fn the_inventory_is_built_only_when_a_selected_check_needs_it() {
    let r = covered_repo();
    let timed =
        |args: &[&str]| check(r.path(), &[&["--rev", "HEAD", "--timings", "--fail-on", "never"][..], args].concat());
    let run = timed(&[]);
    run.expect_code(0);
    assert!(run.stderr.contains("timing: parse+eval"), "{}", run.stderr);
    assert!(!run.stderr.contains("timing: inventory"), "the default profile built the inventory:\n{}", run.stderr);
    let run = timed(&["--builtin", "restricted"]);
    assert!(!run.stderr.contains("timing: inventory"), "{}", run.stderr);
    let run = timed(&["--builtin", "extended"]);
    assert!(
        run.stderr.contains("timing: inventory") && run.stderr.contains("4 documents in 1 namespaces"),
        "{}",
        run.stderr
    );
}

/// A user policy that declares `custom.scope: inventory`: every Deployment needs a ConfigMap
/// named after it in its namespace.
const USER_POLICY: &str = r#"# METADATA
# custom:
#   scope: inventory
package main

import rego.v1

deny contains result if {
	input.kind == "Deployment"
	ns := object.get(input.metadata, "namespace", "default")
	wanted := sprintf("%s-config", [input.metadata.name])
	not wanted in {c.name | some c in data.tollgate.inventory.namespaces[ns].ConfigMap}
	result := {"msg": sprintf("no ConfigMap %s", [wanted]), "path": ["metadata", "name"]}
}
"#;

#[test]
fn user_policies_can_read_the_inventory() {
    let r = covered_repo();
    write(r.path(), "policy/main.rego", USER_POLICY);
    commit_all(r.path(), "policy");
    let run = check(r.path(), &["--rev", "HEAD", "-p", "policy"]);
    let report = run.expect_code(1).json();
    assert_eq!(messages(&report), ["no ConfigMap web-config"]);
    assert_eq!(rule_file_line(&report), [("main.deny".to_string(), "apps/shop/deploy.yaml".to_string(), 4)]);
    write(
        r.path(),
        "apps/shop/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config, namespace: shop}\n",
    );
    commit_all(r.path(), "config");
    check(r.path(), &["--rev", "HEAD", "-p", "policy"]).expect_code(0);

    // --data cannot define the inventory.
    write(r.path(), "data.yaml", "tollgate:\n  inventory: [none]\n");
    let run = check(r.path(), &["--rev", "HEAD", "-p", "policy", "-d", "data.yaml"]);
    run.expect_code(2);
    assert!(run.stderr.contains("data.tollgate.inventory"), "{}", run.stderr);
}

#[test]
fn one_stdin_stream_is_one_run() {
    // `kustomize build | tollgate check -`: the rendered stream is the inventory.
    let dir = tempdir();
    let stream = format!("{DEPLOY}---\n{NETPOL}---\n{SA}");
    let run = tollgate_stdin(
        dir.path(),
        &["check", "-", "-o", "json", "--no-schemas", "--builtin", "extended", "--fail-on", "never"],
        Some(stream.as_bytes()),
    );
    assert_eq!(cross(&run.expect_code(0).json()), vec![c("k8s/missing-pdb", "-", 7, "/spec/replicas")]);
}
