//! Text from the checked repository reaches no output raw: a manifest whose keys, values, kind,
//! name and file name, and a policy whose message, title, remediation, rule id and `print()`
//! output carry terminal escape sequences (CSI, an OSC 8 hyperlink, BEL, CR, the 8-bit CSI
//! U+009B, NUL, DEL) and Unicode bidirectional and invisible characters (U+202E, U+2066, U+FEFF,
//! U+2028), run through the real binary in every output format. Each output holds none of those
//! characters raw, shows them in its documented visible form, and still parses as its format.
//! Also: a snippet of a file with a very long line stays small (a structural bound, not a time).

use crate::common;

use std::fs;
use std::path::Path;

use serde_json::Value;

/// Everything an attacker would put in text, raw (NUL last: it cannot appear raw in a file we
/// want read as text).
const HOSTILE: &str = "\u{1b}[31mRED\u{1b}]8;;http://evil/\u{7}LINK\u{1b}]8;;\u{7}\u{7}BEL\rCR\u{9b}2J\u{202e}RTL\u{1}\u{7f}\u{85}\u{2066}\u{feff}\u{2028}\u{200e}\u{0}";

/// The same without what a YAML plain scalar cannot carry raw (CR, NEL and U+2028 are line
/// breaks, NUL makes the file binary, U+FEFF a byte-order mark).
const RAW: &str =
    "\u{1b}[31mRED\u{1b}]8;;http://evil/\u{7}LINK\u{1b}]8;;\u{7}\u{7}BEL\u{9b}2J\u{202e}RTL\u{1}\u{7f}\u{2066}\u{200e}";

/// A file name with the same: git and Linux allow any byte but `/` and NUL.
const FILE: &str = "apps/ev\u{1b}[31mil\u{1b}]8;;x\u{7}\u{202e}\u{9b}\r.yaml";
/// How every output names [`FILE`]: sources report a file name in one escaped, byte-exact form.
const FILE_SHOWN: &str = r"apps/ev\x1b[31mil\x1b]8;;x\x07\xe2\x80\xae\xc2\x9b\x0d.yaml";

/// Whether a character is one no output may carry raw (what the README lists).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{FEFF}'
        )
}

/// Fail when `out` holds an unsafe character other than those `allowed`, naming where.
#[track_caller]
fn assert_no_raw(what: &str, out: &str, allowed: &[char]) {
    if let Some((i, c)) = out.char_indices().find(|&(_, c)| unsafe_char(c) && !allowed.contains(&c)) {
        let around: String = out[..i].chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
        let after: String = out[i..].chars().take(60).collect();
        panic!("{what}: raw {c:?} at byte {i}: {around:?} {after:?}");
    }
}

/// `s` as a double-quoted YAML (and JSON, and Rego) string, every character outside printable
/// ASCII as a `\uXXXX` escape.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// A repository with the hostile manifest (under [`FILE`]; its text reaches policies through
/// double-quoted escapes), two files with raw control characters (parse errors), and a policy that echoes what it reads into every field of its result and `print()`s it.
fn hostile_repo() -> tempfile::TempDir {
    let dir = common::repo();
    let root = dir.path();
    let q = quoted(HOSTILE);
    let manifest = format!(
        "apiVersion: v1\nkind: {q}\nmetadata:\n  name: {q}\n  annotations:\n    {q}: {q}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {q}\nspec:\n  containers:\n    - name: {q}\n      image: {q}\n      securityContext:\n        privileged: true\n"
    );
    common::write(root, FILE, manifest);
    // Raw control characters are refused by the loader, as kubectl refuses them: each file is a
    // parse error whose snippet shows the line.
    common::write(root, "apps/broken.yaml", format!("a: 1\nb: [{RAW}\n"));
    common::write(root, "apps/raw.yaml", format!("metadata:\n  annotations:\n    raw{RAW}: raw{RAW}  # {RAW}\n"));
    let policy = format!(
        r#"package main

deny contains {{"msg": sprintf("annotation %s=%s on %s %s", [k, v, input.kind, input.metadata.name]), "path": ["metadata", "annotations", k], "title": {q}, "remediation": {q}, "id": {id}}} if {{
	some k, v in input.metadata.annotations
	print("print", k, v)
}}
"#,
        id = quoted("acme/x\u{1b}[1m,y::z\u{202e}")
    );
    common::write(root, "policy/p.rego", policy);
    common::commit_all(root, "hostile");
    dir
}

const CHECK: &[&str] = &["check", "-p", "policy", "--builtin", "default", "--no-schemas"];

