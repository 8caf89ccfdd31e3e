//! The tests' Helm engine (`tests/bin/helm`, Helm v4's Go SDK through the `helm-python-sdk` wheel)
//! behaves as `helm template` on `fixtures/render/helm/repo`: the chart `web` rendered with each
//! source of values a GitOps repository gives it (the chart's own `values.yaml`, an Argo CD
//! Application's `valueFiles` + `valuesObject`, a Flux HelmRelease's `values`) equals the output in
//! `fixtures/render/helm/expected/`, documents framed and ordered as helm does; failures exit 1
//! with helm's message; nothing remote is fetched.
//!
//! Without the engine these tests print `SKIPPED` and pass, except under CI (`common::helm_engine`).

use crate::common::{self, Run};

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/render/helm/repo")
}

fn expected(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/render/helm/expected").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `helm ARGS` run in the fixture repository.
fn helm(bin: &Path, args: &[&str]) -> Run {
    common::run_program(&bin.join("helm"), &repo(), args, &[])
}

/// The first document of `file` (in the fixture repository) as tollgate reads it.
fn document(file: &str) -> Value {
    let run = common::tollgate(&repo(), &["parse", file]);
    run.expect_code(0);
    run.json()[0]["input"].clone()
}

/// A values file holding `values` (JSON is YAML), as a renderer writes inline values for helm.
fn values_file(dir: &Path, name: &str, values: &Value) -> String {
    assert!(values.is_object(), "values must be a mapping: {values}");
    let path = dir.join(name);
    std::fs::write(&path, values.to_string()).expect("write values file");
    path.display().to_string()
}

#[track_caller]
fn assert_output(run: &Run, want: &str) {
    run.expect_code(0);
    assert_eq!(run.stderr, "", "stderr");
    assert_eq!(run.stdout, want, "helm template output");
}

/// `(source, kind)` of each document of a `helm template` output, checking the framing on the way:
/// each document starts with `---` and a `# Source: CHART/templates/...` line.
fn sources_and_kinds(out: &str) -> Vec<(String, String)> {
    let docs: Vec<&str> = out.split("---\n").collect();
    assert_eq!(docs[0], "", "output starts with ---");
    docs[1..]
        .iter()
        .map(|doc| {
            let source = doc.lines().next().and_then(|l| l.strip_prefix("# Source: ")).expect("# Source: line first");
            let kind = doc.lines().find_map(|l| l.strip_prefix("kind: ")).expect("kind");
            (source.to_string(), kind.to_string())
        })
        .collect()
}

#[test]
fn version_prints_helms_version_line() {
    let Some(bin) = common::helm_engine() else { return };
    let run = helm(&bin, &["version"]);
    run.expect_code(0);
    assert!(run.stdout.starts_with("version.BuildInfo{Version:\"v4.2.3\""), "{}", run.stdout);
    let short = helm(&bin, &["version", "--short"]);
    assert_eq!(short.stdout, "v4.2.3\n");
    // Found through PATH, the way tollgate finds `helm`.
    let path = common::path_with(&bin);
    let via_path = common::run_program(Path::new("helm"), &repo(), &["version", "--short"], &[("PATH", &path)]);
    assert_eq!(via_path.stdout, "v4.2.3\n", "{}", via_path.stderr);
}

#[test]
fn the_expected_outputs_follow_helms_documented_order() {
    // Checked by hand against Helm's rules, without the engine: resources first, sorted by kind in
    // install order (ServiceAccount, ConfigMap, Service, Deployment, Ingress) whatever the file
    // names; hooks (the `helm.sh/hook: test` Pod) after them; each under its template's path.
    let default = sources_and_kinds(&expected("web-default.yaml"));
    let t = |file: &str, kind: &str| (format!("web/templates/{file}"), kind.to_string());
    assert_eq!(
        default,
        [
            t("serviceaccount.yaml", "ServiceAccount"),
            t("configmap.yaml", "ConfigMap"),
            t("service.yaml", "Service"),
            t("deployment.yaml", "Deployment"),
            t("tests/test-connection.yaml", "Pod"),
        ]
    );
    let argo = sources_and_kinds(&expected("web-argo.yaml"));
    assert_eq!(argo[4], t("ingress.yaml", "Ingress"), "values-prod.yaml turns the ingress on");
    assert_eq!(argo.len(), 6);
    let flux = sources_and_kinds(&expected("web-flux.yaml"));
    assert_eq!(flux[0], t("configmap.yaml", "ConfigMap"), "the HelmRelease turns the ServiceAccount off");
    assert_eq!(flux[3], t("ingress.yaml", "Ingress"));
    let umbrella = sources_and_kinds(&expected("umbrella.yaml"));
    assert_eq!(
        umbrella,
        [
            ("umbrella/charts/common/templates/configmap.yaml".into(), "ConfigMap".into()),
            ("umbrella/templates/configmap.yaml".into(), "ConfigMap".into()),
        ],
        "same kind: template path order; the switched-off subchart and its hook are absent"
    );
    // What the built-in checks are to find in the renders.
    let deployment = |out: &str| out.split("---\n").find(|d| d.contains("kind: Deployment")).unwrap_or("").to_string();
    assert!(!deployment(&expected("web-default.yaml")).contains("securityContext"));
    assert!(deployment(&expected("web-default.yaml")).contains("image: nginx:1.25.3"));
    assert!(deployment(&expected("web-argo.yaml")).contains("image: nginx:latest"));
    assert!(deployment(&expected("web-argo.yaml")).contains("runAsNonRoot: true"));
}

#[test]
fn renders_web_with_the_charts_own_values() {
    let Some(bin) = common::helm_engine() else { return };
    assert_output(
        &helm(&bin, &["template", "web", "charts/web", "--namespace", "default"]),
        &expected("web-default.yaml"),
    );
    // An absolute chart path and the short flag give the same output.
    let chart = repo().join("charts/web");
    let run = helm(&bin, &["template", "web", &chart.display().to_string(), "-n", "default"]);
    assert_output(&run, &expected("web-default.yaml"));
}

#[test]
fn renders_web_for_the_argo_cd_application() {
    let Some(bin) = common::helm_engine() else { return };
    let app = document("apps/web-argo.yaml");
    let (name, namespace) = (app["metadata"]["name"].as_str().expect("name"), &app["spec"]["destination"]["namespace"]);
    let source = &app["spec"]["source"];
    let chart = source["path"].as_str().expect("path");
    let tmp = common::tempdir();
    let mut args = vec!["template".to_string(), name.to_string(), chart.to_string()];
    args.extend(["--namespace".to_string(), namespace.as_str().expect("namespace").to_string()]);
    // Argo CD: valueFiles are relative to the chart's path; valuesObject is applied last and wins.
    for file in source["helm"]["valueFiles"].as_array().expect("valueFiles") {
        args.extend(["--values".to_string(), format!("{chart}/{}", file.as_str().expect("file"))]);
    }
    args.extend(["--values".to_string(), values_file(tmp.path(), "object.json", &source["helm"]["valuesObject"])]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_output(&helm(&bin, &args), &expected("web-argo.yaml"));
}

#[test]
fn renders_web_for_the_flux_helmrelease() {
    let Some(bin) = common::helm_engine() else { return };
    let release = document("apps/web-flux.yaml");
    let chart = release["spec"]["chart"]["spec"]["chart"].as_str().expect("chart");
    let tmp = common::tempdir();
    let values = values_file(tmp.path(), "values.json", &release["spec"]["values"]);
    let name = release["metadata"]["name"].as_str().expect("name");
    let namespace = release["metadata"]["namespace"].as_str().expect("namespace");
    assert_output(&helm(&bin, &["template", name, chart, "-n", namespace, "-f", &values]), &expected("web-flux.yaml"));
}

#[test]
fn values_files_merge_in_order_the_last_winning() {
    let Some(bin) = common::helm_engine() else { return };
    let tmp = common::tempdir();
    let one = values_file(tmp.path(), "1.json", &serde_json::json!({"replicaCount": 5, "env": {"A": "1"}}));
    let two = values_file(tmp.path(), "2.json", &serde_json::json!({"replicaCount": 7, "env": {"B": "2"}}));
    // helm's --values is a string slice: a comma separates files too.
    for files in
        [vec!["-f".to_string(), one.clone(), "-f".to_string(), two.clone()], vec![format!("--values={one},{two}")]]
    {
        let mut args = vec!["template", "w", "charts/web"];
        args.extend(files.iter().map(String::as_str));
        let run = helm(&bin, &args);
        run.expect_code(0);
        assert!(run.stdout.contains("  replicas: 7\n"), "{}", run.stdout);
        // Maps merge deeply: both files' keys and the chart's LOG_LEVEL.
        assert!(run.stdout.contains("  A: \"1\"\n  B: \"2\"\n  LOG_LEVEL: \"info\"\n"), "{}", run.stdout);
    }
}

#[test]
fn every_document_of_a_values_file_counts() {
    let Some(bin) = common::helm_engine() else { return };
    let tmp = common::tempdir();
    let file = tmp.path().join("multi.yaml");
    std::fs::write(&file, "replicaCount: 4\nenv: {A: \"1\"}\n---\n# more\nenv: {B: \"2\"}\n---  \n").expect("write");
    let run = helm(&bin, &["template", "w", "charts/web", "-f", &file.display().to_string()]);
    run.expect_code(0);
    assert!(run.stdout.contains("  replicas: 4\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  A: \"1\"\n  B: \"2\"\n  LOG_LEVEL: \"info\"\n"), "{}", run.stdout);
}

#[test]
fn a_switched_on_subchart_renders_with_its_hook_last() {
    let Some(bin) = common::helm_engine() else { return };
    assert_output(&helm(&bin, &["template", "umbrella", "charts/umbrella"]), &expected("umbrella.yaml"));
    let tmp = common::tempdir();
    let on = values_file(tmp.path(), "on.json", &serde_json::json!({"metrics": {"enabled": true}}));
    let run = helm(&bin, &["template", "umbrella", "charts/umbrella", "-f", &on]);
    run.expect_code(0);
    let got = sources_and_kinds(&run.stdout);
    let want: Vec<(String, String)> = [
        ("umbrella/charts/common/templates/configmap.yaml", "ConfigMap"),
        ("umbrella/templates/configmap.yaml", "ConfigMap"),
        ("umbrella/charts/metrics/templates/service.yaml", "Service"),
        ("umbrella/charts/metrics/templates/job.yaml", "Job"),
    ]
    .iter()
    .map(|(s, k)| (s.to_string(), k.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[track_caller]
fn assert_fails(run: &Run, message: &str) {
    run.expect_code(1);
    assert_eq!(run.stdout, "", "nothing rendered on a failure");
    assert!(run.stderr.starts_with("Error: ") && run.stderr.contains(message), "stderr: {}", run.stderr);
}

#[test]
fn a_template_that_renders_invalid_yaml_fails_with_helms_message() {
    let Some(bin) = common::helm_engine() else { return };
    let run = helm(&bin, &["template", "b", "charts/broken", "--namespace", "x"]);
    assert_fails(
        &run,
        "YAML parse error on broken/templates/configmap.yaml: error converting YAML to JSON: yaml: line 6: \
         mapping values are not allowed in this context",
    );
}

#[test]
fn a_template_error_fails_with_the_templates_location() {
    let Some(bin) = common::helm_engine() else { return };
    let tmp = common::tempdir();
    // null removes the chart's default (helm's coalescing), so `required` fails.
    let unset = values_file(tmp.path(), "unset.json", &serde_json::json!({"image": {"repository": null}}));
    let run = helm(&bin, &["template", "w", "charts/web", "-f", &unset]);
    assert_fails(&run, "execution error at (web/templates/deployment.yaml:22:20): image.repository is required");
}

#[test]
fn bad_input_fails_with_a_message() {
    let Some(bin) = common::helm_engine() else { return };
    assert_fails(
        &helm(&bin, &["template", "w", "charts/web", "-f", "missing.yaml"]),
        "open missing.yaml: no such file",
    );
    let tmp = common::tempdir();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(&bad, "a: [1\n").expect("write");
    let bad = bad.display().to_string();
    assert_fails(&helm(&bin, &["template", "w", "charts/web", "-f", &bad]), &format!("failed to parse {bad}"));
    assert_fails(&helm(&bin, &["template", "Not_A_Name", "charts/web"]), "invalid release name");
    assert_fails(&helm(&bin, &["template", "w", "apps"]), "Chart.yaml");
    assert_fails(&helm(&bin, &["template", "w", "charts/web", "--set", "a=b"]), "unknown flag: --set");
    assert_fails(&helm(&bin, &["template", "w"]), "RELEASE and CHART");
    assert_fails(&helm(&bin, &["template", "w", "charts/web", "--kube-version", "1.20"]), "v1.20.0");
}

#[test]
fn nothing_remote_is_fetched() {
    let Some(bin) = common::helm_engine() else { return };
    // A dependency from a chart repository, not vendored under charts/: helm's own refusal.
    let run = helm(&bin, &["template", "r", "charts/remote"]);
    assert_fails(&run, "found in Chart.yaml, but missing in charts/ directory: redis");
    // A vendored dependency renders although its Chart.yaml entry names a repository.
    helm(&bin, &["template", "u", "charts/umbrella"]).expect_code(0);
    // A chart name or URL and a values URL would be downloads.
    assert_fails(&helm(&bin, &["template", "r", "bitnami/redis"]), "not a local path");
    assert_fails(&helm(&bin, &["template", "r", "oci://registry.example.com/charts/web"]), "not a local path");
    let url = "https://git.example.com/values.yaml";
    assert_fails(&helm(&bin, &["template", "r", "charts/web", "-f", url]), "is remote");
}
