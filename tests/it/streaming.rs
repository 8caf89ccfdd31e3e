//! Lazy reading end to end: a git source keeps in memory only the files the passes before the
//! main one need (committed Gatekeeper policies, kustomizations) and, up to a budget
//! (`TOLLGATE_READ_BUDGET`), the others; the CRD pass reads its files over the budget again, a
//! part at a time, and the rest are read again where they are loaded. Whatever the budget and the
//! thread count, the report is the same byte for byte, and with no budget discovery holds exactly
//! the screened files the CRD pass cannot read again.

use crate::common;

use std::path::Path;

use common::*;

/// A CRD whose `spec.size` must be at least 1.
const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
";

fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-a
spec:
  selector: {{matchLabels: {{app: app-{i}}}}}
  template:
    metadata: {{labels: {{app: app-{i}}}}}
    spec:
      containers:
        - name: web
          image: nginx:latest
"
    )
}

/// How many plain manifests the repository holds besides the screened files.
const PLAIN: usize = 40;

/// A repository where what the first passes read comes after what it applies to, in path order:
/// Widgets in `a/` defined by a CRD in `z-crds/`, Deployments in `apps/` reviewed by Gatekeeper
/// policies committed in `zz-policy/`, a kustomization whose patch is not a policy, a symbolic
/// link, a file over the size cap. Everything committed and staged.
fn repository() -> tempfile::TempDir {
    let r = repo();
    let root = r.path();
    write(
        root,
        "a/widget-bad.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w0}\nspec: {size: 0}\n",
    );
    write(root, "a/widget-missing.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {}\n");
    for i in 0..PLAIN - 5 {
        write(root, &format!("apps/app-{i:02}.yaml"), deployment(i));
    }
    write(root, "apps/big.yaml", format!("{}# {}\n", deployment(99), "x".repeat(4000)));
    write(root, "overlay/kustomization.yaml", "resources: [../apps]\npatches:\n  - path: patch.yaml\n");
    write(
        root,
        "overlay/patch.yaml",
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TgNoLatest\nmetadata: {name: patched}\n",
    );
    write(root, "z-crds/widget.yaml", CRD);
    let gk = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gatekeeper");
    for name in ["owner-label.yaml", "image-tag.yaml"] {
        copy_tree(&gk.join("policy").join(name), &root.join("zz-policy").join(name));
    }
    copy_tree(&gk.join("repo/apps.yaml"), &root.join("apps/gk-apps.yaml"));
    #[cfg(unix)]
    {
        let _ = std::os::unix::fs::symlink("app-00.yaml", root.join("apps/linked.yaml"));
    }
    commit_all(root, "repository");
    r
}

fn run(dir: &Path, args: &[&str], budget: &str) -> Run {
    let args = [&["check", "-o", "json", "--max-file-size", "3000"][..], args].concat();
    tollgate_env(dir, &args, None, &[("TOLLGATE_READ_BUDGET", budget)])
}

