//! End-to-end tests of Gatekeeper ConstraintTemplates and Constraints under `-p`: what `spec.match`
//! selects, the parameters with their defaults, enforcement actions, templates compiled apart,
//! compile and runtime errors, and PR mode reading them from the merge-base.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn gk_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/gatekeeper")
}

/// (rule, severity, document, message) of every finding, in report order (without the notes
/// that the schemas of committed Gatekeeper objects are not known).
fn seen(report: &Value) -> Vec<(String, String, u64, String)> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] != "schema/missing")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("?").to_string();
            (s("rule"), s("severity"), f["document"].as_u64().unwrap_or(99), s("message"))
        })
        .collect()
}

fn row(rule: &str, severity: &str, doc: u64, message: &str) -> (String, String, u64, String) {
    (rule.to_string(), severity.to_string(), doc, message.to_string())
}

/// A repository holding the fixture manifests, committed.
fn manifests_repo() -> tempfile::TempDir {
    let r = repo();
    copy_tree(&gk_fixtures().join("repo"), r.path());
    commit_all(r.path(), "manifests");
    r
}

fn check(dir: &Path, policy: &Path, extra: &[&str]) -> Run {
    let p = policy.display().to_string();
    tollgate(dir, &[&["check", "--rev", "HEAD", "-o", "json", "-p", p.as_str()][..], extra].concat())
}

/// Every constraint applies its template to the documents its match selects: the excluded
/// namespace (`kube-*`), the namespace globs (`team-*`, `*-prod`), the label selector (NotIn),
/// the kind and scope; the parameter default (`prefix`) fills in where the constraint sets none;
/// the enforcement action is the severity; the finding is on the reviewed document.
#[test]
fn constraints_apply_to_what_they_match() {
    let r = manifests_repo();
    let run = check(r.path(), &gk_fixtures().join("policy"), &[]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        seen(&report),
        vec![
            row("TgRequiredLabels/must-have-owner", "error", 0, "missing label owner on Deployment web"),
            row("TgNoLatest/no-latest", "warning", 0, "container web uses a :latest image"),
            row("TgRequiredLabels/namespaces-have-team", "note", 3, "namespace lacks cost-center on Namespace team-a"),
        ]
    );
    // With every document at once (`--combine`), the same findings.
    let combined = check(r.path(), &gk_fixtures().join("policy"), &["--combine"]);
    combined.expect_code(1);
    assert_eq!(seen(&combined.json()), seen(&report));
    // At the field the message names: the labels it speaks of, the image of the container it
    // names; the fingerprint is the document's (the field does not make it another finding).
    let f = finding(&report, "TgRequiredLabels/must-have-owner", "missing label owner on Deployment web");
    assert_eq!(f["file"], "apps.yaml");
    assert_eq!((f["line"].as_u64(), f["pointer"].as_str()), (Some(6), Some("/metadata/labels")));
    let image = finding(&report, "TgNoLatest/no-latest", "container web uses a :latest image");
    assert_eq!((image["line"].as_u64(), image["column"].as_u64()), (Some(14), Some(11)));
    assert_eq!(image["pointer"], "/spec/template/spec/containers/0/image");
    assert_eq!(f["source"], "policy");
    assert_eq!(f["resource"]["name"], "web");
}

/// Only warnings and notes: the gate passes (deny blocks, warn and dryrun do not by default).
#[test]
fn warn_and_dryrun_do_not_block() {
    let r = repo();
    write(r.path(), "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n");
    commit_all(r.path(), "ns");
    let run = check(r.path(), &gk_fixtures().join("policy"), &[]);
    run.expect_code(0);
    assert_eq!(
        seen(&run.json()),
        vec![row(
            "TgRequiredLabels/namespaces-have-team",
            "note",
            0,
            "namespace lacks cost-center,team on Namespace other"
        )]
    );
}

