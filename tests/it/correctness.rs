//! The `correctness` profile end to end (the real binary on real git repositories): which
//! profiles select its checks, the references it follows across the files of a commit, where
//! its reference checks stay quiet because the commit cannot tell (a Helm chart's templates, an
//! operator's namespace, a ServiceAccount made outside the commit), and PR mode, where renaming
//! a workload makes the untouched Service's finding new.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use serde_json::Value;

const CORRECTNESS: [&str; 10] = [
    "k8s/dangling-hpa",
    "k8s/dangling-ingress",
    "k8s/dangling-network-policy",
    "k8s/dangling-service",
    "k8s/deprecated-service-account-field",
    "k8s/duplicate-env-var",
    "k8s/mismatching-selector",
    "k8s/nonexistent-service-account",
    "k8s/unexposed-probe-port",
    "k8s/unexposed-target-port",
];

fn deployment(name: &str, labels: &str, sa: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {labels}
    spec:
      serviceAccountName: {sa}
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - name: http
              containerPort: 8080
"
    )
}

fn service(name: &str, selects: &str, target: &str) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector:
    app: {selects}
  ports:
    - port: 80
      targetPort: {target}
"
    )
}

const SA: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
";

/// (rule, file, line) of the findings of the correctness checks, sorted.
fn correctness(report: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> =
        rule_file_line(report).into_iter().filter(|(rule, _, _)| CORRECTNESS.contains(&rule.as_str())).collect();
    out.sort();
    out
}

fn f(rule: &str, file: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), file.to_string(), line)
}

#[track_caller]
fn check(dir: &Path, args: &[&str]) -> Value {
    let run = tollgate(dir, &[&["check", "-o", "json", "--no-schemas", "--fail-on", "never"][..], args].concat());
    run.expect_code(0).json()
}

fn rules(report: &Value) -> BTreeSet<String> {
    rule_file_line(report).into_iter().map(|(rule, _, _)| rule).collect()
}

#[test]
fn the_profile_selects_only_its_checks_and_all_includes_them() {
    let r = repo();
    // The selector asks for web-api; the template is labelled web: the API server rejects it.
    write(r.path(), "apps/web/deploy.yaml", deployment("web-api", "web", "default"));
    commit_all(r.path(), "base");
    let mismatch = "k8s/mismatching-selector".to_string();
    let only = check(r.path(), &["--rev", "HEAD", "--builtin", "correctness"]);
    assert_eq!(rules(&only), BTreeSet::from([mismatch.clone()]), "{only:#}");
    assert!(rules(&check(r.path(), &["--rev", "HEAD", "--builtin", "all"])).contains(&mismatch));
    for profile in ["default", "extended", "restricted"] {
        let report = check(r.path(), &["--rev", "HEAD", "--builtin", profile]);
        assert!(!rules(&report).iter().any(|r| CORRECTNESS.contains(&r.as_str())), "--builtin {profile}: {report:#}");
    }
    // `builtin:` in .tollgate.yaml takes the same word.
    write(r.path(), ".tollgate.yaml", "builtin: correctness\n");
    commit_all(r.path(), "config");
    assert_eq!(rules(&check(r.path(), &["--rev", "HEAD"])), BTreeSet::from([mismatch]));
}

#[test]
fn references_are_followed_across_files_and_quiet_where_the_commit_cannot_tell() {
    let r = repo();
    write(r.path(), "apps/web/deploy.yaml", deployment("web", "web", "web"));
    write(r.path(), "apps/web/sa.yaml", SA);
    // One Service that selects web's pods (named port), one with a typo, one whose targetPort
    // names a port the pods do not have.
    write(r.path(), "apps/web/svc.yaml", service("web", "web", "http"));
    write(r.path(), "apps/web/typo.yaml", service("web-typo", "wbe", "http"));
    write(r.path(), "apps/web/https.yaml", service("web-https", "web", "https"));
    // A chart's templates: the Service is plain YAML, its Deployment a template the gate does not
    // read. Not judged: no workload beside it.
    write(r.path(), "charts/db/templates/svc.yaml", service("db", "db", "5432"));
    // A workload whose ServiceAccount the commit does not define (but defines others there).
    write(r.path(), "apps/api/deploy.yaml", deployment("api", "api", "api-runner"));
    commit_all(r.path(), "base");
    let report = check(r.path(), &["--rev", "HEAD", "--builtin", "correctness"]);
    assert_eq!(
        correctness(&report),
        vec![
            f("k8s/dangling-service", "apps/web/typo.yaml", 7),
            f("k8s/nonexistent-service-account", "apps/api/deploy.yaml", 15),
            f("k8s/unexposed-target-port", "apps/web/https.yaml", 11),
        ],
        "{report:#}"
    );

    // An operator's resource in the namespace: its pods, Services and ServiceAccounts are not in
    // the manifests, so the reference checks say nothing there.
    write(
        r.path(),
        "apps/web/prometheus.yaml",
        "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata:\n  name: k8s\n  namespace: shop\n",
    );
    commit_all(r.path(), "operator");
    let report = check(r.path(), &["--rev", "HEAD", "--builtin", "correctness"]);
    assert_eq!(correctness(&report), vec![], "{report:#}");
}

#[test]
fn pr_mode_reports_the_service_a_rename_leaves_dangling() {
    let r = repo();
    write(r.path(), "apps/web/deploy.yaml", deployment("web", "web", "web"));
    write(r.path(), "apps/web/sa.yaml", SA);
    write(r.path(), "apps/web/svc.yaml", service("web", "web", "http"));
    commit_all(r.path(), "base");
    git(r.path(), &["checkout", "-q", "-b", "rename"]);
    // The pods are relabelled; the Service, untouched, now selects nothing.
    write(
        r.path(),
        "apps/web/deploy.yaml",
        deployment("web", "web-v2", "web").replace("app: web\n  template", "app: web-v2\n  template"),
    );
    commit_all(r.path(), "relabel");
    let run =
        tollgate(r.path(), &["check", "-o", "json", "--no-schemas", "--base", "main", "--builtin", "correctness"]);
    let report = run.expect_code(1).json();
    assert_eq!(correctness(&report), vec![f("k8s/dangling-service", "apps/web/svc.yaml", 7)], "{report:#}");
}