/// The same report, byte for byte, whether discovery keeps every file or none but the screened
/// ones, on one thread or two, reading a commit, the index or (eagerly) the working tree; and
/// the report has the findings that need the passes before the main one: a Widget checked
/// against a CRD defined later in path order, a Gatekeeper constraint committed after the
/// Deployments it reviews, the kustomization's patch not taken for a policy.
#[test]
fn reports_do_not_depend_on_what_discovery_keeps() {
    let r = repository();
    let dir = r.path();
    for args in [
        &["--rev", "HEAD"][..],
        &["--rev", "HEAD", "-j", "1"],
        &["--staged"],
        &["--rev", "HEAD", "--builtin", "all"],
        &["--rev", "HEAD", "--combine"],
    ] {
        let all = run(dir, args, "1000000000");
        all.expect_code(1);
        let none = run(dir, args, "0");
        none.expect_code(1);
        // (Compared without printing: the reports are long.)
        assert!(none.stdout == all.stdout, "{args:?}: budget 0 and a budget holding every file differ");
        // A budget that holds some files: the CRD pass reads some of its files kept, some again.
        let some = run(dir, args, "4000");
        assert!(some.stdout == all.stdout, "{args:?}: a budget of 4,000 bytes differs\n{}", some.stderr);
        if !args.contains(&"-j") {
            let two = run(dir, &[args, &["-j", "2"]].concat(), "0");
            assert!(two.stdout == all.stdout, "{args:?}: -j 2 differs\n{}", two.stderr);
        }
    }
    let rev = run(dir, &["--rev", "HEAD"], "0");
    let worktree = run(dir, &[], "0");
    assert!(worktree.stdout == rev.stdout, "the working tree (read eagerly) and the commit differ");

    let report = rev.json();
    let at = |rule: &str, file: &str| {
        findings(&report).iter().any(|f| f["rule"].as_str() == Some(rule) && f["file"].as_str() == Some(file))
    };
    let rules: Vec<(String, String)> = findings(&report)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap_or("").to_string(), f["file"].as_str().unwrap_or("").to_string()))
        .collect();
    assert!(at("schema/invalid-value", "a/widget-bad.yaml"), "CRD defined later not applied: {rules:?}");
    assert!(at("schema/missing-required", "a/widget-missing.yaml"), "CRD defined later not applied: {rules:?}");
    assert!(at("TgNoLatest/no-latest", "apps/gk-apps.yaml"), "committed constraint not applied: {rules:?}");
    assert!(at("parse/file-too-large", "apps/big.yaml"), "size cap not applied: {rules:?}");
    assert!(at("source/symlink", "apps/linked.yaml"), "symbolic link not noted: {rules:?}");
    assert!(!rules.iter().any(|(r, _)| r.starts_with("TgNoLatest/patched")), "a patch taken for a policy");

    // PR mode: with a cross-resource check or --combine every file of both sides is read (lazily
    // too); the changed lines of `-o github` come from the changed files kept in memory.
    write(
        dir,
        "apps/app-03.yaml",
        deployment(3).replace("nginx:latest", "nginx:latest\n          securityContext: {privileged: true}"),
    );
    write(
        dir,
        "a/widget-bad.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w0}\nspec: {size: -1}\n",
    );
    commit_all(dir, "change");
    for args in [
        &["--base", "HEAD~1"][..],
        &["--base", "HEAD~1", "--builtin", "all"],
        &["--base", "HEAD~1", "--combine"],
        &["--base", "HEAD~1", "--builtin", "all", "-o", "github"],
    ] {
        let all = run(dir, args, "1000000000");
        let none = run(dir, args, "0");
        assert!(all.code == Some(1) && none.code == Some(1), "{args:?}\n{}\n{}", all.stderr, none.stderr);
        assert!(none.stdout == all.stdout, "{args:?}: budget 0 and a budget holding every file differ");
    }
}

/// With no budget, discovery holds the bytes of the screened files the CRD pass cannot read
/// again only (the two Gatekeeper files, the kustomization and its patch, which names a
/// constraint, and the file over the cap, which has none): every other file, the CRD too, is
/// read where it is loaded. With `--no-schemas` and no committed Gatekeeper policies
/// nothing needs a first pass, and nothing is read at discovery.
#[test]
fn discovery_holds_only_what_the_first_passes_read() {
    let r = repository();
    let dir = r.path();
    let read_line =
        |run: &Run| run.stderr.lines().find(|l| l.starts_with("timing: read")).map(str::to_string).unwrap_or_default();
    // 2 Widgets + PLAIN-5 Deployments + big + patch + kustomization + CRD + 2 policies + gk-apps + link.
    let total = 2 + (PLAIN - 5) + 1 + 1 + 1 + 1 + 2 + 1 + 1;
    let none = run(dir, &["--rev", "HEAD", "--timings"], "0");
    let line = read_line(&none);
    let want = format!("{total} files ({} to read where loaded)", total - 5);
    assert!(line.ends_with(&want), "{line:?} (want {want:?})\n{}", none.stderr);
    let all = run(dir, &["--rev", "HEAD", "--timings"], "1000000000");
    assert!(read_line(&all).ends_with(&format!("{total} files (0 to read where loaded)")), "{}", all.stderr);
    write(dir, ".tollgate.yaml", "gatekeeper-in-repository: false\n");
    commit_all(dir, "no committed gatekeeper");
    let bare = run(dir, &["--rev", "HEAD", "--timings", "--no-schemas"], "1000000000");
    let line = read_line(&bare);
    assert!(line.ends_with(&format!("{total} files ({total} to read where loaded)")), "{line:?}\n{}", bare.stderr);
}