/// `.rego` files next to the templates keep working as before.
#[test]
fn rego_files_beside_templates_still_run() {
    let r = manifests_repo();
    let dir = tempdir();
    copy_tree(&gk_fixtures().join("policy"), dir.path());
    write(
        dir.path(),
        "main.rego",
        "package main\n\ndeny contains msg if {\n  input.kind == \"Namespace\"\n  msg := \"a namespace\"\n}\n",
    );
    let run = check(r.path(), dir.path(), &["--no-schemas"]);
    run.expect_code(1);
    let report = run.json();
    finding(&report, "main.deny", "a namespace");
    finding(&report, "TgRequiredLabels/must-have-owner", "missing label owner on Deployment web");
}

/// A template that does not compile stops the run (exit 2) naming the file, the line in it and
/// the template.
#[test]
fn a_broken_template_is_a_tool_error_with_file_and_line() {
    let r = manifests_repo();
    let run = check(r.path(), &gk_fixtures().join("broken"), &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("broken/bad.yaml:15: template tgbroken does not compile: expecting }"),
        "{}",
        run.stderr
    );
}

/// A constraint whose kind no template defines is an error, never a silent pass.
#[test]
fn a_constraint_without_template_is_an_error() {
    let r = manifests_repo();
    let dir = tempdir();
    write(
        dir.path(),
        "c.yaml",
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TgMissing\nmetadata:\n  name: orphan\n",
    );
    let run = check(r.path(), dir.path(), &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("constraint orphan: no ConstraintTemplate defines kind TgMissing"), "{}", run.stderr);
}

/// An error while a template runs on a document (two values for one complete rule) is a
/// blocking finding on that document, as Gatekeeper makes it a violation; other documents pass.
#[test]
fn a_runtime_error_is_a_finding_on_the_document() {
    let r = repo();
    let cm = |name: &str, labels: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {labels}\n")
    };
    write(r.path(), "cm.yaml", format!("{}---\n{}", cm("both", "{a: \"1\", b: \"1\"}"), cm("one", "{a: \"1\"}")));
    commit_all(r.path(), "cm");
    let run = check(r.path(), &gk_fixtures().join("runtime"), &[]);
    run.expect_code(1);
    let report = run.json();
    let rows = seen(&report);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2), ("TgConflict/one-tier", "error", 0));
    assert!(rows[0].3.starts_with("template tgconflict failed on this document: "), "{rows:?}");
}

/// PR mode: templates and constraints under a `-p` path inside the repository are read from the
/// merge-base, so a change that deletes a constraint is still judged by it, and the change to
/// the policy directory is a `gate/policy-changed` note.
#[test]
fn pr_mode_reads_constraints_from_the_merge_base() {
    let r = repo();
    copy_tree(&gk_fixtures().join("policy"), &r.path().join("gatekeeper"));
    write(r.path(), "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n");
    commit_all(r.path(), "base");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    std::fs::remove_file(r.path().join("gatekeeper/owner-label.yaml")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(r.path().join("gatekeeper/dryrun.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  selector: {}\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1\n";
    write(r.path(), "web.yaml", deploy);
    commit_all(r.path(), "drop the constraint, add a deployment");
    let run = tollgate(r.path(), &["check", "--base", "main", "-o", "json", "-p", "gatekeeper"]);
    run.expect_code(1);
    let report = run.json();
    let f = finding(&report, "TgRequiredLabels/must-have-owner", "missing label owner on Deployment web");
    assert_eq!(f["file"], "web.yaml");
    assert!(
        findings(&report).iter().any(|f| f["rule"] == "gate/policy-changed"),
        "no policy-changed note in {report:#}"
    );
}

fn deployment(name: &str, ns: &str, sa: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector: {{}}\n  \
         template:\n    spec:\n      serviceAccountName: {sa}\n      containers:\n        - name: c\n          image: {image}\n"
    )
}

/// `data.inventory` holds every document of the run in Gatekeeper's layout (a ServiceAccount in
/// another file of the commit is found); `namespaceSelector` reads the labels of the run's
/// Namespace documents, and a namespace that is not among them is a finding, never a pass.
#[test]
fn inventory_and_namespace_selector_read_the_whole_run() {
    let r = repo();
    let ns = |name: &str, env: &str| {
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    env: {env}\n")
    };
    write(r.path(), "ns.yaml", format!("{}---\n{}", ns("shop", "prod"), ns("lab", "dev")));
    write(r.path(), "sa.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop-sa\n  namespace: shop\n");
    write(r.path(), "shop.yaml", deployment("cart", "shop", "shop-sa", "cart:latest"));
    write(r.path(), "lab.yaml", deployment("try", "lab", "shop-sa", "try:latest"));
    write(r.path(), "ghost.yaml", deployment("boo", "ghost", "shop-sa", "boo:1"));
    commit_all(r.path(), "run");
    let run = check(r.path(), &gk_fixtures().join("referential"), &[]);
    run.expect_code(1);
    let mut rows: Vec<(String, String, String)> = findings(&run.json())
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("?").to_string();
            (s("file"), s("rule"), s("message"))
        })
        .collect();
    rows.sort();
    let want = |file: &str, rule: &str, msg: &str| (file.to_string(), rule.to_string(), msg.to_string());
    assert_eq!(
        rows,
        vec![
            want(
                "ghost.yaml",
                "TgNamedImage/prod-images",
                "constraint prod-images has a namespaceSelector, and namespace ghost is not among the checked documents: \
                 cannot tell whether it selects this document"
            ),
            want("ghost.yaml", "TgServiceAccountExists/sa-exists", "ServiceAccount shop-sa does not exist in namespace ghost"),
            want("lab.yaml", "TgServiceAccountExists/sa-exists", "ServiceAccount shop-sa does not exist in namespace lab"),
            want("shop.yaml", "TgNamedImage/prod-images", "production image cart:latest is :latest"),
        ]
    );
}

