//! Schema validation end to end with the real binary: the fixtures under `fixtures/schema/`
//! report exactly the findings their `# expect:` comments announce, messages and locations are the
//! ones a person reads, and the flags and `.tollgate.yaml` keys do what they say.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("fixtures/schema")
}

/// Copy `fixtures/schema/<from>` into `dir/<to>`.
fn copy(from: &str, dir: &Path, to: &str) {
    copy_tree(&fixtures().join(from), &dir.join(to));
}

/// Findings of the schema stage (source "schema") as (rule, file, line) → count.
fn schema_findings(rep: &Value) -> BTreeMap<(String, String, u64), usize> {
    let mut out = BTreeMap::new();
    for f in findings(rep) {
        if f["source"] == "schema" {
            let key = (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("-").to_string(),
                f["line"].as_u64().unwrap_or(0),
            );
            *out.entry(key).or_default() += 1;
        }
    }
    out
}

/// `# expect: a, b` comments of the YAML files under `dir` (relative file names as in the report),
/// and `# expect-X.Y: rule line` lines, which hold only for `--kubernetes-version X.Y`.
fn expectations(dir: &Path, prefix: &str, version: Option<&str>) -> BTreeMap<(String, String, u64), usize> {
    let mut out = BTreeMap::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    for p in files {
        let rel = format!("{prefix}{}", p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"));
        let text = fs::read_to_string(&p).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, rules)) = line.split_once("# expect:") {
                for r in rules.split(',') {
                    *out.entry((r.trim().to_string(), rel.clone(), i as u64 + 1)).or_default() += 1;
                }
            }
            if let (Some(v), Some((tag, rest))) = (version, line.split_once(": ")) {
                if tag == format!("# expect-{v}") {
                    let (rule, at) = rest.trim().split_once(' ').unwrap();
                    *out.entry((rule.to_string(), rel.clone(), at.parse().unwrap())).or_default() += 1;
                }
            }
        }
    }
    out
}

#[test]
fn fixtures_report_exactly_what_they_expect() {
    let dirs = [
        "unknown-field",
        "wrong-type",
        "missing-required",
        "invalid-value",
        "missing",
        "crd",
        "crd-shadow",
        "removed-api",
        "valid",
    ];
    for name in dirs {
        let d = tempdir();
        copy(name, d.path(), name);
        let run = tollgate(d.path(), &["check", name, "--builtin", "none", "-o", "json", "--fail-on", "never"]);
        run.expect_code(0);
        let got = schema_findings(&run.json());
        let want = expectations(&d.path().join(name), &format!("{name}/"), Some("1.37"));
        assert_eq!(got, want, "fixtures/schema/{name}: reported (left) vs # expect: (right)\n{}", run.stdout);
        if name == "valid" {
            assert!(got.is_empty());
        }
    }
    // Per-version expectations.
    let d = tempdir();
    copy("removed-api/service-cidr.yaml", d.path(), "cidr.yaml");
    for v in ["1.36", "1.37"] {
        let run = tollgate(
            d.path(),
            &["check", "cidr.yaml", "--builtin", "none", "-o", "json", "--fail-on", "never", "--kubernetes-version", v],
        );
        let got = schema_findings(&run.json());
        let want = expectations(d.path(), "", Some(v));
        assert_eq!(got, want, "--kubernetes-version {v}");
    }
}

