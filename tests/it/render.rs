//! `--render`: Kustomize roots built by the real `kubectl kustomize`, their objects checked like
//! plain manifests, findings mapped back to the patch, base or kustomization line that a user
//! edits; failures, remote bases, escapes and missing renderers reported, never a silent pass.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

/// Whether `kubectl` (with kustomize built in) is here; in CI (`CI` set) its absence fails.
fn kubectl_here(test: &str) -> bool {
    let ok =
        std::process::Command::new("kubectl").args(["version", "--client"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "kubectl is needed by the render tests (apt install kubectl)");
        skipped(test, "kubectl not on PATH");
    }
    ok
}

/// A repository holding `fixtures/render/kustomize`, committed.
fn kustomize_repo() -> tempfile::TempDir {
    let dir = repo();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/render/kustomize");
    copy_tree(&src, dir.path());
    commit_all(dir.path(), "fixtures");
    dir
}

/// (rule, file, line, rendered root) of every finding.
fn located(report: &Value) -> Vec<(String, String, u64, String)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["rendered"]["root"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The one finding of `rule` whose message contains `part`.
#[track_caller]
fn hit<'a>(report: &'a Value, rule: &str, part: &str) -> &'a Value {
    let hits: Vec<&Value> = findings(report)
        .iter()
        .filter(|f| f["rule"] == rule && f["message"].as_str().is_some_and(|m| m.contains(part)))
        .collect();
    assert_eq!(hits.len(), 1, "want one finding {rule} with {part:?} in {report:#}");
    hits[0]
}

fn has(report: &Value, rule: &str, file: &str, line: u64, root: &str) -> bool {
    located(report).contains(&(rule.into(), file.into(), line, root.into()))
}

#[test]
fn rendered_objects_are_checked_and_findings_point_at_the_line_to_edit() {
    if !kubectl_here("rendered_objects_are_checked_and_findings_point_at_the_line_to_edit") {
        return;
    }
    let dir = kustomize_repo();
    let run = tollgate(dir.path(), &["check", "--render", "--builtin", "all", "-o", "json", "apps"]);
    run.expect_code(1);
    let r = run.json();
    let prod = "apps/web/overlays/prod";
    let dev = "apps/web/overlays/dev";
    // A field a patch sets is at the patch: a strategic-merge file, a component's patch, an
    // inline JSON 6902 patch (its entry in the kustomization).
    assert!(has(&r, "k8s/privileged-container", "apps/web/overlays/prod/debug.yaml", 11, prod), "{:#?}", located(&r));
    assert!(has(&r, "k8s/missing-pdb", "apps/web/components/ha/replicas.yaml", 6, prod), "{:#?}", located(&r));
    assert!(
        has(&r, "k8s/exposed-service", "apps/web/overlays/prod/kustomization.yaml", 11, prod),
        "{:#?}",
        located(&r)
    );
    assert!(has(&r, "k8s/host-namespace", "apps/web/overlays/dev/host-network.yaml", 8, dev), "{:#?}", located(&r));
    // A generated ConfigMap's key is at the line of the env file that gave it.
    assert!(has(&r, "gitops/configmap-credential", "apps/web/overlays/prod/web.env", 3, prod), "{:#?}", located(&r));
    // A field of the base is at the base, once per root that renders it (two findings, two
    // fingerprints).
    let image: Vec<&Value> = findings(&r).iter().filter(|f| f["rule"] == "k8s/image-without-digest").collect();
    assert_eq!(image.len(), 2, "{image:#?}");
    for f in &image {
        assert_eq!((f["file"].as_str(), f["line"].as_u64()), (Some("apps/web/base/deployment.yaml"), Some(19)));
    }
    assert_ne!(image[0]["fingerprint"], image[1]["fingerprint"]);
    // The object as the cluster gets it: prefixed and in its overlay's namespace.
    let privileged = hit(&r, "k8s/privileged-container", "is privileged");
    assert_eq!(privileged["rendered"]["by"], "kustomize");
    assert_eq!(privileged["rendered"]["object"]["name"], "prod-web");
    assert_eq!(privileged["rendered"]["object"]["namespace"], "prod");
    assert_eq!(privileged["resource"]["name"], "prod-web");
    // Files a root reads are judged through the render only: nothing raw under apps/web.
    let raw: Vec<&Value> = findings(&r).iter().filter(|f| f["rendered"].is_null()).collect();
    assert!(raw.is_empty(), "{raw:#?}");
    // The annotations tollgate asked kustomize for never reach a policy.
    assert!(!run.stdout.contains("config.kubernetes.io/origin"));
    // SARIF carries the same places and the render, and stays valid; the human report says
    // which render each finding came from.
    let sarif = tollgate(dir.path(), &["check", "--render", "-o", "sarif", "apps/web/overlays/prod"]);
    assert_eq!(sarif_schema_errors(&sarif.stdout), Vec::<String>::new());
    let s: Value = serde_json::from_str(&sarif.stdout).unwrap_or_else(|e| panic!("{e}"));
    let results = s["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    let priv_result = results.iter().find(|r| r["ruleId"] == "k8s/privileged-container");
    let priv_result = priv_result.unwrap_or_else(|| panic!("{}", sarif.stdout));
    let loc = &priv_result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "apps/web/overlays/prod/debug.yaml");
    assert_eq!(loc["region"]["startLine"], 11);
    assert_eq!(priv_result["properties"]["rendered"]["root"], prod);
    let human = tollgate(dir.path(), &["check", "--render", "apps/web/overlays/prod"]);
    assert!(human.stdout.contains("rendered by kustomize from apps/web/overlays/prod"), "{}", human.stdout);
    assert!(human.stdout.contains("privileged: true"), "{}", human.stdout);
}

