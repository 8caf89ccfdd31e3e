//! Cross-resource checks end to end (the real binary on real git repositories): the checks that
//! declare `custom.scope: inventory` see every manifest of the commit through
//! `data.tollgate.inventory`, report on the workload's own field, make PR mode evaluate both sides
//! whole (deleting a NetworkPolicy makes the untouched Deployment's finding new), the default
//! profile never builds the inventory, and a repository built to make the checks quadratic gets
//! exactly the findings its selectors imply (the work per workload is bounded: more candidate
//! selectors than the bound is a finding, not a pass).

use crate::common;

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

/// The manifests of app `j` of the hostile repository (scripts/hostile-inventory.py writes the
/// same): a Deployment whose pods carry labels of their own, a NetworkPolicy, a
/// PodDisruptionBudget, a Service, a ServiceAccount and, for odd `j`, an autoscaler; selectors of
/// every shape (matchLabels, In, NotIn, Exists), each distinct, so that matching every workload
/// against every selector costs the square of the number of apps.
fn hostile_app(j: usize) -> String {
    let name = format!("app-{j}");
    let np = match j % 5 {
        0 => format!("matchLabels: {{app: {name}}}"),
        1 => format!("matchExpressions: [{{key: app, operator: In, values: [{name}-canary, {name}-v2]}}]"),
        2 => format!("matchLabels: {{team: shop, release: r-{j}-old}}"),
        3 => format!("matchExpressions: [{{key: release-{j}, operator: Exists}}]"),
        _ => format!(
            "matchExpressions: [{{key: release, operator: In, values: [r-{j}, r-{j}-next]}}, {{key: track, operator: NotIn, values: [canary-{j}]}}]"
        ),
    };
    let pdb = match j % 3 {
        0 => format!("matchLabels: {{app: {name}}}"),
        1 => format!("matchExpressions: [{{key: release, operator: In, values: [r-{j}, r-{j}-x]}}]"),
        _ => format!("matchLabels: {{app: {name}, track: canary}}"),
    };
    let replicas = if j % 2 == 0 { "\n  replicas: 2" } else { "" };
    let automount = if j % 2 == 0 { "false" } else { "true" };
    let mut docs = vec![
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:{replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, release: r-{j}, team: shop, track: stable, build-{}: b-{j}}}
    spec:
      serviceAccountName: sa-{j}
      containers:
        - name: main
          image: registry.example.com/{name}:1.0.{j}
",
            j % 97
        ),
        format!(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: shop
spec:
  podSelector: {{{np}}}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: {{matchLabels: {{tenant: t-{j}}}}}
          podSelector: {{matchExpressions: [{{key: caller, operator: In, values: [c-{j}]}}]}}
"
        ),
        format!(
            "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: shop
spec:
  maxUnavailable: 1
  selector: {{{pdb}}}
"
        ),
        format!(
            "apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector: {{app: {name}, release: r-{j}}}
  ports: [{{port: 80, targetPort: 8080}}]
"
        ),
        format!(
            "apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-{j}
  namespace: shop
automountServiceAccountToken: {automount}
"
        ),
    ];
    if j % 2 == 1 {
        let min = if j % 4 == 1 { "\n  minReplicas: 2" } else { "" };
        docs.push(format!(
            "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: shop
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}{min}
  maxReplicas: 10
"
        ));
    }
    docs.join("---\n")
}

/// What the cross-resource checks report on app `j`, by construction: NetworkPolicies select
/// apps 0 and 4 (mod 5); apps with replicas (even) or an autoscaler of minReplicas 2 (1 mod 4)
/// need a PodDisruptionBudget, which apps 2 (mod 3) lack; odd apps' ServiceAccounts keep the
/// token.
fn hostile_expected(j: usize) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    // (at `spec` when the replicas come from the autoscaler: the nearest field there is)
    if j % 3 == 2 && j % 2 == 0 {
        out.push(("k8s/missing-pdb", "/spec/replicas"));
    } else if j % 3 == 2 && j % 4 == 1 {
        out.push(("k8s/missing-pdb", "/spec"));
    }
    if !matches!(j % 5, 0 | 4) {
        out.push(("k8s/missing-network-policy", "/spec/template/metadata/labels"));
    }
    if j % 2 == 1 {
        out.push(("k8s/service-account-token-automount", "/spec/template/spec"));
    }
    out
}

/// Member `i` of a namespace of duplicates: a Deployment `web` (the same name each time), a
/// ServiceAccount `web` that keeps the token, and an autoscaler of `web` with a minReplicas of its
/// own; the last member's ServiceAccount turns the token off.
fn duplicate(i: usize, last: bool) -> String {
    let automount = if last { "false" } else { "true" };
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: dup
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels: {{app: web, copy: c-{i}}}
    spec:
      serviceAccountName: web
      containers:
        - name: main
          image: registry.example.com/web:1.0.{i}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: dup
automountServiceAccountToken: {automount}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web-{i}
  namespace: dup
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: {}
  maxReplicas: 1000
",
        i + 2
    )
}

/// (rule, file, pointer) of the cross-resource findings, sorted.
fn cross_by_file(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = cross(report).into_iter().map(|(rule, file, _, pointer)| (rule, file, pointer)).collect();
    out.sort();
    out
}

