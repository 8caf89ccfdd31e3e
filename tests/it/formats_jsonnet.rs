//! Jsonnet input files (`fixtures/formats/jsonnet/`): each evaluated into the JSON go-jsonnet
//! gives conftest's policies, findings at the field or element expression that produced the value
//! a policy's path names, and a file that is broken, reads another file, or would stall the gate
//! or exhaust its memory a located `parse/...` finding that does not hide the other files.

use serde_json::json;

use crate::common::*;
use crate::formats::{check_args, fixture_repo, input_of, located, placed, row};

/// A Deployment built with a function, a `+:` mixin and a comprehension, as Jsonnet libraries
/// build one: `input` is what go-jsonnet outputs (hidden fields left out, the mixin applied), and
/// each finding points at the field that gave the value (the `image:` of the function, the
/// `replicas:` of the mixin, the comprehension's body), not at the file's first line.
#[test]
fn jsonnet_evaluated_as_go_jsonnet_with_located_findings() {
    let r = fixture_repo("jsonnet");
    let input = input_of(r.path(), &["parse", "deploy.jsonnet"]);
    let container =
        |name: &str, image: &str, port: u32| json!({"name": name, "image": image, "ports": [{"containerPort": port}]});
    assert_eq!(
        input,
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web", "team": "payments"}},
            "spec": {
                "replicas": 3,
                "template": {"spec": {"containers": [
                    container("web", "nginx:latest", 80),
                    container("sidecar", "envoy:1.29", 9901),
                ]}},
            },
            "hosts": ["www.example.com", "api.example.com"],
        })
    );
    let report = check_args(r.path(), &["deploy.jsonnet"]);
    assert_eq!(
        located(&report),
        [
            row("main.deny", "container web uses a latest tag", "/spec/template/spec/containers/0/image", 4, 3),
            row("main.deny", "host api.example.com is not internal", "/hosts/1", 29, 11),
            row("main.deny", "web runs 2 replicas in prod", "/spec/replicas", 27, 12),
            row("main.warn", "owned by payments", "/metadata/labels/team", 26, 27),
        ]
    );
    // Operators, `%` formatting and text blocks as the Jsonnet tutorial shows them.
    let input = input_of(r.path(), &["parse", "arith.jsonnet"]);
    assert_eq!(input["ratio"], json!(5.333333333333334));
    assert_eq!(input["masked"], json!(5));
    assert_eq!(input["merged"], json!({"x": 1, "y": 20, "z": 30}));
    assert_eq!(input["pair"], json!("ratio=5.333 masked=5"));
    assert_eq!(input["block"], json!("ratio=5.33\nrest=2.33\n"));
}

/// `--parser jsonnet` reads any name; `.libsonnet` (a library, which conftest has no parser for)
/// named on its own is an error naming it; a repository-wide run reads `*.jsonnet` when
/// `formats:` lists `jsonnet`, and stdin with `--parser jsonnet`.
#[test]
fn jsonnet_by_name_parser_and_formats() {
    let r = repo();
    write(r.path(), "app.libsonnet", "{ replicas: 1 + 1 }\n");
    write(r.path(), "app.jsonnet", "local n = 2; { replicas: n * 2 }\n");
    write(r.path(), "skip.yaml", "a: 1\n");
    write(r.path(), "policy/p.rego", "package main\nimport rego.v1\ndeny contains \"odd\" if input.replicas == 4\n");
    commit_all(r.path(), "base");
    assert_eq!(input_of(r.path(), &["parse", "--parser", "jsonnet", "app.libsonnet"]), json!({"replicas": 2}));
    let run = tollgate(r.path(), &["check", "--no-schemas", "app.libsonnet"]);
    run.expect_code(2);
    assert!(run.stderr.contains("app.libsonnet: not a file type tollgate reads"), "{}", run.stderr);
    // Not read by default, as every format but YAML and JSON.
    tollgate(r.path(), &["check", "-p", "policy", "--no-schemas"]).expect_code(0);
    write(r.path(), ".tollgate.yaml", "formats: [jsonnet]\n");
    commit_all(r.path(), "formats");
    let report = check_args(r.path(), &[]);
    assert_eq!(report["summary"]["files"], json!(1), "{report:#}");
    assert_eq!(located(&report), [row("main.deny", "odd", "", 1, 1)]);
    let run = tollgate_stdin(r.path(), &["parse", "--parser", "jsonnet", "-"], Some(b"{ a: [x * 2 for x in [1, 2]] }"));
    run.expect_code(0);
    assert_eq!(run.json()[0]["input"], json!({"a": [2, 4]}));
}