#[test]
fn without_render_the_files_are_read_as_they_are() {
    let dir = kustomize_repo();
    let r = tollgate(dir.path(), &["check", "--builtin", "all", "-o", "json", "apps"]).json();
    let privileged = hit(&r, "k8s/privileged-container", "is privileged");
    assert!(privileged["rendered"].is_null());
    assert_eq!(privileged["resource"]["name"], "web");
}

#[test]
fn a_render_that_fails_is_an_error_at_its_root_and_its_files_are_still_checked() {
    if !kubectl_here("a_render_that_fails_is_an_error_at_its_root_and_its_files_are_still_checked") {
        return;
    }
    let dir = kustomize_repo();
    let run = tollgate(dir.path(), &["check", "--render", "--builtin", "all", "-o", "json"]);
    run.expect_code(1);
    let r = run.json();
    let failed = hit(&r, "render/failed", "no resource matches");
    assert_eq!(failed["file"], "broken/kustomization.yaml");
    assert_eq!(failed["severity"], "error");
    // kubectl's log prefix and the private directory are not in the message.
    let message = failed["message"].as_str().unwrap_or("");
    assert!(!message.contains("run.go") && !message.contains("tollgate-render-"), "{message}");
    // The other roots were rendered all the same.
    assert!(findings(&r).iter().any(|f| f["rendered"]["root"] == "apps/web/overlays/prod"));
    // Its files are checked as plain files (a failed render hides nothing).
    assert!(findings(&r).iter().any(|f| f["file"] == "broken/deployment.yaml" && f["rendered"].is_null()));
}

#[test]
fn remote_bases_are_not_fetched_and_the_rest_is_rendered() {
    if !kubectl_here("remote_bases_are_not_fetched_and_the_rest_is_rendered") {
        return;
    }
    let dir = kustomize_repo();
    let r = tollgate(dir.path(), &["check", "--render", "-o", "json", "remote"]).json();
    let note = hit(&r, "render/remote", "github.com/acme/platform");
    assert_eq!((note["file"].as_str(), note["line"].as_u64()), (Some("remote/kustomization.yaml"), Some(4)));
    assert_eq!(note["severity"], "note");
    // `parse --render` shows what the root renders without it, with where each object came from.
    let parsed = tollgate(dir.path(), &["parse", "--render", "remote"]);
    parsed.expect_code(0);
    let docs: Value = serde_json::from_str(&parsed.stdout).unwrap_or_else(|e| panic!("{e}: {}", parsed.stdout));
    let docs = docs.as_array().cloned().unwrap_or_default();
    assert_eq!(docs.len(), 1, "{docs:#?}");
    assert_eq!(docs[0]["origin"]["file"], "remote/configmap.yaml");
    assert_eq!(docs[0]["rendered"]["root"], "remote");
    assert_eq!(docs[0]["input"]["data"]["region"], "eu-west-1");
    assert!(parsed.stderr.contains("render/remote"), "{}", parsed.stderr);
}