fn check(root: &Path, extra: &[&str]) -> common::Run {
    let args = [CHECK, extra].concat();
    let r = common::tollgate_env(root, &args, None, &[]);
    assert_eq!(r.code, Some(1), "blocked\n--- stdout\n{}\n--- stderr\n{}", r.stdout, r.stderr);
    r
}

#[test]
fn human_output_and_print_show_control_characters_escaped() {
    let dir = hostile_repo();
    let r = check(dir.path(), &["-o", "human", "--color", "never", "--report", "cis"]);
    assert_no_raw("human stdout", &r.stdout, &['\n']);
    assert_no_raw("stderr (print)", &r.stderr, &['\n']);
    // Shown in the visible form (messages are wrapped at 120 columns, source lines are not): the
    // snippet line, the file name, the rule id.
    let raw_shown = r"raw\u{1b}[31mRED\u{1b}]8;;http://evil/\u{7}LINK\u{1b}]8;;\u{7}\u{7}BEL\u{9b}2J\u{202e}RTL\u{1}\u{7f}\u{2066}\u{200e}";
    // (a snippet line is cut after a window of the line, marked `…`)
    assert!(r.stdout.contains(&format!(" 3 │     {raw_shown}: raw")), "the snippet line:\n{}", r.stdout);
    assert!(r.stdout.contains(FILE_SHOWN), "{}", r.stdout);
    assert!(r.stdout.contains(r"acme/x\u{1b}[1m,y::z\u{202e}"), "{}", r.stdout);
    // The YAML error's snippet too.
    assert!(r.stdout.contains(r"│ b: [\u{1b}[31mRED"), "{}", r.stdout);
    // The compliance section (built-in checks on the hostile Pod).
    assert!(r.stdout.contains("CIS Kubernetes Benchmark"), "{}", r.stdout);
    // print() output: one line per call, escaped.
    let prints: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("print: ")).collect();
    assert_eq!(prints.len(), 1, "{}", r.stderr);
    let hostile_shown = r"\u{1b}[31mRED\u{1b}]8;;http://evil/\u{7}LINK\u{1b}]8;;\u{7}\u{7}BEL\rCR\u{9b}2J\u{202e}RTL\u{1}\u{7f}\u{85}\u{2066}\u{feff}\u{2028}\u{200e}\u{0}";
    assert!(prints.iter().any(|l| l.contains(hostile_shown)), "{}", r.stderr);

    // With colour, the only escape sequences are the renderer's own SGR colours.
    let c = check(dir.path(), &["-o", "human", "--color", "always"]);
    assert_no_raw("human stdout (colour)", &c.stdout.replace('\u{1b}', ""), &['\n']);
    for (i, _) in c.stdout.match_indices('\u{1b}') {
        let rest = &c.stdout[i + 1..];
        let sgr = rest.strip_prefix('[').and_then(|r| r.find('m').map(|m| &r[..m]));
        assert!(
            sgr.is_some_and(|p| p.chars().all(|ch| ch.is_ascii_digit() || ch == ';')),
            "an escape sequence that is not a colour: {:?}",
            &rest[..rest.len().min(20)]
        );
    }
    assert!(!c.stdout.contains("\u{1b}[31mRED"));
}

#[test]
fn json_escapes_every_unsafe_character_and_reads_back_exactly() {
    let dir = hostile_repo();
    let r = check(dir.path(), &["-o", "json", "--report", "cis"]);
    assert_no_raw("json", &r.stdout, &['\n']);
    assert!(r.stdout.contains(r"\u001b[31mRED\u001b]8;;http://evil/\u0007LINK"), "{}", r.stdout);
    assert!(r.stdout.contains(r"\u009b2J\u202eRTL\u0001\u007f\u0085\u2066\ufeff\u2028\u200e\u0000"));
    let report = r.json();
    // The message comes back with its raw characters (lossless); the file name in the escaped,
    // byte-exact form every source reports names in.
    let files: Vec<&str> = common::findings(&report).iter().filter_map(|f| f["file"].as_str()).collect();
    assert!(files.contains(&FILE_SHOWN), "{files:?}");
    assert!(common::messages(&report).iter().any(|m| m.contains(HOSTILE)), "{:?}", common::messages(&report));
    assert!(report["compliance"]["controls"].as_array().is_some_and(|c| !c.is_empty()));
}