/// A selector operator the gate does not know is an error naming the constraint and the line,
/// never a constraint that silently selects nothing.
#[test]
fn an_unknown_selector_operator_is_refused() {
    let r = manifests_repo();
    let dir = tempdir();
    copy_tree(&gk_fixtures().join("policy/owner-label.yaml"), &dir.path().join("t.yaml"));
    write(
        dir.path(),
        "c.yaml",
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TgRequiredLabels\nmetadata:\n  name: odd\nspec:\n  match:\n    labelSelector:\n      matchExpressions:\n        - {key: a, operator: Gt, values: [\"1\"]}\n",
    );
    let run = check(r.path(), dir.path(), &[]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("c.yaml:6: constraint odd: selector operator \"Gt\" is not In, NotIn, Exists or DoesNotExist"),
        "{}",
        run.stderr
    );
}

/// A template that would run for hours on a document is stopped by the time budget of one
/// document (`--policy-timeout`), and that is a blocking finding on the document, never a pass.
#[test]
fn a_template_past_its_time_budget_is_a_finding() {
    let r = repo();
    write(r.path(), "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");
    commit_all(r.path(), "cm");
    let run = check(r.path(), &gk_fixtures().join("slow"), &["--policy-timeout", "0.5"]);
    run.expect_code(1);
    let rows = seen(&run.json());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2), ("TgSlow/slow", "error", 0));
    assert!(rows[0].3.starts_with("template tgslow failed on this document: "), "{rows:?}");
}

/// Templates get Rego v0 as OPA evaluates it: OPA's deprecated `re_match` works, and a `sprintf`
/// with a missing argument prints `%!v(MISSING)` as OPA does, instead of failing the document.
#[test]
fn templates_evaluate_rego_v0_as_opa_does() {
    let r = manifests_repo();
    let run = check(r.path(), &gk_fixtures().join("opa"), &[]);
    run.expect_code(1);
    let report = run.json();
    let rows = seen(&report);
    assert!(!rows.is_empty(), "every fixture image is outside registry.example.com");
    for (rule, severity, _, message) in &rows {
        assert_eq!((rule.as_str(), severity.as_str()), ("TgAllowedRegistry/registry", "error"), "{rows:?}");
        assert!(message.ends_with(" from %!v(MISSING)"), "{message}");
    }
    assert!(rows.iter().any(|r| r.3 == "container web uses image nginx:latest from %!v(MISSING)"), "{rows:?}");
}