#[test]
fn a_root_that_reaches_outside_the_repository_is_refused() {
    if !kubectl_here("a_root_that_reaches_outside_the_repository_is_refused") {
        return;
    }
    let dir = repo();
    write(dir.path(), "escape/kustomization.yaml", "resources:\n  - ../../../../../../etc\n");
    write(dir.path(), "abs/kustomization.yaml", "configMapGenerator:\n  - name: x\n    files:\n      - /etc/passwd\n");
    commit_all(dir.path(), "escapes");
    let run = tollgate(dir.path(), &["check", "--render", "-o", "json"]);
    run.expect_code(1);
    let r = run.json();
    for file in ["escape/kustomization.yaml", "abs/kustomization.yaml"] {
        let f = findings(&r).iter().find(|f| f["file"] == file && f["rule"] == "render/failed");
        let f = f.unwrap_or_else(|| panic!("no render/failed at {file}: {}", run.stdout));
        assert!(f["message"].as_str().unwrap_or("").contains("outside the repository"), "{f}");
    }
    assert!(!run.stdout.contains("root:x:0:0"));
}

#[test]
fn a_working_tree_render_reads_only_what_git_tracks() {
    if !kubectl_here("a_working_tree_render_reads_only_what_git_tracks") {
        return;
    }
    let dir = repo();
    write(
        dir.path(),
        "app/kustomization.yaml",
        "secretGenerator:\n  - name: creds\n    envs:\n      - ci-credentials.env\n",
    );
    commit_all(dir.path(), "app");
    // A file in the workspace nobody committed (a CI credential, say).
    write(dir.path(), "app/ci-credentials.env", "TOKEN=hunter2\n");
    let run = tollgate(dir.path(), &["check", "--render", "-o", "json"]);
    run.expect_code(1);
    let f = hit(&run.json(), "render/failed", "not tracked by git").clone();
    assert_eq!(f["file"], "app/kustomization.yaml");
    assert!(!run.stdout.contains("hunter2"));
}