/// The attack of issue 14: 2,000 apps in one namespace, each with selectors of its own, and 300
/// Deployments, ServiceAccounts and autoscalers sharing one name. Before the selector index the
/// run matched every workload against every selector (quadratic: 6,000 apps took minutes); the
/// findings must stay exactly those the selectors imply. (The time is measured in the report,
/// not here. Half the attack's size, and only the cross-resource checks: with 2,000 apps and the
/// whole `extended` profile the debug build ran close to the harness's hang limit on a loaded
/// machine.)
#[test]
fn hostile_repository_gets_exactly_the_findings_its_selectors_imply() {
    let (apps, dups) = (1000, 150);
    let r = repo();
    let mut expected = Vec::new();
    for j in 0..apps {
        let file = format!("apps/{:02}/app-{j}.yaml", j / 100);
        write(r.path(), &file, hostile_app(j));
        for (rule, pointer) in hostile_expected(j) {
            expected.push((rule.to_string(), file.clone(), pointer.to_string()));
        }
    }
    for i in 0..dups {
        let file = format!("dup/web-{i:03}.yaml");
        write(r.path(), &file, duplicate(i, i == dups - 1));
        // Each copy has replicas from the largest autoscaler (dups + 1) and no budget; one
        // ServiceAccount named `web` turns the token off, so none is flagged; no NetworkPolicy.
        expected.push(("k8s/missing-pdb".to_string(), file.clone(), "/spec".to_string()));
        expected.push((
            "k8s/missing-network-policy".to_string(),
            file.clone(),
            "/spec/template/metadata/labels".to_string(),
        ));
    }
    expected.sort();
    write(r.path(), ".tollgate.yaml", format!("checks:\n  enable: {CROSS:?}\n"));
    commit_all(r.path(), "hostile");
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "none", "--fail-on", "never"]);
    let report = run.expect_code(0).json();
    let got = cross_by_file(&report);
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "first difference: {:?}", got.iter().zip(&expected).find(|(g, e)| g != e));
    let dup_pdb =
        format!("Deployment/web: {} replicas and no PodDisruptionBudget in namespace 'dup' selects its pods", dups + 1);
    assert_eq!(messages(&report).iter().filter(|m| **m == dup_pdb).count(), dups, "{dup_pdb}");
    finding(
        &report,
        "k8s/missing-network-policy",
        "Deployment/app-1: no NetworkPolicy in namespace 'shop' selects its pods",
    );
}

/// `n` NetworkPolicies whose podSelectors ask only for a label every pod has (team=shop) plus a
/// NotIn that no pod passes: each is a candidate for every workload, the worst case for the
/// selector index, which tollgate bounds at 100 candidates per workload.
fn decoys(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: decoy-{i}, namespace: shop}}\n\
                 spec:\n  podSelector: {{matchLabels: {{team: shop}}, matchExpressions: [{{key: app, operator: NotIn, values: [web, d-{i}]}}]}}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

#[test]
fn more_candidate_selectors_than_the_bound_is_a_finding_not_a_pass() {
    let deploy = DEPLOY.replace("        app: web\n", "        app: web\n        team: shop\n");
    let netpol = NETPOL.replace("      app: web\n", "      app: web\n      team: shop\n");
    let r = repo();
    write(r.path(), "apps/shop/deploy.yaml", &deploy);
    write(r.path(), "apps/shop/netpol.yaml", &netpol);
    write(r.path(), "apps/shop/decoys.yaml", decoys(99));
    commit_all(r.path(), "99 decoys");
    let nets = |report: &Value| -> Vec<String> {
        findings(report)
            .iter()
            .filter(|f| f["rule"] == "k8s/missing-network-policy")
            .map(|f| f["message"].as_str().unwrap_or("").to_string())
            .collect()
    };
    // 99 decoys and the real policy: 100 candidates, all matched, the real one selects.
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "extended", "--fail-on", "never"]);
    assert_eq!(nets(&run.expect_code(0).json()), Vec::<String>::new());

    // One more: the workload is not judged a pass on a guess; the finding says why.
    write(r.path(), "apps/shop/decoys.yaml", decoys(100));
    commit_all(r.path(), "100 decoys");
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "extended", "--fail-on", "never"]);
    let report = run.expect_code(0).json();
    assert_eq!(
        nets(&report),
        ["Deployment/web: cannot tell whether a NetworkPolicy in namespace 'shop' selects its pods: 101 distinct podSelectors there could, more than the 100 tollgate matches against one workload"]
    );
    assert_eq!(
        cross(&report).iter().find(|c| c.0 == "k8s/missing-network-policy"),
        Some(&c("k8s/missing-network-policy", "apps/shop/deploy.yaml", 13, "/spec/template/metadata/labels"))
    );

    // A default-deny policy (empty podSelector) needs no label: it is matched on its own and
    // decides whatever the number of other candidates.
    write(
        r.path(),
        "apps/shop/deny.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n",
    );
    commit_all(r.path(), "default deny");
    let run = check(r.path(), &["--rev", "HEAD", "--builtin", "extended", "--fail-on", "never"]);
    assert_eq!(nets(&run.expect_code(0).json()), Vec::<String>::new());
}