/// Broken files, files that would read another file or the environment, and files that would
/// stall the gate or exhaust its memory (a huge array, exponential recursion, string doubling,
/// run-time recursion, source nesting) each give one located `parse/...` error; the evaluation
/// is bounded, the process does not crash, and the good file beside them is still checked.
#[test]
fn jsonnet_bad_and_hostile_input_is_a_located_parse_finding() {
    let r = repo();
    let files: &[(&str, String)] = &[
        ("import.jsonnet", "local lib = import 'lib.libsonnet';\n{ a: lib }\n".into()),
        ("importstr.jsonnet", "{\n  key: importstr '/etc/passwd',\n}\n".into()),
        ("extvar.jsonnet", "{\n  home: std.extVar('HOME'),\n}\n".into()),
        ("error.jsonnet", "{\n  a: 1,\n  b: error 'b is not set',\n}\n".into()),
        ("assert.jsonnet", "{\n  assert self.replicas > 0 : 'replicas must be positive',\n  replicas: 0,\n}\n".into()),
        ("unknown.jsonnet", "{ a: std.frobnicate(1) }\n".into()),
        ("variable.jsonnet", "{\n  a: nope,\n}\n".into()),
        ("types.jsonnet", "{ a: 1 + {} }\n".into()),
        ("unclosed.jsonnet", "{\n  a: 'open\n}\n".into()),
        ("function.jsonnet", "{ f: function(x) x }\n".into()),
        ("recursion.jsonnet", "local r(x) = if x == 0 then 0 else r(x - 1) + 1;\n{ n: r(1000) }\n".into()),
        ("makearray.jsonnet", "{ a: std.makeArray(1e9, function(i) i) }\n".into()),
        ("exponential.jsonnet", "local f(n) = if n == 0 then 1 else f(n - 1) + f(n - 1);\n{ a: f(80) }\n".into()),
        ("doubling.jsonnet", "local d(s, n) = if n == 0 then s else d(s + s, n - 1);\n{ a: d('x', 200) }\n".into()),
        ("repeat.jsonnet", "{ a: std.repeat('abc', 1e12) }\n".into()),
        ("deep.jsonnet", format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000))),
        ("cycle.jsonnet", "local o = { a: o };\no\n".into()),
        ("ok.jsonnet", "{ name: 'web', replicas: 1 }\n".into()),
    ];
    for (name, text) in files {
        write(r.path(), name, text);
    }
    write(
        r.path(),
        "policy/p.rego",
        "package main\nimport rego.v1\ndeny contains \"one replica\" if input.replicas == 1\n",
    );
    write(r.path(), ".tollgate.yaml", "formats: [jsonnet]\n");
    commit_all(r.path(), "bad");
    let run = tollgate(r.path(), &["check", "-p", "policy", "--no-schemas", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    let got = placed(&report);
    let bad = |file: &str, line: u64, column: u64, msg: &str| {
        ("parse/invalid-jsonnet".to_string(), file.to_string(), line, column, format!("invalid jsonnet: {msg}"))
    };
    let limit = |file: &str, line: u64, column: u64, msg: &str| {
        (
            "parse/jsonnet-limit".to_string(),
            file.to_string(),
            line,
            column,
            format!("invalid jsonnet: evaluation limit: {msg}"),
        )
    };
    let imported = "is not read: tollgate never reads another file (conftest reads imports relative to the file)";
    let mut want = vec![
        bad("assert.jsonnet", 2, 10, "RUNTIME ERROR: replicas must be positive"),
        limit("cycle.jsonnet", 1, 16, ""),
        limit("deep.jsonnet", 1, 501, "nesting deeper than 500 levels"),
        limit("doubling.jsonnet", 1, 1, ""),
        bad("error.jsonnet", 3, 6, "RUNTIME ERROR: b is not set"),
        limit("exponential.jsonnet", 1, 1, ""),
        bad(
            "extvar.jsonnet",
            2,
            9,
            "RUNTIME ERROR: Undefined external variable: HOME (tollgate passes no external variables)",
        ),
        bad("function.jsonnet", 1, 6, "RUNTIME ERROR: couldn't manifest function as JSON"),
        bad("import.jsonnet", 1, 13, &format!("`import` {imported}")),
        bad("importstr.jsonnet", 2, 8, &format!("`importstr` {imported}")),
        limit("makearray.jsonnet", 1, 6, "an array longer than 1048576 elements"),
        ("main.deny".into(), "ok.jsonnet".into(), 1, 1, "one replica".into()),
        bad("recursion.jsonnet", 1, 0, "RUNTIME ERROR: max stack frames exceeded."),
        limit("repeat.jsonnet", 1, 6, "a string longer than 16777216 bytes"),
        bad("types.jsonnet", 1, 6, "RUNTIME ERROR: Binary operator + does not operate on types number and object"),
        bad("unclosed.jsonnet", 2, 6, "STATIC ERROR: unterminated string"),
        bad("unknown.jsonnet", 1, 10, "RUNTIME ERROR: field does not exist: frobnicate"),
        bad("variable.jsonnet", 2, 6, "STATIC ERROR: Unknown variable: nope"),
    ];
    // Where a bound stops an evaluation depends on the order of evaluation; that it stops, in
    // the file's first line, with the bound's message, does not.
    for (file, msg) in [
        ("cycle.jsonnet", "nesting deeper than 100 levels"),
        ("doubling.jsonnet", ""),
        ("exponential.jsonnet", "the evaluation takes too many steps"),
        ("recursion.jsonnet", ""),
    ] {
        let Some(g) = got.iter().find(|g| g.1 == file).cloned() else { panic!("no finding on {file}: {report:#}") };
        assert!(g.4.ends_with(msg) || msg.is_empty(), "{g:?}");
        let i = want.iter().position(|w| w.1 == file).unwrap_or(0);
        want[i] = g;
    }
    want.sort();
    assert_eq!(got, want, "{report:#}");
    let rec = got.iter().find(|g| g.1 == "recursion.jsonnet").map(|g| g.4.clone()).unwrap_or_default();
    assert!(rec.ends_with("max stack frames exceeded."), "{rec}");
}