#[test]
fn rev_renders_from_git_objects_not_the_working_tree() {
    if !kubectl_here("rev_renders_from_git_objects_not_the_working_tree") {
        return;
    }
    let dir = kustomize_repo();
    // The working tree no longer has the patch: --rev reads the commit.
    std::fs::remove_file(dir.path().join("apps/web/overlays/prod/debug.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let r = tollgate(dir.path(), &["check", "--render", "--rev", "HEAD", "-o", "json", "apps"]).json();
    assert!(has(&r, "k8s/privileged-container", "apps/web/overlays/prod/debug.yaml", 11, "apps/web/overlays/prod"));
    let staged = tollgate(dir.path(), &["check", "--render", "--staged", "-o", "json", "apps"]).json();
    assert!(has(
        &staged,
        "k8s/privileged-container",
        "apps/web/overlays/prod/debug.yaml",
        11,
        "apps/web/overlays/prod"
    ));
}

#[test]
fn pr_mode_blocks_what_the_change_adds_through_the_render_with_the_merge_base_settings() {
    if !kubectl_here("pr_mode_blocks_what_the_change_adds_through_the_render_with_the_merge_base_settings") {
        return;
    }
    let dir = kustomize_repo();
    let root = dir.path();
    write(root, ".tollgate.yaml", "render: [kustomize]\n");
    commit_all(root, "render in the gate's config");
    git(root, &["checkout", "-q", "-b", "change"]);
    // The pull request turns rendering off for itself, shifts the base's lines, and adds a
    // privileged setting through the dev overlay's patch.
    write(root, ".tollgate.yaml", "{}\n");
    let base = std::fs::read_to_string(root.join("apps/web/base/deployment.yaml")).unwrap_or_default();
    write(root, "apps/web/base/deployment.yaml", format!("# the web tier\n{base}"));
    write(
        root,
        "apps/web/overlays/dev/host-network.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      hostPID: true\n",
    );
    commit_all(root, "change");
    let run = tollgate(root, &["check", "--base", "main", "-o", "json"]);
    run.expect_code(1);
    let r = run.json();
    let new: Vec<(String, String, u64, String)> = findings(&r)
        .iter()
        .filter(|f| f["new"] == true && f["severity"] != "note")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").into(),
                f["file"].as_str().unwrap_or("").into(),
                f["line"].as_u64().unwrap_or(0),
                f["rendered"]["root"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    // Only the new host namespace is new: the base's findings moved a line, their fingerprints
    // did not.
    assert_eq!(
        new,
        [(
            "k8s/host-namespace".to_string(),
            "apps/web/overlays/dev/host-network.yaml".to_string(),
            9,
            "apps/web/overlays/dev".to_string()
        )],
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_renderer_is_exit_2_saying_how_to_install_one_only_when_there_is_a_root() {
    let dir = kustomize_repo();
    let empty = tempdir();
    let path = empty.path().to_string_lossy().into_owned();
    let run = tollgate_clean_env(dir.path(), &["check", "--render"], &[("PATH", &path)]);
    run.expect_code(2);
    assert!(run.stderr.contains("kubectl") && run.stderr.contains("--kustomize"), "{}", run.stderr);
    // No root to render: no renderer needed.
    let plain = repo();
    write(plain.path(), "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n");
    commit_all(plain.path(), "plain");
    tollgate_clean_env(plain.path(), &["check", "--render"], &[("PATH", &path)]).expect_code(0);
}

#[test]
fn a_renderer_inside_the_repository_is_never_run() {
    let dir = kustomize_repo();
    // A `kubectl` the pull request adds, and a PATH that names the repository (or `.`).
    write(dir.path(), "bin/kubectl", "#!/bin/sh\necho pwned > pwned.txt\n");
    std::process::Command::new("chmod").args(["+x", "bin/kubectl"]).current_dir(dir.path()).status().ok();
    let path = format!("{}:bin:.", dir.path().join("bin").display());
    let run = tollgate_clean_env(dir.path(), &["check", "--render"], &[("PATH", &path)]);
    run.expect_code(2);
    assert!(!dir.path().join("pwned.txt").exists());
    assert!(!dir.path().join("bin/pwned.txt").exists());
}

/// A repository holding `fixtures/render/helm/repo`, committed.
fn helm_repo() -> tempfile::TempDir {
    let dir = repo();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/render/helm/repo");
    copy_tree(&src, dir.path());
    commit_all(dir.path(), "charts");
    dir
}

#[test]
fn helm_charts_and_the_applications_that_point_at_them_are_rendered() {
    let Some(bin) = helm_engine() else { return };
    let dir = helm_repo();
    let path = path_with(&bin);
    let run =
        tollgate_env(dir.path(), &["check", "--render", "--builtin", "all", "-o", "json"], None, &[("PATH", &path)]);
    run.expect_code(1);
    let r = run.json();
    let template = "charts/web/templates/deployment.yaml";
    // The Argo CD Application's values make the image :latest: reported at the template's
    // `image:` line, for that render only, on the object as it installs (its namespace set).
    let latest: Vec<&Value> = findings(&r).iter().filter(|f| f["rule"] == "k8s/mutable-image-tag").collect();
    assert_eq!(latest.len(), 1, "{latest:#?}");
    assert_eq!((latest[0]["file"].as_str(), latest[0]["line"].as_u64()), (Some(template), Some(22)));
    assert_eq!(latest[0]["rendered"]["by"], "helm");
    assert_eq!(latest[0]["rendered"]["root"], "apps/web-argo.yaml");
    assert_eq!(latest[0]["rendered"]["object"]["name"], "web-prod");
    assert_eq!(latest[0]["rendered"]["object"]["namespace"], "prod");
    // The chart on its own, and the Flux HelmRelease, are renders of their own (the umbrella
    // chart renders only ConfigMaps, which pass).
    let roots: std::collections::BTreeSet<&str> =
        findings(&r).iter().filter_map(|f| f["rendered"]["root"].as_str()).collect();
    assert_eq!(roots, ["apps/web-argo.yaml", "apps/web-flux.yaml", "charts/web"].into());
    // Replicas come from the values; the finding is at the template's line that sets them.
    assert!(has(&r, "k8s/missing-pdb", template, 8, "charts/web"), "{:#?}", located(&r));
    // A template that renders invalid YAML: the chart's render fails, with helm's message.
    let failed = hit(&r, "render/failed", "YAML");
    assert_eq!(failed["file"], "charts/broken/Chart.yaml");
    // A dependency not vendored under charts/ is not fetched; the chart renders without it.
    let remote = hit(&r, "render/remote", "redis");
    assert_eq!(remote["file"], "charts/remote/Chart.yaml");
    // The chart's templates are judged through its renders, never raw (no helm-template notes).
    let raw: Vec<&Value> = findings(&r)
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|p| p.starts_with("charts/web/")) && f["rendered"].is_null())
        .collect();
    assert!(raw.is_empty(), "{raw:#?}");
    // The Application and HelmRelease themselves are still checked as manifests.
    assert!(findings(&r).iter().any(|f| f["file"] == "apps/web-argo.yaml" && f["rendered"].is_null()));
}

#[test]
fn helm_from_the_command_line_and_parse_render() {
    let Some(bin) = helm_engine() else { return };
    let dir = helm_repo();
    let helm = bin.join("helm");
    let helm = helm.to_string_lossy();
    let r =
        tollgate(dir.path(), &["check", "--render", "--helm", &helm, "--builtin", "all", "-o", "json", "charts/web"])
            .json();
    assert!(findings(&r).iter().all(|f| f["rendered"]["by"] == "helm" || f["rendered"].is_null()));
    assert!(findings(&r).iter().any(|f| f["rendered"]["root"] == "charts/web"));
    let parsed = tollgate(dir.path(), &["parse", "--render", "--helm", &helm, "charts/web"]);
    parsed.expect_code(0);
    let docs: Value = serde_json::from_str(&parsed.stdout).unwrap_or_else(|e| panic!("{e}: {}", parsed.stdout));
    let deployment = docs
        .as_array()
        .and_then(|d| d.iter().find(|x| x["input"]["kind"] == "Deployment" && x["rendered"]["root"] == "charts/web"))
        .unwrap_or_else(|| panic!("{}", parsed.stdout));
    assert_eq!(deployment["origin"]["file"], "charts/web/templates/deployment.yaml");
    // A vendored subchart renders with its parent, not as a root of its own.
    let umbrella = tollgate(dir.path(), &["parse", "--render", "--helm", &helm, "charts/umbrella"]);
    let docs: Value = serde_json::from_str(&umbrella.stdout).unwrap_or_else(|e| panic!("{e}: {}", umbrella.stdout));
    let docs = docs.as_array().cloned().unwrap_or_default();
    assert!(!docs.is_empty());
    assert!(docs.iter().all(|d| d["rendered"]["root"] == "charts/umbrella"), "{docs:#?}");
    assert!(docs.iter().any(|d| d["origin"]["file"] == "charts/umbrella/charts/common/templates/configmap.yaml"));
}

#[test]
fn a_change_cannot_hide_a_root_by_wrapping_it_in_a_new_kustomization() {
    if !kubectl_here("a_change_cannot_hide_a_root_by_wrapping_it_in_a_new_kustomization") {
        return;
    }
    let dir = kustomize_repo();
    let root = dir.path();
    git(root, &["checkout", "-q", "-b", "change"]);
    // The dev overlay (what the controller applies) gains hostPID; a new kustomization wraps the
    // overlay, so it is no longer a root, and patches hostPID away in its own output.
    write(
        root,
        "apps/web/overlays/dev/host-network.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      hostPID: true\n",
    );
    write(
        root,
        "wrap/kustomization.yaml",
        "resources:\n  - ../apps/web/overlays/dev\npatches:\n  - path: quiet.yaml\n",
    );
    write(
        root,
        "wrap/quiet.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostPID: false\n",
    );
    commit_all(root, "wrap");
    let run = tollgate(root, &["check", "--render", "--base", "main", "-o", "json", "apps", "wrap"]);
    run.expect_code(1);
    let r = run.json();
    // The merge-base's root is still rendered as it is: its new hostPID is new.
    let pid = findings(&r).iter().find(|f| {
        f["new"] == true && f["rule"] == "k8s/host-namespace" && f["rendered"]["root"] == "apps/web/overlays/dev"
    });
    assert!(pid.is_some(), "{}", run.stdout);
}

/// The fixture plus a commit that wraps the dev overlay in a new kustomization whose patch turns
/// the overlay's `hostNetwork: true` off in the wrapper's own output, and the GitOps object
/// `declare` (at `clusters/dev.yaml`) that applies the dev overlay itself.
fn wrapped_overlay_repo(declare: &str) -> tempfile::TempDir {
    let dir = kustomize_repo();
    let root = dir.path();
    write(root, "clusters/dev.yaml", declare);
    write(
        root,
        "wrap/kustomization.yaml",
        "resources:\n  - ../apps/web/overlays/dev\npatches:\n  - path: quiet.yaml\n",
    );
    write(
        root,
        "wrap/quiet.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostNetwork: false\n",
    );
    commit_all(root, "wrap the dev overlay");
    dir
}

/// Whether the run reports the dev overlay's host network at its patch line, rendered from `root`.
fn host_network_through(report: &Value, root: &str) -> bool {
    has(report, "k8s/host-namespace", "apps/web/overlays/dev/host-network.yaml", 8, root)
}

#[test]
fn a_directory_a_flux_kustomization_applies_is_a_root_even_when_a_commit_wraps_it() {
    if !kubectl_here("a_directory_a_flux_kustomization_applies_is_a_root_even_when_a_commit_wraps_it") {
        return;
    }
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web-dev\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/web/overlays/dev\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
    let dir = wrapped_overlay_repo(flux);
    let root = dir.path();
    // No merge-base to keep roots from: the working tree, a commit, the index (pre-commit).
    for args in [
        &["check", "--render", "--builtin", "all", "-o", "json"][..],
        &["check", "--render", "--builtin", "all", "--rev", "HEAD", "-o", "json"],
        &["check", "--render", "--builtin", "all", "--staged", "-o", "json"],
        &["check", "--render", "--builtin", "all", "-o", "json", "apps/web/overlays/dev"],
    ] {
        let run = tollgate(root, args);
        run.expect_code(1);
        let r = run.json();
        // Flux applies the overlay itself: it is judged as it is, whatever the wrapper patches.
        assert!(host_network_through(&r, "apps/web/overlays/dev"), "{args:?}: {:#?}", located(&r));
        // The wrapper is a root too (something may apply it), judged as it renders: each render
        // is what a controller applies, each with its own findings (the base's image, once per
        // root) and fingerprints.
        assert!(!host_network_through(&r, "wrap"), "{args:?}: {:#?}", located(&r));
        let roots: std::collections::BTreeSet<&str> =
            findings(&r).iter().filter_map(|f| f["rendered"]["root"].as_str()).collect();
        let want: &[&str] = match args.last() {
            Some(&"apps/web/overlays/dev") => &["apps/web/overlays/dev", "wrap"],
            _ => &["apps/web/overlays/dev", "apps/web/overlays/prod", "wrap"],
        };
        assert_eq!(roots.into_iter().collect::<Vec<_>>(), want, "{args:?}");
        // The overlay's files are still judged through renders only, never raw.
        let raw: Vec<&Value> = findings(&r)
            .iter()
            .filter(|f| f["rendered"].is_null() && f["file"].as_str().is_some_and(|p| p.starts_with("apps/")))
            .collect();
        assert!(raw.is_empty(), "{args:?}: {raw:#?}");
    }
}

#[test]
fn a_directory_an_argo_application_applies_is_a_root_even_when_a_commit_wraps_it() {
    if !kubectl_here("a_directory_an_argo_application_applies_is_a_root_even_when_a_commit_wraps_it") {
        return;
    }
    // A multi-source Application: a chart from elsewhere and the overlay of this repository.
    let argo = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-dev\n  namespace: argocd\nspec:\n  project: default\n  sources:\n    - repoURL: https://charts.example.com\n      chart: redis\n      targetRevision: 1.0.0\n    - repoURL: https://git.example.com/acme/gitops.git\n      path: apps/web/overlays/dev\n      targetRevision: main\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: dev\n";
    let dir = wrapped_overlay_repo(argo);
    let run = tollgate(dir.path(), &["check", "--render", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(1);
    let r = run.json();
    assert!(host_network_through(&r, "apps/web/overlays/dev"), "{:#?}", located(&r));
    // The single-source form.
    let single = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-dev\nspec:\n  source:\n    repoURL: https://git.example.com/acme/gitops.git\n    path: ./apps/web/overlays/dev/\n  destination:\n    namespace: dev\n";
    let dir = wrapped_overlay_repo(single);
    let r = tollgate(dir.path(), &["check", "--render", "--rev", "HEAD", "-o", "json"]).json();
    assert!(host_network_through(&r, "apps/web/overlays/dev"), "{:#?}", located(&r));
    // An ApplicationSet whose git generator matches the overlays makes an Application per overlay.
    let set = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\nspec:\n  goTemplate: true\n  generators:\n    - git:\n        repoURL: https://git.example.com/acme/gitops.git\n        revision: HEAD\n        directories:\n          - path: apps/web/overlays/*\n  template:\n    metadata:\n      name: 'web-{{.path.basename}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.com/acme/gitops.git\n        path: '{{.path.path}}'\n      destination:\n        namespace: '{{.path.basename}}'\n";
    let dir = wrapped_overlay_repo(set);
    let r = tollgate(dir.path(), &["check", "--render", "--rev", "HEAD", "-o", "json"]).json();
    assert!(host_network_through(&r, "apps/web/overlays/dev"), "{:#?}", located(&r));
    // Excluded, the overlay is judged through its wrapper only, as with no GitOps object.
    let excluded = set.replace(
        "          - path: apps/web/overlays/*\n",
        "          - path: apps/web/overlays/*\n          - path: apps/web/overlays/dev\n            exclude: true\n",
    );
    let dir = wrapped_overlay_repo(&excluded);
    let r = tollgate(dir.path(), &["check", "--render", "--rev", "HEAD", "-o", "json"]).json();
    assert!(!host_network_through(&r, "apps/web/overlays/dev"), "{:#?}", located(&r));
}

#[test]
fn without_a_gitops_object_applying_it_a_wrapped_overlay_is_judged_through_its_wrapper() {
    if !kubectl_here("without_a_gitops_object_applying_it_a_wrapped_overlay_is_judged_through_its_wrapper") {
        return;
    }
    // A Flux Kustomization for another path, a path outside the repository and one without a
    // kustomization: none of them makes the dev overlay a root.
    let other = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\nspec:\n  path: ./apps/web/overlays/prod\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: b\nspec:\n  path: ../../apps/web/overlays/dev\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: c\nspec:\n  path: ./nothing/here\n";
    let dir = wrapped_overlay_repo(other);
    let run = tollgate(dir.path(), &["check", "--render", "--rev", "HEAD", "-o", "json"]);
    let r = run.json();
    assert!(!host_network_through(&r, "apps/web/overlays/dev"), "{:#?}", located(&r));
    assert!(!host_network_through(&r, "wrap"), "{:#?}", located(&r));
    assert!(
        findings(&r).iter().all(|f| f["rule"] != "render/failed" || f["file"] == "broken/kustomization.yaml"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_untracked_manifest_in_the_working_tree_does_not_stop_the_render() {
    if !kubectl_here("an_untracked_manifest_in_the_working_tree_does_not_stop_the_render") {
        return;
    }
    let dir = kustomize_repo();
    // A file nobody committed: the search for Flux and Argo CD objects leaves it, as git does.
    write(
        dir.path(),
        "clusters/draft.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: draft\nspec:\n  path: ./apps/web/base\n",
    );
    let run = tollgate(dir.path(), &["check", "--render", "-o", "json", "apps"]);
    run.expect_code(1);
    let r = run.json();
    assert!(has(&r, "k8s/host-namespace", "apps/web/overlays/dev/host-network.yaml", 8, "apps/web/overlays/dev"));
    // Not committed, so not what Flux applies: the base is not made a root by it.
    assert!(findings(&r).iter().all(|f| f["rendered"]["root"] != "apps/web/base"), "{:#?}", located(&r));
}

/// A directory with no kustomization that Flux or Argo CD applies: the controller applies its
/// files as they are (Flux generates a kustomization of them, recursively; Argo CD reads the plain
/// directory, recursively only with `directory.recurse`). A kustomization above it that lists one
/// of them and patches it is a root of its own, but does not stand in for the file: the file is
/// still judged as written.
#[test]
fn a_plain_directory_a_controller_applies_is_judged_as_written_even_when_a_commit_wraps_it() {
    if !kubectl_here("a_plain_directory_a_controller_applies_is_judged_as_written_even_when_a_commit_wraps_it") {
        return;
    }
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent\nspec:\n  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      hostNetwork: true\n      containers:\n        - name: agent\n          image: registry.example.com/agent@sha256:0000000000000000000000000000000000000000000000000000000000000000\n";
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: agent\n  namespace: flux-system\nspec:\n  path: ./infra/agent\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
    let argo = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: agent\nspec:\n  source:\n    repoURL: https://git.example.com/acme/gitops.git\n    path: infra/agent\n  destination:\n    namespace: agent\n";
    let quiet = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      hostNetwork: false\n";
    for (declare, nested) in [(flux, true), (argo, false)] {
        let dir = repo();
        let root = dir.path();
        write(root, "clusters/agent.yaml", declare);
        write(root, "infra/agent/deploy.yaml", deploy);
        write(root, "infra/agent/more/deploy.yaml", deploy.replace("name: agent\nspec", "name: agent-2\nspec"));
        // A kustomization below it, which Flux's generated kustomization takes in whole.
        write(root, "infra/agent/kz/kustomization.yaml", "resources:\n  - deploy.yaml\n");
        write(root, "infra/agent/kz/deploy.yaml", deploy.replace("name: agent\nspec", "name: agent-3\nspec"));
        commit_all(root, "a plain directory a controller applies");
        // The wrapper: in the parent, so kustomize's load restrictor lets it list the files.
        write(
            root,
            "infra/kustomization.yaml",
            "resources:\n  - agent/deploy.yaml\n  - agent/more/deploy.yaml\n  - agent/kz\npatches:\n  - path: quiet.yaml\n  - path: quiet-2.yaml\n  - path: quiet-3.yaml\n",
        );
        write(root, "infra/quiet-3.yaml", quiet.replace("name: agent\n", "name: agent-3\n"));
        write(root, "infra/quiet.yaml", quiet);
        write(root, "infra/quiet-2.yaml", quiet.replace("name: agent\n", "name: agent-2\n"));
        commit_all(root, "wrap it");
        for args in [
            &["check", "--render", "--builtin", "all", "-o", "json"][..],
            &["check", "--render", "--builtin", "all", "--rev", "HEAD", "-o", "json"],
        ] {
            let run = tollgate(root, args);
            run.expect_code(1);
            let r = run.json();
            let raw = |file: &str| has(&r, "k8s/host-namespace", file, 12, "");
            assert!(raw("infra/agent/deploy.yaml"), "{declare} {args:?}: {:#?}", located(&r));
            // Flux's generated kustomization takes the subdirectory too; Argo CD's plain directory
            // does not (no `directory.recurse`), so there the wrapper's render is what counts.
            assert_eq!(raw("infra/agent/more/deploy.yaml"), nested, "{declare} {args:?}: {:#?}", located(&r));
            let kz = has(&r, "k8s/host-namespace", "infra/agent/kz/deploy.yaml", 12, "infra/agent/kz");
            assert_eq!(kz, nested, "{declare} {args:?}: {:#?}", located(&r));
        }
    }
}