#[test]
fn messages_and_locations_a_person_reads() {
    let d = tempdir();
    copy("unknown-field/deployment.yaml", d.path(), "deploy.yaml");
    copy("wrong-type/deployment.yaml", d.path(), "types.yaml");
    copy("missing-required/deployment.yaml", d.path(), "required.yaml");
    let run = tollgate(d.path(), &["check", "-o", "json", "--builtin", "none"]);
    run.expect_code(1);
    let rep = run.json();
    // An unknown field is located at its key, not at its parent.
    let f = finding(&rep, "schema/unknown-field", "unknown field `spce` in Deployment apps/v1 (did you mean `spec`?)");
    assert_eq!(f["pointer"], "/spce");
    assert_eq!(f["file"], "deploy.yaml");
    assert_eq!(span(f), (6, 1, 7, 14));
    assert_eq!(f["severity"], "error");
    assert_eq!(f["source"], "schema");
    assert_eq!(f["resource"]["kind"], "Deployment");
    let f = finding(
        &rep,
        "schema/unknown-field",
        "unknown field `imagePulPolicy` in spec.template.spec.containers[0] (did you mean `imagePullPolicy`?)",
    );
    assert_eq!(f["pointer"], "/spec/template/spec/containers/0/imagePulPolicy");
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(20), Some(11)));
    let f = finding(&rep, "schema/wrong-type", r#"spec.replicas: expected integer, found string "two""#);
    assert_eq!(span(f), (10, 3, 10, 16));
    // A missing required field is located at its parent.
    let f =
        finding(&rep, "schema/missing-required", "missing required field `name` in spec.template.spec.containers[0]");
    assert_eq!(f["pointer"], "/spec/template/spec/containers/0");
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(13), Some(11)));
    finding(&rep, "schema/missing-required", "missing required field `selector` in spec");

    // The human report shows the help with the known fields.
    let human = tollgate(d.path(), &["check", "deploy.yaml", "--builtin", "none", "--color", "never"]);
    assert!(human.stdout.contains("known fields here:"), "{}", human.stdout);
    assert!(human.stdout.contains("imagePullPolicy"), "{}", human.stdout);
}

#[test]
fn flags_and_config_keys() {
    let d = repo();
    copy("unknown-field/deployment.yaml", d.path(), "deploy.yaml");
    copy("missing/kinds.yaml", d.path(), "kinds.yaml");
    let rules = |args: &[&str]| -> Vec<String> {
        let run = tollgate(d.path(), &[&["check", "-o", "json", "--fail-on", "never"][..], args].concat());
        run.expect_code(0);
        let mut r: Vec<String> = findings(&run.json())
            .iter()
            .filter(|f| f["source"] == "schema")
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        r.sort();
        r
    };
    let all = ["schema/missing", "schema/missing", "schema/unknown-field", "schema/unknown-field"];
    // `--builtin none` does not turn schemas off; --no-schemas does.
    assert_eq!(rules(&["--builtin", "none"]), all);
    assert_eq!(rules(&[]).iter().filter(|r| r.starts_with("schema/")).count(), 4);
    assert!(rules(&["--no-schemas"]).is_empty());
    assert_eq!(rules(&["--no-strict"]), ["schema/missing", "schema/missing"]);
    assert_eq!(rules(&["--no-strict", "--strict"]), all);
    // Missing schemas are notes; --reject-missing-schemas makes them block.
    tollgate(d.path(), &["check", "kinds.yaml", "--builtin", "none"]).expect_code(0);
    tollgate(d.path(), &["check", "kinds.yaml", "--builtin", "none", "--reject-missing-schemas"]).expect_code(1);
    // Schema errors block.
    tollgate(d.path(), &["check", "deploy.yaml", "--builtin", "none"]).expect_code(1);
    tollgate(d.path(), &["check", "deploy.yaml", "--builtin", "none", "--no-strict"]).expect_code(0);

    // The same keys in .tollgate.yaml; flags override them.
    write(
        d.path(),
        ".tollgate.yaml",
        "builtin: none\nstrict: false\nreject-missing-schemas: true\nkubernetes-version: \"1.34\"\n",
    );
    assert_eq!(rules(&[]), ["schema/missing", "schema/missing"]);
    tollgate(d.path(), &["check", "kinds.yaml"]).expect_code(1);
    assert_eq!(rules(&["--strict"]), all);
    write(d.path(), ".tollgate.yaml", "builtin: none\nschemas: false\n");
    assert!(rules(&[]).is_empty());
    write(d.path(), ".tollgate.yaml", "builtin: none\nkubernetes-version: 1.30\n");
    let run = tollgate(d.path(), &["check"]);
    run.expect_code(2);
    assert!(run.stderr.contains(".tollgate.yaml:2:1") && run.stderr.contains("quote it"), "{}", run.stderr);
    fs::remove_file(d.path().join(".tollgate.yaml")).unwrap();

    // Bad values are tool errors (exit 2).
    let run = tollgate(d.path(), &["check", "--kubernetes-version", "1.20"]);
    run.expect_code(2);
    assert!(run.stderr.contains("1.33, 1.34, 1.35, 1.36, 1.37"), "{}", run.stderr);
    // (Remote locations work: tests/schema_sources.rs; a URL without a host does not.)
    let run = tollgate(d.path(), &["check", "--schema-location", "https:///{{.ResourceKind}}.json"]);
    run.expect_code(2);
    assert!(run.stderr.contains("the URL has no host"), "{}", run.stderr);
    tollgate(d.path(), &["check", "--schema-location", "no/such/dir"]).expect_code(2);
}