/// Chained bodies after a head with a value would get a different answer from regorus: the
/// template is refused (exit 2) at its file and line, naming the fix.
#[test]
fn a_template_regorus_would_read_differently_is_refused() {
    let r = manifests_repo();
    let run = check(r.path(), &gk_fixtures().join("opa-chained"), &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("opa-chained/chained.yaml:17"), "{}", run.stderr);
    assert!(run.stderr.contains("template tgchained does not compile"), "{}", run.stderr);
}

/// A template under `-p` may come from the checked repository (a `policy:` path of its
/// `.tollgate.yaml`): it gets the screens of `.rego` files. A 40-level nested literal (whose
/// parsing work doubles per level) and a function that calls itself (a stack overflow that
/// aborted the process) are compile errors naming the file and the template, exit 2.
#[test]
fn hostile_templates_are_screened_like_rego_files() {
    let r = manifests_repo();
    let template = |name: &str, kind: &str, rego: &str| {
        let body: String = rego.lines().map(|l| format!("        {l}\n")).collect();
        format!(
            "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: {name}\nspec:\n  crd:\n    spec:\n      names:\n        kind: {kind}\n  targets:\n    - target: admission.k8s.gatekeeper.sh\n      rego: |\n{body}---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: {kind}\nmetadata:\n  name: c\n"
        )
    };
    let nested = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let cases = [
        (
            "nest.yaml",
            template(
                "tgnest",
                "TgNest",
                &format!("package tgnest\n\nx := {nested}\n\nviolation[{{\"msg\": \"m\"}}] {{\n  count(x) > 5\n}}\n"),
            ),
            "too costly to parse",
        ),
        (
            "rec.yaml",
            template(
                "tgrec",
                "TgRec",
                "package tgrec\n\nf(x) = y {\n  y := f(x)\n}\n\nviolation[{\"msg\": \"m\"}] {\n  f(1) == 2\n}\n",
            ),
            "is recursive",
        ),
    ];
    for (file, text, why) in cases {
        let dir = tempdir();
        write(dir.path(), file, text);
        let run = check(r.path(), dir.path(), &[]);
        run.expect_code(2);
        assert!(run.stderr.contains(file) && run.stderr.contains("(template tg"), "{file}: {}", run.stderr);
        assert!(run.stderr.contains(why), "{file}: {}", run.stderr);
    }
}

/// The run's policy time budget (`--policy-run-timeout`) bounds templates too: once it has run
/// out, every remaining (document, constraint) is a blocking "not evaluated" finding, so a
/// template that is slow on every document cannot stall the run for hours.
#[test]
fn the_run_budget_stops_templates_too() {
    let r = repo();
    let cms: Vec<String> =
        (0..4).map(|i| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n")).collect();
    write(r.path(), "cm.yaml", cms.join("---\n"));
    commit_all(r.path(), "cm");
    let run = check(
        r.path(),
        &gk_fixtures().join("slow"),
        &["-j", "1", "--policy-timeout", "0.5", "--policy-run-timeout", "1"],
    );
    run.expect_code(1);
    // (The `.rego` side reports its own `policy/resource-limit` for the documents past the budget.)
    let rows: Vec<_> = seen(&run.json()).into_iter().filter(|r| r.0 == "TgSlow/slow").collect();
    assert_eq!(rows.iter().map(|r| r.2).collect::<Vec<_>>(), [0, 1, 2, 3], "one finding per document: {rows:?}");
    assert!(rows.iter().all(|r| r.1 == "error"), "{rows:?}");
    let skipped = rows.iter().filter(|r| r.3.starts_with("not evaluated: the run's policy time budget")).count();
    assert!(skipped >= 1, "{rows:?}");
}

/// `print()` in a template never reaches stderr raw (an escape sequence from a repository's
/// template would restyle the terminal or a CI log): its output is dropped.
#[test]
fn template_print_output_never_reaches_stderr() {
    let r = manifests_repo();
    let dir = tempdir();
    let rego = "package tgprint\n\nviolation[{\"msg\": \"m\"}] {\n  print(\"\\u001b[31mRED\")\n  false\n}\n";
    let body: String = rego.lines().map(|l| format!("        {l}\n")).collect();
    write(
        dir.path(),
        "p.yaml",
        format!(
            "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: tgprint\nspec:\n  crd:\n    spec:\n      names:\n        kind: TgPrint\n  targets:\n    - target: admission.k8s.gatekeeper.sh\n      rego: |\n{body}---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TgPrint\nmetadata:\n  name: c\n"
        ),
    );
    let run = check(r.path(), dir.path(), &[]);
    assert!(!run.stderr.contains('\u{1b}') && !run.stderr.contains("RED"), "{:?}", run.stderr);
}

/// (rule, file, message) of every finding, sorted; without the notes that the schemas of the
/// Gatekeeper objects themselves are not known (a ConstraintTemplate's CRD is not built in).
fn by_file(report: &Value) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = findings(report)
        .iter()
        .filter(|f| f["rule"] != "schema/missing")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("?").to_string();
            (s("rule"), s("file"), s("message"))
        })
        .collect();
    rows.sort();
    rows
}