#[test]
fn sarif_escapes_and_stays_valid() {
    let dir = hostile_repo();
    let r = check(dir.path(), &["-o", "sarif"]);
    assert_no_raw("sarif", &r.stdout, &['\n']);
    let log: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON: {e}\n{}", r.stdout));
    let results = log["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    assert!(results.iter().any(|x| x["message"]["text"].as_str().is_some_and(|m| m.contains(HOSTILE))));
    // Artifact URIs are percent-encoded: no control, space or bidirectional character at all.
    let uris: Vec<&str> = results
        .iter()
        .filter_map(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        uris.contains(&"apps/ev%5Cx1b%5B31mil%5Cx1b%5D8%3B%3Bx%5Cx07%5Cxe2%5Cx80%5Cxae%5Cxc2%5Cx9b%5Cx0d.yaml"),
        "{uris:?}"
    );
    for uri in &uris {
        assert!(uri.bytes().all(|b| b.is_ascii_graphic()), "{uri:?}");
    }
    validate_sarif(&r.stdout);
}

#[test]
fn junit_is_well_formed_and_escaped() {
    let dir = hostile_repo();
    let r = check(dir.path(), &["-o", "junit"]);
    assert_no_raw("junit", &r.stdout, &['\n', '\t']);
    let doc = roxmltree::Document::parse(&r.stdout).unwrap_or_else(|e| panic!("not XML: {e}\n{}", r.stdout));
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    let attrs: String = doc.descendants().flat_map(|n| n.attributes().map(|a| a.value().to_string())).collect();
    // What XML parsers hand on holds no raw control either (no `&#27;` reference slipped through).
    assert_no_raw("junit text", &text, &['\n', '\t']);
    assert_no_raw("junit attributes", &attrs, &[]);
    assert!(text.contains(r"\u{1b}[31mRED\u{1b}]8;;http://evil/\u{7}LINK"), "{text}");
    assert!(attrs.contains(r"apps/ev\x1b[31mil"), "{attrs}");
}

#[test]
fn github_commands_are_escaped_beyond_the_toolkit() {
    let dir = hostile_repo();
    let r = check(dir.path(), &["-o", "github"]);
    assert_no_raw("github", &r.stdout, &['\n']);
    for line in r.stdout.lines() {
        assert!(
            line.starts_with("::error ") || line.starts_with("::warning ") || line.starts_with("::notice "),
            "{line:?}"
        );
    }
    // The rule id in `title=` cannot end the property list or the command.
    assert!(r.stdout.contains(r"title=acme/x\u{1b}[1m%2Cy%3A%3Az\u{202e}"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("file={FILE_SHOWN},")), "{}", r.stdout);
    assert!(r.stdout.contains(r"::annotation \u{1b}[31mRED"), "{}", r.stdout);
}

#[test]
fn markdown_is_escaped() {
    let dir = hostile_repo();
    let r = check(dir.path(), &["-o", "markdown"]);
    assert_no_raw("markdown", &r.stdout, &['\n']);
    // `\u{1b}` written as Markdown, so it shows as `\u{1b}`.
    assert!(r.stdout.contains(r"\\u\{1b\}\[31mRED"), "{}", r.stdout);
}

/// The step summary (`-o github` in GitHub Actions) and every output file get the same escaping.
#[test]
fn output_files_and_the_step_summary_are_escaped() {
    let dir = hostile_repo();
    let root = dir.path();
    let out = common::tempdir();
    let o = |name: &str| out.path().join(name).display().to_string();
    let summary = o("summary.md");
    let args: Vec<String> = ["json", "sarif", "junit", "markdown", "human"]
        .iter()
        .flat_map(|f| ["-o".to_string(), format!("{f}={}", o(f))])
        .chain(["-o".to_string(), "github".to_string()])
        .collect();
    let args: Vec<&str> = CHECK.iter().copied().chain(args.iter().map(String::as_str)).collect();
    let r = common::tollgate_env(root, &args, None, &[("GITHUB_STEP_SUMMARY", summary.as_str())]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    for name in ["json", "sarif", "junit", "markdown", "human", "summary.md"] {
        let text = fs::read_to_string(out.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_no_raw(name, &text, &['\n', '\t']);
        assert!(text.len() > 100, "{name}: {text}");
    }
}

/// One JSON manifest on a single 200 KB line with 1,000 findings on it (what one rule may report
/// on one document): each snippet shows a window of the line, so the human report grows with the
/// findings, not with findings × line.
#[test]
fn a_long_line_gives_small_snippets() {
    let dir = common::repo();
    let root = dir.path();
    let n = 1_000;
    let data: Vec<String> = (0..n).map(|i| format!("\"key{i}\": \"{}\"", "v".repeat(190))).collect();
    let manifest = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"big\"}}, \"data\": {{{}}}}}",
        data.join(", ")
    );
    assert!(manifest.len() > 200_000 && !manifest.contains('\n'));
    common::write(root, "cm.json", &manifest);
    common::write(
        root,
        "policy/p.rego",
        "package main\n\ndeny contains {\"msg\": k, \"path\": [\"data\", k]} if {\n\tsome k, _ in input.data\n}\n",
    );
    common::commit_all(root, "long line");
    let r = common::tollgate_env(root, &["check", "-p", "policy", "--no-schemas", "--color", "never"], None, &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let shown = r.stdout.matches("╭─[cm.json:1:").count();
    assert_eq!(shown, n, "a snippet per finding");
    assert!(r.stdout.len() < n * 1_500, "{} bytes for {n} findings", r.stdout.len());
    // Each snippet underlines its own key.
    assert!(r.stdout.contains("\"key734\": \"vvv"), "{}", &r.stdout[..r.stdout.len().min(3000)]);
}

/// Validate a SARIF log against the SARIF 2.1.0 schema.
#[track_caller]
fn validate_sarif(text: &str) {
    let errors = common::sarif_schema_errors(text);
    assert!(errors.is_empty(), "SARIF is not valid:\n{}", errors.join("\n"));
}

/// No line of `out` is, after leading spaces, a GitHub Actions workflow command (`::name::`): a
/// line break that a value carries must not start a line of its own.
#[track_caller]
fn assert_no_command_line(what: &str, out: &str) {
    for line in out.lines() {
        assert!(!line.trim_start().starts_with("::"), "{what}: a line that is a workflow command: {line:?}\n{out}");
    }
}

/// Text outside the reports reaches the terminal escaped too. The `error:` line of a config value
/// (`expires: "2027-01-01\e[31m"` used to echo ESC to stderr) shows it in its visible form, and a
/// line break inside a value stays on the error's line instead of starting a `::error::` command
/// of its own; the lines of a multi-line error (PR mode's note) stay lines.
#[test]
fn error_lines_are_escaped() {
    let dir = common::repo();
    let root = dir.path();
    common::write(root, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
    let expires = quoted("2027-01-01\u{1b}[31m\u{7}\u{202e}\n::error file=x::pwned");
    let config = format!("waivers:\n  - rule: r\n    reason: because\n    expires: {expires}\n");
    common::write(root, ".tollgate.yaml", &config);
    let r = common::tollgate(root, &["check"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_no_raw("stderr", &r.stderr, &['\n']);
    assert_no_command_line("stderr", &r.stderr);
    assert!(
        r.stderr.contains(
            r"error: .tollgate.yaml:4:5: `2027-01-01\u{1b}[31m\u{7}\u{202e}\n::error file=x::pwned` is not a date"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);

    // An unknown key (the key is echoed) and a path in the config, the same.
    common::write(root, ".tollgate.yaml", format!("{}: 1\n", quoted("k\u{1b}]8;;http://x/\u{7}\n::warning::x")));
    let r = common::tollgate(root, &["check"]);
    assert_eq!(r.code, Some(2));
    assert_no_raw("stderr", &r.stderr, &['\n']);
    assert_no_command_line("stderr", &r.stderr);
    assert!(r.stderr.contains(r"unknown key `k\u{1b}]8;;http://x/\u{7}\n::warning::x`"), "{}", r.stderr);
    common::write(root, ".tollgate.yaml", format!("policy: [{}]\n", quoted("pol\u{1b}[2J\n::error::x")));
    let r = common::tollgate(root, &["check"]);
    assert_eq!(r.code, Some(2));
    assert_no_raw("stderr", &r.stderr, &['\n']);
    assert_no_command_line("stderr", &r.stderr);

    // PR mode: the merge-base's broken config, with the note on where it was read on its line.
    common::write(root, ".tollgate.yaml", &config);
    common::commit_all(root, "base");
    common::git(root, &["checkout", "-q", "-b", "pr"]);
    common::write(root, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n");
    common::commit_all(root, "change");
    let r = common::tollgate(root, &["check", "--base", "main"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_no_raw("stderr", &r.stderr, &['\n']);
    assert_no_command_line("stderr", &r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(lines[1].starts_with("  note: read from the merge-base"), "{}", r.stderr);

    // A policy file whose name would break a compile error's lines is refused, its name escaped.
    common::write(root, "policy/x\u{1b}[31m\n::error::y.rego", "package main\ndeny[x] {\n");
    for args in [&["check", "--config", "/dev/null", "-p", "policy"][..], &["verify", "-p", "policy"]] {
        let r = common::tollgate(root, args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert_no_raw("stderr", &r.stderr, &['\n']);
        assert_no_command_line("stderr", &r.stderr);
        assert!(r.stderr.contains("a policy file name may not hold control"), "{}", r.stderr);
    }
}

/// `tollgate parse`: its stderr lines (file name and message, which quotes the document) and its
/// JSON (every unsafe character as a JSON escape, as `-o json` writes it; serde's own left DEL,
/// the C1 controls and U+202E raw).
#[test]
fn parse_output_is_escaped() {
    let dir = common::repo();
    let root = dir.path();
    let name = "d\u{1b}[1m\u{202e}.yaml";
    let key = quoted("k\u{1b}[31m\u{7}\u{202e}\n::error::x");
    common::write(root, name, format!("a: {}\n{key}: 1\n{key}: 2\n", quoted("\u{9b}2J\u{202e}\u{7f}")));
    let r = common::tollgate(root, &["parse", name]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_no_raw("stderr", &r.stderr, &['\n']);
    assert_no_command_line("stderr", &r.stderr);
    assert!(
        r.stderr.contains(r"error: d\u{1b}[1m\u{202e}.yaml:3:1: duplicate key `k\u{1b}[31m\u{7}\u{202e}\n::error::x`"),
        "{}",
        r.stderr
    );
    assert_no_raw("stdout", &r.stdout, &['\n']);
    assert!(r.stdout.contains(r#""a": "\u009b2J\u202e\u007f""#), "{}", r.stdout);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    assert_eq!(v[0]["file"], name);
}

/// `policies list` and `explain` (the catalogue is built in, but an id the user types is echoed)
/// and `verify` (test names and failure details come from the policies) print nothing raw.
#[test]
fn policies_and_verify_output_is_escaped() {
    let dir = common::repo();
    let root = dir.path();
    for args in [
        &["policies", "list"][..],
        &["policies", "list", "-o", "json"],
        &["policies", "explain", "k8s/privileged-container"],
    ] {
        let r = common::tollgate(root, args);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        assert_no_raw("policies", &r.stdout, &['\n']);
    }
    let r = common::tollgate(root, &["policies", "explain", "k8s/\u{1b}[31mx\u{202e}\n::error::y"]);
    assert_eq!(r.code, Some(2));
    assert_no_raw("stderr", &r.stderr, &['\n']);
    assert_no_command_line("stderr", &r.stderr);
    assert!(r.stderr.contains(r"k8s/\u{1b}[31mx\u{202e}\n::error::y"), "{}", r.stderr);

    common::write(
        root,
        "policy/t_test.rego",
        "package t\nimport rego.v1\ntest_str := \"\\u001b[31mred\\u202e\\u009b\\u0007\"\n\
         test_err if { to_number(\"x\\u001b[2J\\u202e\\n::error::pwn\") }\n\
         test_value if { net.cidr_contains(\"\\n::error file=a::pwned\\u001b[2J\", \"x\") }\ntest_ok if true\n",
    );
    let r = common::tollgate(root, &["verify", "-p", "policy"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_no_raw("verify", &r.stdout, &['\n']);
    // regorus puts the value into that error raw, line break included: the line it starts is shown
    // with its first `:` escaped.
    assert_no_command_line("verify", &r.stdout);
    assert!(r.stdout.contains(r"     \u{3a}:error file=a::pwned\u{1b}[2J"), "{}", r.stdout);
    assert!(r.stdout.contains("FAIL policy/t_test.rego: data.t.test_str"), "{}", r.stdout);
    assert!(r.stdout.contains(r"\u{202e}"), "{}", r.stdout);
    assert!(r.stdout.contains("1 passed, 3 failed"), "{}", r.stdout);
    let r = common::tollgate(root, &["verify", "-p", "policy", "-o", "json"]);
    assert_no_raw("verify json", &r.stdout, &['\n']);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    assert_eq!(v["failed"], 3);
}

/// Warnings: a job summary that cannot be written names its path in the visible form.
#[test]
fn warnings_are_escaped() {
    let dir = common::repo();
    let root = dir.path();
    common::write(root, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
    let summary = root.join("no\u{1b}[31m\u{202e}\n::error::x/summary.md");
    let summary = summary.to_str().unwrap_or_default();
    let r = common::tollgate_env(root, &["check", "-o", "github"], None, &[("GITHUB_STEP_SUMMARY", summary)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains(r"warning: cannot write the job summary to"), "{}", r.stderr);
    assert!(r.stderr.contains(r"no\u{1b}[31m\u{202e}\n::error::x/summary.md"), "{}", r.stderr);
    assert_no_raw("stderr", &r.stderr, &['\n']);
    assert_no_command_line("stderr", &r.stderr);
}