#[test]
fn crds_from_the_commit_and_from_schema_locations() {
    // A CRD in one file of a commit, its custom resources in others: validated with --rev, no
    // conversion step, no network.
    let r = repo();
    copy("crd/widget-crd.yaml", r.path(), "crds/widget.yaml");
    copy("crd/widgets-invalid.yaml", r.path(), "apps/widgets.yaml");
    write(
        r.path(),
        "apps/ok.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: ok}\nspec: {size: 1}\n",
    );
    commit_all(r.path(), "crds");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "--builtin", "none", "-o", "json", "--fail-on", "never"]);
    let rep = run.json();
    let got = schema_findings(&rep);
    let want = expectations(&fixtures().join("crd"), "apps/", None)
        .into_iter()
        .filter(|((_, f, _), _)| f == "apps/widgets-invalid.yaml")
        .map(|((rule, _, line), n)| ((rule, "apps/widgets.yaml".to_string(), line), n))
        .collect::<BTreeMap<_, _>>();
    assert_eq!(got, want, "{}", run.stdout);
    finding(&rep, "schema/wrong-type", "spec.port: expected integer or string, found boolean true");
    finding(&rep, "schema/unknown-field", "unknown field `lables` in metadata (did you mean `labels`?)");

    // Checking only the custom resources finds no CRD: a note; with the CRD directory as a schema
    // location it is found again.
    let run = tollgate(r.path(), &["check", "apps/ok.yaml", "--builtin", "none", "-o", "json"]);
    let rep = run.json();
    assert_eq!(findings(&rep)[0]["rule"], "schema/missing");
    let run =
        tollgate(r.path(), &["check", "apps/ok.yaml", "--builtin", "none", "-o", "json", "--schema-location", "crds"]);
    assert!(findings(&run.json()).is_empty(), "{}", run.stdout);

    // kubeconform-style locations: a directory and a template.
    let d = tempdir();
    copy("location", d.path(), "location");
    let loc = d.path().join("location");
    let run = tollgate(
        &loc,
        &[
            "check",
            "manifests",
            "--builtin",
            "none",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--schema-location",
            "schemas",
            "--schema-location",
            "catalog/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
        ],
    );
    let got = schema_findings(&run.json());
    assert_eq!(got, expectations(&loc.join("manifests"), "manifests/", None), "{}", run.stdout);
}

#[test]
fn removed_api_names_the_replacement() {
    let d = tempdir();
    write(
        d.path(),
        "hpa.yaml",
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {}\n",
    );
    let run = tollgate(d.path(), &["check", "--builtin", "none", "--color", "never"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("HorizontalPodAutoscaler autoscaling/v2beta2 was removed in Kubernetes 1.26"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("use apiVersion: autoscaling/v2"), "{}", run.stdout);
}