/// A repository that deploys its Gatekeeper policies: the fixture templates and constraints
/// committed under `platform/gatekeeper/`, next to the manifests they judge.
fn deploying_repo() -> tempfile::TempDir {
    let r = manifests_repo();
    copy_tree(&gk_fixtures().join("policy"), &r.path().join("platform/gatekeeper"));
    commit_all(r.path(), "gatekeeper policies");
    r
}

/// Templates and constraints committed in the checked repository are enforced with no `-p`,
/// from a commit, the index and the working tree alike, with the same findings as under `-p`; a
/// `-p` naming the same directory reads them once (no second template for the same kind).
#[test]
fn committed_templates_apply_without_p() {
    let r = deploying_repo();
    let with_p = check(r.path(), &gk_fixtures().join("policy"), &[]);
    with_p.expect_code(1);
    let want = seen(&with_p.json());
    assert_eq!(want.len(), 3, "{want:?}");
    for args in
        [&["check", "--rev", "HEAD", "-o", "json"][..], &["check", "--staged", "-o", "json"], &["check", "-o", "json"]]
    {
        let run = tollgate(r.path(), args);
        run.expect_code(1);
        assert_eq!(seen(&run.json()), want, "{args:?}");
    }
    let both = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json", "-p", "platform/gatekeeper"]);
    both.expect_code(1);
    assert_eq!(seen(&both.json()), want);
    // Narrowed to a PATH without them: they are not among the checked files, so not enforced.
    let narrowed = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json", "apps.yaml"]);
    narrowed.expect_code(0);
    // `gatekeeper-in-repository: false`: only `-p` paths hold Gatekeeper policies.
    write(r.path(), ".tollgate.yaml", "gatekeeper-in-repository: false\n");
    commit_all(r.path(), "only -p");
    let off = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    off.expect_code(0);
    assert_eq!(seen(&off.json()), vec![]);
    let p = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json", "-p", "platform/gatekeeper"]);
    assert_eq!(seen(&p.json()), want);
}

/// Two different templates for one kind in the repository: which the cluster runs cannot be
/// told, so the run stops naming both (exit 2); an identical copy (the same template committed
/// for two clusters) is one template.
#[test]
fn two_templates_for_one_kind() {
    let r = deploying_repo();
    copy_tree(&gk_fixtures().join("policy"), &r.path().join("clusters/two/gatekeeper"));
    commit_all(r.path(), "a second copy");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()).len(), 3);
    let copy = r.path().join("clusters/two/gatekeeper/owner-label.yaml");
    let text = std::fs::read_to_string(&copy).unwrap_or_else(|e| panic!("{e}"));
    write(r.path(), "clusters/two/gatekeeper/owner-label.yaml", text.replace("missing label", "absent label"));
    commit_all(r.path(), "a different copy");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("platform/gatekeeper/owner-label.yaml:2: template tgrequiredlabels: kind TgRequiredLabels is also the kind of template tgrequiredlabels (clusters/two/gatekeeper/owner-label.yaml:2)")
            || run.stderr.contains("clusters/two/gatekeeper/owner-label.yaml:2: template tgrequiredlabels: kind TgRequiredLabels is also the kind of template tgrequiredlabels (platform/gatekeeper/owner-label.yaml:2)"),
        "{}",
        run.stderr
    );
}