/// The files of the CRD pass are evaluated during it, once, when no later CRD can change how
/// they validate, and read exactly as the main pass reads the others: a bundle holding a Widget
/// CRD, a Widget and a Deployment is evaluated there (the Widget against the CRD beside it); a
/// bundle holding a Gadget whose CRD comes later in path order waits for the main pass (checked
/// against that CRD, not "no schema"); a CRD that a later kustomization names as a patch is a
/// partial object (no missing required field). Whatever the budget and the thread count, each
/// document is counted and reported once, and the report is the same byte for byte.
#[test]
fn files_of_the_crd_pass_are_evaluated_there_once_when_no_later_crd_can_change_them() {
    let r = repo();
    let root = r.path();
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 0}\n";
    write(root, "crds/a-widgets.yaml", format!("{CRD}---\n{widget}---\n{}", deployment(1)));
    let gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 0}\n";
    write(
        root,
        "crds/b-early-gadget.yaml",
        format!("{}---\n{gadget}", CRD.replace("widget", "thing").replace("Widget", "Thing")),
    );
    // Copies of the Widget CRD, so that the Gadget CRD is in a later batch of the CRD pass
    // whatever the thread count (a batch is 4 files per thread).
    for i in 0..8 {
        write(root, &format!("crds/f-{i}.yaml"), CRD);
    }
    // Like the Widget's: `spec.size` at least 1.
    write(root, "crds/z-gadget-crd.yaml", CRD.replace("widget", "gadget").replace("Widget", "Gadget"));
    write(root, "base/crd-patch.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\nspec:\n  versions: []\n");
    write(
        root,
        "overlay/kustomization.yaml",
        "resources: [../crds/z-gadget-crd.yaml]\npatches:\n  - path: ../base/crd-patch.yaml\n",
    );
    for i in 2..6 {
        write(root, &format!("apps/app-{i}.yaml"), deployment(i));
    }
    let policy = "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tendswith(c.image, \":latest\")\n\tmsg := sprintf(\"%s uses a latest image\", [input.metadata.name])\n}\n";
    write(root, "policy/main.rego", policy);
    commit_all(root, "repository");
    let mut reports = Vec::new();
    for (args, budget) in
        [(&["--rev", "HEAD"][..], "1000000000"), (&["--rev", "HEAD"], "0"), (&["--rev", "HEAD", "-j", "1"], "0")]
    {
        let run = run(root, &[args, &["--timings", "-p", "policy"]].concat(), budget);
        run.expect_code(1);
        let crds = run.stderr.lines().find(|l| l.starts_with("timing: crds")).unwrap_or_default().to_string();
        assert!(crds.ends_with("3 CRD kinds; 11 files evaluated with them"), "{crds:?}\n{}", run.stderr);
        reports.push(run.stdout.clone());
        let report = run.json();
        // 17 files: 3 + 2 + 8 + 1 documents in crds/, 1 in base/, 4 Deployments, the kustomization.
        assert_eq!(summary(&report)[..2], [17, 20], "{}", run.stdout);
        let at = |rule: &str, file: &str| {
            findings(&report)
                .iter()
                .filter(|f| f["rule"].as_str() == Some(rule) && f["file"].as_str() == Some(file))
                .count()
        };
        assert_eq!(at("schema/invalid-value", "crds/a-widgets.yaml"), 1, "{}", run.stdout);
        assert_eq!(at("schema/invalid-value", "crds/b-early-gadget.yaml"), 1, "{}", run.stdout);
        assert_eq!(at("schema/missing", "crds/b-early-gadget.yaml"), 0, "{}", run.stdout);
        assert_eq!(at("schema/missing-required", "base/crd-patch.yaml"), 0, "{}", run.stdout);
        // The Deployment of the bundle has the findings of every other Deployment, once.
        let of = |file: &str| {
            let mut rules: Vec<String> = findings(&report)
                .iter()
                .filter(|f| f["file"].as_str() == Some(file))
                .filter_map(|f| f["rule"].as_str().map(str::to_string))
                .filter(|r| !r.starts_with("schema/"))
                .collect();
            rules.sort();
            rules
        };
        assert!(!of("apps/app-2.yaml").is_empty());
        assert_eq!(of("crds/a-widgets.yaml"), of("apps/app-2.yaml"), "{}", run.stdout);
    }
    assert!(reports.iter().all(|r| *r == reports[0]), "the reports differ with the budget or the thread count");
}
