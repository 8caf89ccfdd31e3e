//! Schema sources beyond the Kubernetes kinds, end to end with the real binary and real git
//! repositories: `file-schemas` in `.tollgate.yaml` (workflow files validated against a JSON
//! Schema, read from where the config is read), remote `--schema-location` URLs served by a local
//! HTTP server started in the test (fetched once, then from the disk cache; 404 falls through;
//! an unreachable server is a `schema/unavailable` finding), and SOPS-encrypted documents.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn schema_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema")
}

/// Copy `fixtures/schema/<from>` (file or directory) to `dir/<to>`.
fn copy(from: &str, dir: &Path, to: &str) {
    copy_tree(&schema_fixtures().join(from), &dir.join(to));
}

/// Findings as (rule, file, line) → count, for the given sources (`schema`, `parse`, …).
fn by_rule_file_line(rep: &Value, source: &str) -> BTreeMap<(String, String, u64), usize> {
    let mut out = BTreeMap::new();
    for f in findings(rep) {
        if f["source"] == source {
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

/// The `# expect: rule, …` comments of the YAML files (`.yaml` and `.yml`) under `dir`.
fn expectations(dir: &Path) -> BTreeMap<(String, String, u64), usize> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != ".git") {
                    stack.push(p);
                }
                continue;
            }
            if !p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                continue;
            }
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            if rel == ".tollgate.yaml" {
                continue;
            }
            for (i, line) in fs::read_to_string(&p).unwrap().lines().enumerate() {
                if let Some((_, rules)) = line.split_once("# expect:") {
                    for r in rules.split(',') {
                        *out.entry((r.trim().to_string(), rel.clone(), i as u64 + 1)).or_default() += 1;
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// file-schemas

/// A committed repository holding `fixtures/schema/file-schemas`.
fn workflow_repo() -> tempfile::TempDir {
    let r = repo();
    copy("file-schemas", r.path(), "");
    commit_all(r.path(), "workflows and their schema");
    r
}

#[test]
fn workflow_files_are_validated_against_their_file_schema() {
    let r = workflow_repo();
    let want = expectations(r.path());
    assert!(want.keys().any(|(_, f, _)| f == ".github/workflows/release.yml"), "{want:?}");
    for args in [&["check"][..], &["check", "--rev", "HEAD"][..]] {
        let run = tollgate(r.path(), &[args, &["--builtin", "none", "-o", "json"][..]].concat());
        run.expect_code(1);
        let rep = run.json();
        // Exactly the announced findings: the valid workflow (ci.yml) has none, the workflows get
        // no `schema/missing` note (they are not Kubernetes objects), and the Deployment beside
        // them is still validated as one.
        assert_eq!(by_rule_file_line(&rep, "schema"), want, "{args:?}\n{}", run.stdout);
        // Matching files are read as YAML 1.2: `on:` is the key `on`, not the boolean true, and
        // there is no YAML 1.1 ambiguity warning about it.
        assert!(
            !findings(&rep).iter().any(|f| f["rule"] == "yaml/ambiguous-scalar"),
            "{}",
            serde_json::to_string_pretty(findings(&rep)).unwrap()
        );
        let f = finding(&rep, "schema/wrong-type", "jobs.build.timeout-minutes: expected number, found string \"ten\"");
        assert_eq!(f["file"], ".github/workflows/release.yml");
        assert_eq!(span(f).0, 6);
        let f =
            finding(&rep, "schema/unknown-field", "unknown field `nmae` in jobs.build.steps[1] (did you mean `name`?)");
        assert_eq!(span(f).0, 11);
    }
    // The human report names the schema the file was checked against.
    let run = tollgate(r.path(), &["check", "--builtin", "none", "--color", "never"]);
    assert!(
        run.stdout.contains("help: see the schema schemas/workflow.schema.json")
            && run.stdout.contains(
                "help: known fields here: env, name, run, shell, uses, with (schema schemas/workflow.schema.json)"
            ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_required_key_and_a_wrong_top_level_type_point_at_the_document() {
    let r = workflow_repo();
    write(r.path(), ".github/workflows/empty-jobs.yml", "name: x\non: push\njobs: []\n");
    write(r.path(), ".github/workflows/no-on.yml", "name: y\njobs:\n  a:\n    runs-on: ubuntu-latest\n");
    let run = tollgate(
        r.path(),
        &[
            "check",
            ".github/workflows/empty-jobs.yml",
            ".github/workflows/no-on.yml",
            "-o",
            "json",
            "--builtin",
            "none",
        ],
    );
    run.expect_code(1);
    let rep = run.json();
    let f = finding(&rep, "schema/wrong-type", "jobs: expected object, found an array");
    assert_eq!((f["file"].as_str().unwrap(), span(f).0), (".github/workflows/empty-jobs.yml", 3));
    let f = finding(&rep, "schema/missing-required", "missing required field `on` in the document");
    assert_eq!(f["file"], ".github/workflows/no-on.yml");
}

#[test]
fn policies_still_see_file_schema_documents_with_their_yaml_1_2_keys() {
    let r = workflow_repo();
    write(
        r.path(),
        "policy/workflows.rego",
        r#"package main

import rego.v1

deny contains result if {
	input.on
	not input.permissions
	result := {"msg": sprintf("workflow %s sets no permissions", [input.name]), "path": ["on"]}
}
"#,
    );
    let run = tollgate(r.path(), &["check", ".github", "-p", "policy", "-o", "json", "--builtin", "none"]);
    run.expect_code(1);
    let rep = run.json();
    let f = finding(&rep, "main.deny", "workflow release sets no permissions");
    assert_eq!((f["file"].as_str().unwrap(), span(f).0), (".github/workflows/release.yml", 2));
    // ci.yml sets permissions.
    assert!(!messages(&rep).iter().any(|m| m.contains("workflow ci ")), "{:?}", messages(&rep));
    // The files are read the same way without schema validation: policies see the same values.
    let run =
        tollgate(r.path(), &["check", ".github", "-p", "policy", "-o", "json", "--builtin", "none", "--no-schemas"]);
    run.expect_code(1);
    let rep = run.json();
    let f = finding(&rep, "main.deny", "workflow release sets no permissions");
    assert_eq!((f["file"].as_str().unwrap_or(""), span(f).0), (".github/workflows/release.yml", 2));
    assert!(!findings(&rep).iter().any(|f| f["rule"] == "yaml/ambiguous-scalar"), "{:?}", messages(&rep));
}

#[test]
fn a_broken_or_missing_schema_file_is_an_error_naming_it() {
    let cases: [(&str, &str, &str); 3] = [
        ("{ \"type\": \"object\", ", "not JSON", "schemas/workflow.schema.json"),
        (r#"{"type": "strnig"}"#, "is not a usable JSON Schema", "schemas/workflow.schema.json"),
        (r#"{"$ref": "common.json#/definitions/job"}"#, "is not a usable JSON Schema", "schemas/workflow.schema.json"),
    ];
    for (text, says, name) in cases {
        let r = workflow_repo();
        write(r.path(), "schemas/workflow.schema.json", text);
        let run = tollgate(r.path(), &["check", "--builtin", "none"]);
        run.expect_code(2);
        assert!(run.stderr.contains(says) && run.stderr.contains(name), "{text}: {}", run.stderr);
        // The config entry is named too.
        assert!(run.stderr.contains(".tollgate.yaml:2:5"), "{}", run.stderr);
    }
    let r = workflow_repo();
    fs::remove_file(r.path().join("schemas/workflow.schema.json")).unwrap();
    let run = tollgate(r.path(), &["check", "--builtin", "none"]);
    run.expect_code(2);
    assert!(run.stderr.contains("schemas/workflow.schema.json: no such file"), "{}", run.stderr);
    // With schema validation off, file-schemas are off too: nothing is read.
    tollgate(r.path(), &["check", "--builtin", "none", "--no-schemas"]).expect_code(0);
}

#[test]
fn with_rev_the_schema_is_read_from_the_commit_like_the_config() {
    let r = workflow_repo();
    // Broken on disk only: --rev HEAD reads the committed schema, the working tree the broken one.
    write(r.path(), "schemas/workflow.schema.json", "not json");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json", "--builtin", "none"]);
    run.expect_code(1);
    assert!(run.json()["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "schema/wrong-type"));
    tollgate(r.path(), &["check", "--builtin", "none"]).expect_code(2);

    // An absolute schema path is outside the repository: the repository's config may not name
    // one (tests/confinement.rs); a config file outside the repository may, read from disk in
    // every mode.
    let outside = tempdir();
    fs::copy(schema_fixtures().join("file-schemas/schemas/workflow.schema.json"), outside.path().join("workflow.json"))
        .unwrap();
    let abs = outside.path().join("workflow.json");
    let config = format!("file-schemas:\n  - files: .github/workflows/*.yml\n    schema: {}\n", abs.display());
    write(r.path(), ".tollgate.yaml", &config);
    commit_all(r.path(), "absolute schema path");
    for args in [&["check"][..], &["check", "--rev", "HEAD"][..]] {
        let run = tollgate(r.path(), &[args, &["-o", "json", "--builtin", "none", ".github"][..]].concat());
        run.expect_code(2);
        assert!(run.stderr.contains(".tollgate.yaml:3:5: `file-schemas`:"), "{}", run.stderr);
    }
    fs::write(outside.path().join("gate.yaml"), &config).unwrap();
    let gate = outside.path().join("gate.yaml").display().to_string();
    for args in [&["check"][..], &["check", "--rev", "HEAD"][..]] {
        let run = tollgate(
            r.path(),
            &[args, &["-o", "json", "--builtin", "none", "--config", &gate, ".github"][..]].concat(),
        );
        run.expect_code(1);
        finding(&run.json(), "schema/wrong-type", "jobs.build.timeout-minutes: expected number, found string \"ten\"");
    }
}

#[test]
fn in_pr_mode_the_schema_comes_from_the_merge_base() {
    let r = workflow_repo();
    git(r.path(), &["branch", "-M", "main"]);
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    // The change loosens the schema (timeout-minutes may be anything) and touches the workflow.
    let schema = fs::read_to_string(r.path().join("schemas/workflow.schema.json")).unwrap();
    write(
        r.path(),
        "schemas/workflow.schema.json",
        schema.replace(r#""timeout-minutes": {"type": "number"}"#, r#""timeout-minutes": {}"#),
    );
    let wf = fs::read_to_string(r.path().join(".github/workflows/release.yml")).unwrap();
    write(r.path(), ".github/workflows/release.yml", wf.replace("timeout-minutes: ten", "timeout-minutes: eleven"));
    commit_all(r.path(), "loosen");
    let run = tollgate(r.path(), &["check", "--base", "main", "-o", "json", "--builtin", "none", "--show-existing"]);
    let rep = run.json();
    let f = finding(&rep, "schema/wrong-type", "jobs.build.timeout-minutes: expected number, found string \"eleven\"");
    assert_eq!(f["new"], true);
    let note = findings(&rep)
        .iter()
        .find(|f| f["rule"] == "gate/policy-changed" && f["file"] == "schemas/workflow.schema.json")
        .unwrap_or_else(|| panic!("no note about the schema change: {}", run.stdout));
    assert!(note["message"].as_str().unwrap().starts_with("schema file modified"), "{note:#}");
    run.expect_code(1);
}

// ---------------------------------------------------------------------------------------------
// Remote schema locations

/// A tiny HTTP/1.1 server on 127.0.0.1 serving `files` (path → body; others 404) and recording
/// the path of every request, until the test process ends.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(files: HashMap<String, String>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
                        break;
                    }
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(path.clone());
                let (status, body) = match files.get(&path) {
                    Some(b) => ("200 OK", b.clone()),
                    None => ("404 Not Found", "404: Not Found".to_string()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Server { base, requests }
    }

    fn count(&self, path: &str) -> usize {
        self.requests.lock().unwrap().iter().filter(|p| *p == path).count()
    }
}

/// Run the binary in `dir` with the schema cache in `cache` and no proxy from the environment.
fn tollgate_cached(dir: &Path, cache: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    cmd.current_dir(dir).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env("TOLLGATE_CACHE_DIR", cache).env("GIT_CONFIG_GLOBAL", "/dev/null").env("GIT_CONFIG_NOSYSTEM", "1");
    for v in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "TOLLGATE_TIMINGS"] {
        cmd.env_remove(v);
    }
    let mut child = cmd.spawn().unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("tollgate {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run { code: status.code(), stdout: o.join().unwrap(), stderr: e.join().unwrap() }
}

/// A Deployment schema that differs from the built-in one: it requires a `team` label, so a
/// finding about `team` shows the remote schema was used.
const TEAM_SCHEMA: &str = r#"{
  "$schema": "http://json-schema.org/schema#",
  "type": "object",
  "properties": {
    "metadata": {
      "type": "object",
      "properties": {"labels": {"type": "object", "required": ["team"]}},
      "required": ["labels"]
    }
  }
}"#;

const DEPLOYMENT: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec: {}\n";
const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: http\n";

#[test]
fn a_remote_schema_is_fetched_once_then_served_from_the_disk_cache() {
    let server = Server::start(HashMap::from([(
        "/v1.37.0-standalone-strict/deployment-apps-v1.json".to_string(),
        TEAM_SCHEMA.to_string(),
    )]));
    let d = tempdir();
    let cache = tempdir();
    write(d.path(), "deploy.yaml", DEPLOYMENT);
    write(d.path(), "service.yaml", SERVICE);
    // A base URL without template fields uses kubeconform's layout under it.
    let location = format!("{}/", server.base);
    let args = ["check", "--builtin", "none", "-o", "json", "--schema-location", &location];
    for run_no in 1..=2 {
        let run = tollgate_cached(d.path(), cache.path(), &args);
        run.expect_code(1);
        let rep = run.json();
        let f = finding(&rep, "schema/missing-required", "missing required field `team` in metadata.labels");
        assert_eq!((f["file"].as_str().unwrap(), span(f).0), ("deploy.yaml", 5));
        // The Service's schema is not at the location (404): it falls through to the embedded
        // Kubernetes schemas, which catch the port.
        let f = finding(&rep, "schema/wrong-type", "spec.ports[0].port: expected integer, found string \"http\"");
        assert_eq!(f["file"], "service.yaml");
        // One fetch in all: the second run reads the cache. 404s are asked again each run.
        assert_eq!(server.count("/v1.37.0-standalone-strict/deployment-apps-v1.json"), 1, "run {run_no}");
        assert_eq!(server.count("/v1.37.0-standalone-strict/service-v1.json"), run_no, "run {run_no}");
    }
    let cached: Vec<_> = fs::read_dir(cache.path().join("schemas")).unwrap().flatten().collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!(fs::read_to_string(cached[0].path()).unwrap(), TEAM_SCHEMA);
}

#[test]
fn a_404_falls_through_to_the_next_location() {
    let first = Server::start(HashMap::new());
    let second = Server::start(HashMap::from([("/deployment.json".to_string(), TEAM_SCHEMA.to_string())]));
    let d = tempdir();
    let cache = tempdir();
    write(d.path(), "deploy.yaml", DEPLOYMENT);
    let (a, b) =
        (format!("{}/{{{{.ResourceKind}}}}.json", first.base), format!("{}/{{{{.ResourceKind}}}}.json", second.base));
    let run = tollgate_cached(
        d.path(),
        cache.path(),
        &["check", "--builtin", "none", "-o", "json", "--schema-location", &a, "--schema-location", &b],
    );
    run.expect_code(1);
    finding(&run.json(), "schema/missing-required", "missing required field `team` in metadata.labels");
    assert_eq!((first.count("/deployment.json"), second.count("/deployment.json")), (1, 1));
}

#[test]
fn an_unreachable_location_is_a_clear_finding_and_other_files_are_still_checked() {
    // A port nobody listens on: bind, note it, close.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let d = tempdir();
    let cache = tempdir();
    write(d.path(), "deploy.yaml", DEPLOYMENT);
    write(d.path(), "broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n");
    let location = format!("http://127.0.0.1:{port}/{{{{.ResourceKind}}}}.json");
    let run = tollgate_cached(
        d.path(),
        cache.path(),
        &["check", "--builtin", "none", "-o", "json", "--schema-location", &location],
    );
    run.expect_code(1);
    let rep = run.json();
    let f = findings(&rep)
        .iter()
        .find(|f| f["rule"] == "schema/unavailable" && f["file"] == "deploy.yaml")
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with("the schema of Deployment apps/v1 could not be fetched: ")
            && msg.contains(&format!("http://127.0.0.1:{port}/deployment.json"))
            && msg.contains("connection refused"),
        "{msg}"
    );
    assert_eq!((f["severity"].as_str().unwrap(), span(f).0), ("error", 2));
    // The other file's findings are not hidden.
    assert!(findings(&rep).iter().any(|f| f["rule"] == "parse/duplicate-key" && f["file"] == "broken.yaml"));
    // Nothing was cached.
    assert!(!cache.path().join("schemas").exists() || fs::read_dir(cache.path().join("schemas")).unwrap().count() == 0);
}

#[test]
fn a_response_that_is_not_json_is_unavailable_and_not_cached() {
    let server = Server::start(HashMap::from([("/deployment.json".to_string(), "<html>portal</html>".to_string())]));
    let d = tempdir();
    let cache = tempdir();
    write(d.path(), "deploy.yaml", DEPLOYMENT);
    let location = format!("{}/{{{{.ResourceKind}}}}.json", server.base);
    for _ in 0..2 {
        let run = tollgate_cached(
            d.path(),
            cache.path(),
            &["check", "--builtin", "none", "-o", "json", "--schema-location", &location],
        );
        run.expect_code(1);
        let rep = run.json();
        let f = findings(&rep).iter().find(|f| f["rule"] == "schema/unavailable").expect("unavailable");
        assert!(f["message"].as_str().unwrap().contains("not JSON"), "{f:#}");
    }
    assert_eq!(server.count("/deployment.json"), 2);
}

// ---------------------------------------------------------------------------------------------
// SOPS

#[test]
fn sops_documents_keep_their_metadata_and_encrypted_values_out_of_the_schema_check() {
    let r = repo();
    copy("sops", r.path(), "sops");
    commit_all(r.path(), "sops");
    let want = expectations(r.path());
    for args in [&["check"][..], &["check", "--rev", "HEAD"][..]] {
        let run = tollgate(
            r.path(),
            &[args, &["sops", "--builtin", "none", "-o", "json", "--fail-on", "never"][..]].concat(),
        );
        run.expect_code(0);
        let rep = run.json();
        assert_eq!(by_rule_file_line(&rep, "schema"), want, "{}", run.stdout);
        assert_eq!(rep["summary"]["documents"], 4);
    }
    // Without strict mode the non-SOPS `sops: enabled` is allowed, the rest stays.
    let run =
        tollgate(r.path(), &["check", "sops", "--builtin", "none", "-o", "json", "--fail-on", "never", "--no-strict"]);
    let got = by_rule_file_line(&run.json(), "schema");
    assert!(!got.keys().any(|(rule, _, _)| rule == "schema/unknown-field"), "{got:?}");
    assert!(got.keys().any(|(rule, _, line)| rule == "schema/wrong-type" && *line == 52), "{got:?}");
}