/// A committed constraint whose template is not in the repository (installed from a chart) is
/// a note that the gate does not enforce it, never a silent pass nor a tool error; a kustomize
/// patch of a constraint is a partial object, not a constraint of its own (it would otherwise
/// select everything).
#[test]
fn committed_constraints_without_template_and_patches() {
    let r = manifests_repo();
    let constraint = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata:\n  name: repos\nspec:\n  parameters:\n    repos: [\"registry.example/\"]\n";
    write(r.path(), "policy/repos.yaml", constraint);
    commit_all(r.path(), "a constraint of a template installed elsewhere");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(0);
    assert_eq!(
        by_file(&run.json()),
        vec![(
            "gatekeeper/not-evaluated".to_string(),
            "policy/repos.yaml".to_string(),
            "constraint repos: no ConstraintTemplate defines kind K8sAllowedRepos among the checked files or the -p paths: it is not enforced by this gate (add its template's directory with -p)".to_string()
        )]
    );
    // A patch that turns one constraint to dryrun in an overlay.
    copy_tree(&gk_fixtures().join("policy"), &r.path().join("base"));
    std::fs::remove_file(r.path().join("policy/repos.yaml")).unwrap_or_else(|e| panic!("{e}"));
    write(r.path(), "overlay/kustomization.yaml", "resources: [../base]\npatches:\n  - path: soften.yaml\n");
    let patch = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TgNoLatest\nmetadata:\n  name: no-latest\nspec:\n  enforcementAction: deny\n";
    write(r.path(), "overlay/soften.yaml", patch);
    commit_all(r.path(), "an overlay");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(1);
    let with_p = check(r.path(), &gk_fixtures().join("policy"), &[]);
    assert_eq!(seen(&run.json()), seen(&with_p.json()));
}

/// PR mode reads the committed templates and constraints from the merge-base: a change that
/// softens a constraint and adds a violation is still judged by the merge-base's constraint; a
/// constraint the change adds takes effect once merged; each changed policy file is a
/// `gate/policy-changed` note.
#[test]
fn pr_mode_judges_with_the_committed_policies_of_the_merge_base() {
    let r = repo();
    copy_tree(&gk_fixtures().join("policy"), &r.path().join("platform/gatekeeper"));
    write(r.path(), "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n");
    commit_all(r.path(), "base");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    let owner = r.path().join("platform/gatekeeper/owner-label.yaml");
    let text = std::fs::read_to_string(&owner).unwrap_or_else(|e| panic!("{e}"));
    let softened = text.replace(
        "    excludedNamespaces: [\"kube-*\"]\n",
        "    excludedNamespaces: [\"kube-*\"]\n  enforcementAction: dryrun\n",
    );
    assert_ne!(softened, text);
    write(r.path(), "platform/gatekeeper/owner-label.yaml", softened);
    let extra = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TgNoLatest\nmetadata:\n  name: strict-latest\nspec:\n  parameters: {}\n";
    write(r.path(), "platform/gatekeeper/more.yaml", extra);
    write(r.path(), "web.yaml", deployment("web", "team-a", "default", "web:latest"));
    commit_all(r.path(), "soften the constraint, add a deployment");
    let run = tollgate(r.path(), &["check", "--base", "main", "-o", "json"]);
    run.expect_code(1);
    let rows = by_file(&run.json());
    let owned = |rule: &str, file: &str, msg: &str| (rule.to_string(), file.to_string(), msg.to_string());
    assert_eq!(
        rows,
        vec![
            owned("TgNoLatest/no-latest", "web.yaml", "container c uses a :latest image"),
            owned("TgRequiredLabels/must-have-owner", "web.yaml", "missing label owner on Deployment web"),
            owned("gate/policy-changed", "platform/gatekeeper/more.yaml", "Gatekeeper policy file added in this change; the gate ran without it (it takes effect once merged)"),
            owned("gate/policy-changed", "platform/gatekeeper/owner-label.yaml", "Gatekeeper policy file modified in this change; the gate ran with the merge-base version (the change takes effect once merged)"),
        ]
    );
    let report = run.json();
    let f = finding(&report, "TgRequiredLabels/must-have-owner", "missing label owner on Deployment web");
    assert_eq!(f["severity"], "error");
}

/// What a merge gate cannot evaluate is said in a note naming the template, never silently
/// passed: a CEL-only template and one calling `external_data` are not evaluated (their
/// constraints select a Deployment that would violate them: no finding, a note each); a
/// template reading `oldObject` is evaluated as at creation, with a note.
#[test]
fn what_the_gate_cannot_evaluate_is_a_note() {
    let r = repo();
    write(r.path(), "web.yaml", deployment("web", "team-a", "default", "web:1"));
    commit_all(r.path(), "a deployment");
    let run = check(r.path(), &gk_fixtures().join("not-evaluated"), &[]);
    run.expect_code(1);
    let report = run.json();
    let at = |rule: &str, file: &str, msg: &str| {
        (rule.to_string(), format!("{}/{file}", gk_fixtures().join("not-evaluated").display()), msg.to_string())
    };
    let mut want = vec![
        at("gatekeeper/admission-only", "admission-only.yaml", "template tgimmutableselector reads input.review.oldObject: tollgate reviews each object as gator does, as at its creation (operation \"\", no oldObject), so what it checks on an UPDATE or DELETE is not evaluated"),
        at("gatekeeper/not-evaluated", "cel-only.yaml", "template tgcelreplicas: its code is K8sNativeValidation only, and tollgate evaluates Rego (Gatekeeper's CEL engine runs at admission); its constraints are not enforced by this gate"),
        at("gatekeeper/not-evaluated", "external-data.yaml", "template tgsignedimages: it calls external_data, a provider Gatekeeper asks at admission, which a merge gate cannot (no network); its constraints are not enforced by this gate"),
        ("TgImmutableSelector/stable-selectors".to_string(), "web.yaml".to_string(), "web has no selector.matchLabels".to_string()),
    ];
    want.sort();
    assert_eq!(by_file(&report), want);
    let note = finding(&report, "gatekeeper/not-evaluated", &want[2].2);
    assert_eq!(note["severity"], "note");
    assert_eq!(note["line"], 3);
}

/// A template whose one built-in call builds a huge value never reaches regorus's timer: the
/// memory ceiling holds the thread and the watchdog ends the run with exit 2, naming the
/// template and the document (never a hang or an out-of-memory kill).
#[test]
fn a_template_that_cannot_be_stopped_ends_the_run() {
    let r = repo();
    write(r.path(), "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");
    commit_all(r.path(), "one document");
    let run = check(r.path(), &gk_fixtures().join("stuck"), &["--policy-memory", "8", "--policy-timeout", "0.5"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(
            "error: policy evaluation of template tgdoubling on cm.yaml (document 0) did not stop within its time budget and 10 s more"
        ),
        "{}",
        run.stderr
    );
}

/// A committed ConstraintTemplate defines the CRD of its constraints, as Gatekeeper generates
/// it: a constraint's `spec.parameters` are validated against the template's schema (an unknown
/// parameter, a wrong type) at the field, and constraints no longer get `schema/missing`; with
/// `legacySchema` (the default of `templates.gatekeeper.sh/v1beta1`) unknown parameters are kept.
#[test]
fn committed_templates_type_the_parameters_of_their_constraints() {
    let r = repo();
    copy_tree(&gk_fixtures().join("policy"), &r.path().join("gatekeeper"));
    let typo = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TgRequiredLabels\nmetadata:\n  name: typo\nspec:\n  parameters:\n    labels: owner\n    lables: [team]\n";
    write(r.path(), "gatekeeper/typo.yaml", typo);
    commit_all(r.path(), "a constraint with a typo");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    let mut schema: Vec<(String, String, u64)> = rule_file_line(&report)
        .into_iter()
        .filter(|(rule, file, _)| rule.starts_with("schema/") && file.ends_with(".yaml"))
        .collect();
    schema.sort();
    let at = |rule: &str, file: &str, line: u64| (rule.to_string(), file.to_string(), line);
    assert_eq!(
        schema,
        vec![
            // The templates themselves: Gatekeeper's CRDs are not in this repository.
            at("schema/missing", "gatekeeper/image-tag.yaml", 3),
            at("schema/missing", "gatekeeper/owner-label.yaml", 3),
            at("schema/unknown-field", "gatekeeper/typo.yaml", 8),
            at("schema/wrong-type", "gatekeeper/typo.yaml", 7),
        ],
        "{report:#}"
    );
    // The same template as templates.gatekeeper.sh/v1beta1: legacySchema, unknown parameters kept.
    let owner = r.path().join("gatekeeper/owner-label.yaml");
    let text = std::fs::read_to_string(&owner).unwrap_or_else(|e| panic!("{e}"));
    write(
        r.path(),
        "gatekeeper/owner-label.yaml",
        text.replace("templates.gatekeeper.sh/v1\n", "templates.gatekeeper.sh/v1beta1\n"),
    );
    commit_all(r.path(), "v1beta1");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    let rules: Vec<(String, String, u64)> =
        rule_file_line(&run.json()).into_iter().filter(|(_, file, _)| file == "gatekeeper/typo.yaml").collect();
    assert!(rules.iter().any(|r| r.0 == "schema/wrong-type"), "{rules:?}");
    assert!(!rules.iter().any(|r| r.0 == "schema/unknown-field"), "{rules:?}");
}

/// A commit may hold templates, and each is compiled in an engine of its own: past 1,000 in a
/// run the gate stops (exit 2) at the template that crossed the bound, never compiling without
/// end.
#[test]
fn the_number_of_templates_is_bounded() {
    let r = repo();
    let mut text = String::new();
    for i in 0..1001 {
        text.push_str(&format!(
            "---\napiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: t{i}\nspec:\n  crd:\n    spec:\n      names:\n        kind: T{i}\n  targets:\n    - target: admission.k8s.gatekeeper.sh\n      rego: |\n        package t{i}\n        violation[{{\"msg\": \"x\"}}] {{ false }}\n"
        ));
    }
    write(r.path(), "templates.yaml", text);
    commit_all(r.path(), "many templates");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("templates.yaml:15002: template t1000: more templates than a run compiles (1000 templates, 16 MiB of template documents)"),
        "{}",
        run.stderr
    );
}

/// In PR mode, what the gate does not evaluate (a committed constraint whose template is
/// installed from elsewhere) is said only when the change touches that file, or with
/// `--show-existing`, like every finding the change does not introduce; a full run says it
/// every time.
#[test]
fn pr_mode_says_what_is_not_evaluated_where_the_change_touches_it() {
    let r = manifests_repo();
    let constraint = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata:\n  name: repos\nspec:\n  parameters:\n    repos: [\"registry.example/\"]\n";
    write(r.path(), "policy/repos.yaml", constraint);
    commit_all(r.path(), "a constraint of a template installed elsewhere");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    write(r.path(), "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n");
    commit_all(r.path(), "an unrelated change");
    let notes = |args: &[&str]| -> Vec<String> {
        let run = tollgate(r.path(), args);
        run.expect_code(0);
        by_file(&run.json())
            .into_iter()
            .filter(|(rule, _, _)| rule == "gatekeeper/not-evaluated")
            .map(|(_, f, _)| f)
            .collect()
    };
    assert_eq!(notes(&["check", "--base", "main", "-o", "json"]), Vec::<String>::new());
    assert_eq!(notes(&["check", "--base", "main", "--show-existing", "-o", "json"]), ["policy/repos.yaml"]);
    assert_eq!(notes(&["check", "--rev", "HEAD", "-o", "json"]), ["policy/repos.yaml"]);
    write(r.path(), "policy/repos.yaml", constraint.replace("registry.example/", "registry.example.com/"));
    commit_all(r.path(), "touch the constraint");
    assert_eq!(notes(&["check", "--base", "main", "-o", "json"]), ["policy/repos.yaml"]);
}
