//! Input formats other than YAML and JSON (`fixtures/formats/`): each file read into the `input`
//! conftest's parser gives policies, so conftest-style policies give conftest's verdicts and
//! messages; findings located at the node a policy's path names; bad input a `parse/...` finding
//! at its line; which types a run reads (`formats:`, `--parser`, the file name).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::common::*;

pub(crate) fn formats_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats").join(name)
}

/// A repository holding one fixture directory, committed.
pub(crate) fn fixture_repo(name: &str) -> tempfile::TempDir {
    let r = repo();
    copy_tree(&formats_dir(name), r.path());
    commit_all(r.path(), name);
    r
}

/// (rule, message, pointer, line, column) of every finding, sorted.
pub(crate) fn located(report: &Value) -> Vec<(String, String, String, u64, u64)> {
    let mut out: Vec<_> = findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["message"].as_str().unwrap_or("?").to_string(),
                f["pointer"].as_str().unwrap_or("?").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

/// (rule, file, line, column, message) of every finding, sorted: for runs over many files.
pub(crate) fn placed(report: &Value) -> Vec<(String, String, u64, u64, String)> {
    let mut out: Vec<_> = findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["file"].as_str().unwrap_or("?").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

pub(crate) fn row(rule: &str, msg: &str, pointer: &str, line: u64, column: u64) -> (String, String, String, u64, u64) {
    (rule.into(), msg.into(), pointer.into(), line, column)
}

/// (rule, file, line, column) of every finding of a run over a repository of broken files.
pub(crate) fn parse_errors(report: &Value) -> Vec<(String, String, u64, u64)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["file"].as_str().unwrap_or("?").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn check(dir: &Path, file: &str) -> Value {
    check_args(dir, &[file])
}

/// `check -p policy --no-schemas -o json ARGS`, which must find something (exit 1): the report.
pub(crate) fn check_args(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["check", "-p", "policy", "--no-schemas", "-o", "json"];
    all.extend_from_slice(args);
    let run = tollgate(dir, &all);
    run.expect_code(1);
    run.json()
}

/// What `tollgate parse` shows policies for a file: the `input` of its one document.
pub(crate) fn input_of(dir: &Path, args: &[&str]) -> Value {
    let run = tollgate(dir, args);
    run.expect_code(0);
    let docs = run.json();
    assert_eq!(docs.as_array().map(Vec::len), Some(1), "{docs:#}");
    docs[0]["input"].clone()
}

#[test]
fn dockerfile_instructions_as_conftest_gives_them() {
    let r = fixture_repo("dockerfile");
    let input = input_of(r.path(), &["parse", "Dockerfile"]);
    let cmds: Vec<&str> = input.as_array().expect("array").iter().filter_map(|c| c["Cmd"].as_str()).collect();
    assert_eq!(
        cmds,
        ["comment", "from", "arg", "workdir", "copy", "comment", "run", "from", "copy", "env", "user", "entrypoint"]
    );
    // conftest's Command: every field, Flags `[]` when there are none, Stage the FROM's index.
    assert_eq!(
        input[1],
        json!({"Cmd": "from", "SubCmd": "", "JSON": false, "Flags": [], "Value": ["openjdk:8-jdk-alpine", "AS", "build"], "Stage": 0})
    );
    assert_eq!(input[0]["Value"], json!(["syntax=docker/dockerfile:1"]));
    assert_eq!(input[4]["Flags"], json!(["--chown=app:app"]));
    // A continued line is joined as BuildKit joins it (the next line's indentation kept).
    assert_eq!(input[6]["Value"], json!(["apk add --no-cache maven &&     mvn -B package"]));
    assert_eq!(input[9]["Value"], json!(["JAVA_OPTS", "\"-Xmx256m\"", "=", "SECRET_TOKEN", "abc", "="]));
    assert_eq!(input[9]["Stage"], json!(1));
    assert_eq!(input[11]["JSON"], json!(true));
    assert_eq!(input[11]["Value"], json!(["java", "-jar", "/app.jar"]));

    let report = check(r.path(), "Dockerfile");
    assert_eq!(
        located(&report),
        [
            row("main.deny", "ENV SECRET_TOKEN looks like a secret", "/9/Value/3", 12, 5),
            row("main.deny", "the last stage runs as root", "/10", 13, 1),
            row("main.deny", "unallowed commands found [\"apk add --no-cache maven &&     mvn -B package\"]", "", 1, 1),
            row("main.deny", "unallowed image found [\"openjdk:8-jdk-alpine\", \"AS\", \"build\"]", "", 1, 1),
            row("main.warn", "copies from stage build", "", 1, 1),
        ]
    );
    // The instruction's whole extent, continuation lines included.
    let run_finding = finding(&report, "main.deny", "the last stage runs as root");
    assert_eq!(span(run_finding), (13, 1, 13, 10));
}

#[test]
fn hcl2_blocks_as_hcl2json_and_located_attributes() {
    let r = fixture_repo("hcl2");
    let input = input_of(r.path(), &["parse", "main.tf"]);
    assert_eq!(input["variable"]["region"], json!([{"default": "eu-west-1"}]));
    assert_eq!(
        input["resource"]["aws_security_group_rule"]["ssh"],
        json!([{"type": "ingress", "from_port": 22, "cidr_blocks": ["0.0.0.0/0"]}])
    );
    assert_eq!(
        input["resource"]["azurerm_managed_disk"]["data"][0]["encryption_settings"],
        json!([{"enabled": false}])
    );
    assert_eq!(input["resource"]["aws_s3_bucket"]["logs"][0]["bucket"], json!("logs-${var.region}"));
    let report = check(r.path(), "main.tf");
    assert_eq!(
        located(&report),
        [
            row("main.deny", "ALB `web` is using HTTP rather than HTTPS", "", 1, 1),
            row("main.deny", "Azure disk `data` is not encrypted", "", 1, 1),
            row(
                "main.deny",
                "aws_s3_bucket.logs is missing tags {\"environment\"}",
                "/resource/aws_s3_bucket/logs/0/tags",
                26,
                3
            ),
            row(
                "main.deny",
                "rule `ssh` is open to the world",
                "/resource/aws_security_group_rule/ssh/0/cidr_blocks",
                8,
                3
            ),
            row("main.warn", "bucket names keep their interpolation as written", "", 1, 1),
        ]
    );
    // The attribute's whole extent, key to value.
    let tags = finding(&report, "main.deny", "aws_s3_bucket.logs is missing tags {\"environment\"}");
    assert_eq!(span(tags), (26, 3, 28, 4));
    // conftest's unit-test idioms: parse_config("hcl2", …) and parse_config_file on a .tf file.
    let run = tollgate(r.path(), &["verify", "-p", "policy"]);
    run.expect_code(0);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn toml_tables_and_located_keys() {
    let r = fixture_repo("toml");
    let input = input_of(r.path(), &["parse", "app.toml"]);
    assert_eq!(input["replicas"], json!(3));
    assert_eq!(input["server"]["started"], json!("2024-05-01T10:00:00Z"));
    assert_eq!(input["backends"][1], json!({"name": "cache", "port": 6379}));
    let report = check(r.path(), "app.toml");
    assert_eq!(
        located(&report),
        [
            row("main.deny", "TLS 1.0 is too old", "/server/tls/min_version", 10, 1),
            row("main.deny", "cipher TLS_RSA_WITH_RC4_128_SHA is not allowed", "/server/tls/ciphers/1", 13, 3),
            row("main.warn", "backend cache uses the default Redis port", "", 1, 1),
        ]
    );
}

#[test]
fn ini_sections_typed_as_conftest_and_stdin_with_parser() {
    let r = fixture_repo("ini");
    let input = input_of(r.path(), &["parse", "grafana.ini"]);
    assert_eq!(
        input,
        json!({
            "server": {"protocol": "https", "http_port": 3000, "enforce_domain": false},
            "users": {"allow_sign_up": true, "verify_email_enabled": false, "default_theme": "dark"},
            "auth.basic": {"enabled": true}
        })
    );
    let expected = [
        row("main.deny", "Users cannot sign up themselves", "/users/allow_sign_up", 10, 1),
        row("main.deny", "Users should verify their e-mail address", "", 1, 1),
    ];
    assert_eq!(located(&check(r.path(), "grafana.ini")), expected);
    // conftest's acceptance case: `cat grafana.ini | conftest test --parser ini -`.
    let text = std::fs::read(formats_dir("ini").join("grafana.ini")).expect("fixture");
    let run = tollgate_stdin(
        r.path(),
        &["check", "-p", "policy", "--no-schemas", "--parser", "ini", "-o", "json", "-"],
        Some(&text),
    );
    run.expect_code(1);
    let msgs = messages(&run.json());
    assert!(msgs.contains(&"Users should verify their e-mail address".to_string()), "{msgs:?}");
    assert!(!msgs.contains(&"Basic auth should be enabled".to_string()), "{msgs:?}");
}

#[test]
fn dotenv_properties_and_ignore_files() {
    let r = fixture_repo("dotenv");
    assert_eq!(
        input_of(r.path(), &["parse", ".env"]),
        json!({"APP_NAME": "", "MYSQL_USER": "root", "MYSQL_HOST": "db.internal", "DSN": "mysql://root@db.internal/app"})
    );
    assert_eq!(
        located(&check(r.path(), ".env")),
        [
            row("main.deny", "APP_NAME must be set", "", 1, 1),
            row("main.deny", "MYSQL_USER should not be root", "/MYSQL_USER", 3, 1),
            row("main.warn", "DSN is mysql://root@db.internal/app", "", 1, 1),
        ]
    );

    let r = fixture_repo("properties");
    assert_eq!(
        located(&check(r.path(), "app.properties")),
        [
            row("main.deny_no_secrets", "'db.secret.password' may contain a secret value", "/db.secret.password", 5, 1),
            row("main.deny_valid_uri", "Must have a valid uri defined 'ftp://example.com/'", "", 1, 1),
        ]
    );

    let r = fixture_repo("ignore");
    let input = input_of(r.path(), &["parse", ".dockerignore"]);
    assert_eq!(
        input[2],
        json!({"Kind": "NegatedPath", "Value": "node_modules/keep", "Original": "!node_modules/keep"})
    );
    assert_eq!(input[0], json!({"Kind": "Comment", "Value": "build context", "Original": "# build context"}));
    // go-ignore's entry for the empty text after the last line feed.
    assert_eq!(input.as_array().map(Vec::len), Some(5));
    assert_eq!(
        located(&check(r.path(), ".dockerignore")),
        [
            row("main.deny", ".git directories should be ignored", "", 1, 1),
            row("main.warn", "negated pattern !node_modules/keep", "/2", 3, 1),
        ]
    );
}

/// One broken file per format: a `parse/invalid-<format>` error at its line and column, and the
/// other files of the run still checked.
#[test]
fn bad_input_is_a_located_parse_finding_per_format() {
    let r = fixture_repo("invalid");
    write(r.path(), ".tollgate.yaml", "formats: [yaml, dockerfile, toml, ini, dotenv, properties, hcl2]\n");
    commit_all(r.path(), "formats");
    let run = tollgate(r.path(), &["check", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(summary(&report)[..3], [7, 1, 6], "{report:#}");
    let got = parse_errors(&report);
    let want = [
        ("parse/invalid-dockerfile", "Dockerfile", 3, 1),
        ("parse/invalid-dotenv", "bad.env", 2, 1),
        ("parse/invalid-ini", "bad.ini", 3, 1),
        ("parse/invalid-properties", "bad.properties", 2, 1),
        ("parse/invalid-hcl2", "bad.tf", 2, 7),
        ("parse/invalid-toml", "bad.toml", 3, 8),
    ];
    let want: Vec<_> = want.iter().map(|(r, f, l, c)| (r.to_string(), f.to_string(), *l, *c)).collect();
    assert_eq!(got, want);
    assert!(messages(&report).contains(&"invalid dockerfile: unknown instruction: FROB".to_string()));
    // `parse` says the same on stderr and exits 1.
    let run = tollgate(r.path(), &["parse", "bad.ini"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("bad.ini:3:1: invalid ini: unclosed section: [users [parse/invalid-ini]"),
        "{}",
        run.stderr
    );
}

/// Which files a run reads: by default YAML and JSON only (nothing changes for existing runs);
/// `formats:` chooses the types of a repository-wide run; a file named on the command line is read
/// by its type; `--parser` reads any file as one type; a type tollgate does not read is an error.
#[test]
fn formats_choose_what_a_run_reads() {
    let r = repo();
    write(r.path(), "Dockerfile", "FROM nginx\nUSER root\n");
    write(r.path(), "app/settings.toml", "replicas = 1\n");
    write(r.path(), "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
    write(r.path(), "notes.txt", "replicas = 1\n");
    write(
        r.path(),
        "policy/p.rego",
        "package main\nimport rego.v1\ndeny contains \"one replica\" if input.replicas == 1\ndeny contains \"root\" if { some i; input[i].Cmd == \"user\"; input[i].Value[0] == \"root\" }\n",
    );
    commit_all(r.path(), "mixed");
    let files = |args: &[&str]| {
        let mut all = vec!["check", "-p", "policy", "--no-schemas", "-o", "json"];
        all.extend_from_slice(args);
        let run = tollgate(r.path(), &all);
        let report = run.json();
        let mut got: Vec<String> = findings(&report)
            .iter()
            .map(|f| format!("{}: {}", f["file"].as_str().unwrap_or("?"), f["message"]))
            .collect();
        got.sort();
        (summary(&report)[0], got)
    };
    assert_eq!(files(&[]), (1, vec![]), "the default reads YAML and JSON only");
    for mode in [&[][..], &["--rev", "HEAD"], &["--staged"]] {
        let mut args = mode.to_vec();
        args.push("Dockerfile");
        assert_eq!(files(&args), (1, vec!["Dockerfile: \"root\"".to_string()]), "a named file by its type: {mode:?}");
    }
    assert_eq!(
        files(&["--parser", "toml", "notes.txt"]),
        (1, vec!["notes.txt: \"one replica\"".to_string()]),
        "--parser reads a file of any name"
    );
    write(r.path(), ".tollgate.yaml", "formats: [toml, dockerfile]\n");
    commit_all(r.path(), "formats");
    assert_eq!(
        files(&[]),
        (2, vec!["Dockerfile: \"root\"".to_string(), "app/settings.toml: \"one replica\"".to_string()]),
        "formats: replaces the default"
    );
    // The same from a commit and the index.
    assert_eq!(files(&["--rev", "HEAD"]).0, 2);
    assert_eq!(files(&["--staged"]).0, 2);

    let run = tollgate(r.path(), &["check", "--parser", "groovy", "notes.txt"]);
    run.expect_code(2);
    assert!(run.stderr.contains("conftest's `groovy` parser is not supported by tollgate"), "{}", run.stderr);
    let run = tollgate(r.path(), &["parse", "notes.txt"]);
    run.expect_code(2);
    assert!(run.stderr.contains("notes.txt: not a file type tollgate reads by its name"), "{}", run.stderr);
    write(r.path(), ".tollgate.yaml", "formats: [yaml, groovy]\n");
    let run = tollgate(r.path(), &["check"]);
    run.expect_code(2);
    assert!(run.stderr.contains(".tollgate.yaml:1:17: conftest's `groovy` parser is not supported"), "{}", run.stderr);
}

/// PR mode reads a named file of another type too (a file left out by the type filter was a pass
/// on 0 files), and a change to it is judged as a YAML change is: only what it introduces.
#[test]
fn pr_mode_reads_a_named_dockerfile() {
    let r = repo();
    write(r.path(), "Dockerfile", "FROM nginx:1.27\nUSER app\n");
    write(
        r.path(),
        "policy/p.rego",
        "package main\nimport rego.v1\ndeny contains {\"msg\": \"runs as root\", \"path\": [i]} if { some i; input[i].Cmd == \"user\"; input[i].Value[0] == \"root\" }\n",
    );
    commit_all(r.path(), "base");
    write(r.path(), "Dockerfile", "FROM nginx:1.27\nRUN make\nUSER root\n");
    commit_all(r.path(), "root");
    let run =
        tollgate(r.path(), &["check", "--base", "HEAD~1", "-p", "policy", "--no-schemas", "-o", "json", "Dockerfile"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(located(&report), [row("main.deny", "runs as root", "/2", 3, 1)]);
    assert_eq!(findings(&report)[0]["new"], json!(true));
}

/// kubectl applies YAML and JSON only: a TOML (or any other format's) document with `apiVersion`
/// and `kind` keys is not a Kubernetes object. It is not validated against a Kubernetes schema
/// nor given the built-in Kubernetes checks, and its findings name no resource; the user's
/// policies still see it as it is. The same objects in YAML get both.
#[test]
fn a_document_of_another_format_is_not_a_kubernetes_object() {
    let r = repo();
    // One object the schema refuses, one it takes whose container the built-in checks flag.
    let bad_toml =
        "apiVersion = \"apps/v1\"\nkind = \"Deployment\"\n[metadata]\nname = \"bad\"\n[spec]\nreplicas = \"two\"\n";
    let bad_yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: two\n";
    let pod_toml = "apiVersion = \"v1\"\nkind = \"Pod\"\n[metadata]\nname = \"web\"\nlabels = { app = \"toml-only\" }\n[[spec.containers]]\nname = \"web\"\nimage = \"nginx\"\nsecurityContext = { privileged = true }\n";
    let pod_yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n    securityContext: {privileged: true}\n";
    for (name, text) in [("bad.toml", bad_toml), ("bad.yaml", bad_yaml), ("pod.toml", pod_toml), ("pod.yaml", pod_yaml)]
    {
        write(r.path(), name, text);
    }
    write(r.path(), ".tollgate.yaml", "formats: [yaml, toml]\n");
    write(r.path(), "policy/p.rego", "package main\nimport rego.v1\ndeny contains \"an object\" if input.kind\n");
    commit_all(r.path(), "both");
    // `all`: the checks that name no kinds and the cross-resource ones (whose inventory must not
    // hold the TOML objects either: the TOML Pod would be the one Pod a NetworkPolicy selects).
    write(
        r.path(),
        "netpol.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector:\n    matchLabels: {app: toml-only}\n",
    );
    let run = tollgate(r.path(), &["check", "-p", "policy", "--builtin", "all", "-o", "json"]);
    let report = run.expect_code(1).json();
    let of = |file: &str| -> Vec<(String, bool)> {
        let mut v: Vec<_> = findings(&report)
            .iter()
            .filter(|f| f["file"] == file)
            .map(|f| (f["rule"].as_str().unwrap_or("?").to_string(), f["resource"]["kind"].is_string()))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    for file in ["bad.toml", "pod.toml"] {
        assert_eq!(of(file), vec![("main.deny".to_string(), false)], "{file}: {report:#}");
    }
    let rules = |file: &str| -> Vec<String> { of(file).into_iter().map(|(r, _)| r).collect() };
    assert!(rules("bad.yaml").iter().any(|r| r.starts_with("schema/")), "{:?}", rules("bad.yaml"));
    assert!(rules("pod.yaml").iter().any(|r| r.starts_with("k8s/")), "{:?}", rules("pod.yaml"));
    assert!(rules("pod.yaml").contains(&"main.deny".to_string()), "{:?}", rules("pod.yaml"));
    assert!(rules("netpol.yaml").contains(&"k8s/dangling-network-policy".to_string()), "{:?}", rules("netpol.yaml"));
}
