//! The `sarif`, `junit`, `github` and `markdown` outputs: the renderers on one shared sample
//! outcome (a multi-line message, a suppressed finding, findings without region or file, non-ASCII
//! text, command and markup injection attempts, a resource name with `,` and `:`), and the real
//! binary writing all four in one run, each output checked against the JSON report of that run.
//!
//! SARIF is validated against the official SARIF 2.1.0 JSON Schema
//! (fixtures/schemas/sarif-schema-2.1.0.json) with the `jsonschema` crate (`common::sarif_schema_errors`).

use crate::common;
use common::FINDING_KEYS;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tollgate::finding::{
    self, FailOn, Finding, Fingerprint, Origin, Region, Resource, Risk, Severity, Suppression, SuppressionKind,
};
use tollgate::report::{self, github, markdown, sarif, Format, Outcome, RenderContext};

// ---------------------------------------------------------------------------------------------
// The shared sample.

const INJECTION: &str = "x%0A::error::pwned";
const HOSTILE: &str = "first line\n::warning file=x::injected ]]> <script>alert(1)</script> & | `x` [l](javascript:alert(1)) @org/team #1 \u{7}\u{1b}[31mred\u{202E}";
const MULTILINE: &str = "line one\nline two\r\nline three";
const UNICODE: &str = "Ünïcödé ✓ 日本語 — 👍";

fn region(line: u32, column: u32, end_line: u32, end_column: u32) -> Option<Region> {
    Some(Region { line, column, end_line, end_column, start_byte: 0, end_byte: 0 })
}

fn resource(kind: &str, ns: &str, name: &str) -> Option<Resource> {
    Some(Resource {
        api_version: Some("v1".into()),
        kind: Some(kind.into()),
        namespace: Some(ns.into()),
        name: Some(name.into()),
    })
}

#[allow(clippy::too_many_arguments)]
fn mk(
    rule: &str,
    sev: Severity,
    msg: &str,
    file: Option<&str>,
    doc: Option<usize>,
    reg: Option<Region>,
    res: Option<Resource>,
    risk: Option<Risk>,
) -> Finding {
    Finding::builder(rule, sev, msg, Origin::Policy)
        .file(file.map(String::from))
        .document(doc)
        .pointer("/spec")
        .region(reg)
        .resource(res)
        .risk(risk)
        .build()
}

fn sample() -> Outcome {
    let deploy = Some("apps/web/deploy.yaml");
    let odd = Some("apps/odd, name:1.yaml");
    let mut privileged = mk(
        "k8s/privileged-container",
        Severity::Error,
        "container app is privileged",
        deploy,
        Some(0),
        region(21, 13, 21, 29),
        resource("Deployment", "web", "api"),
        Some(Risk::High),
    );
    privileged.title = Some("Privileged container".into());
    privileged.help = Some("Set securityContext.privileged to false.".into());
    let multiline = mk(
        "acme/root",
        Severity::Error,
        MULTILINE,
        deploy,
        Some(0),
        region(30, 9, 32, 5),
        resource("Deployment", "web", "api"),
        Some(Risk::Critical),
    );
    let mut suppressed = mk(
        "acme/root",
        Severity::Error,
        "container side runs as root",
        deploy,
        Some(1),
        region(8, 9, 8, 21),
        resource("Pod", "web", "side"),
        None,
    );
    suppressed.suppressed = Some(Box::new(Suppression {
        kind: SuppressionKind::ConfigWaiver,
        reason: Some("ticket ]]> <b>SEC-1</b> | ok".into()),
        expires: Some("2030-01-01".into()),
    }));
    let mut symlink = mk(
        "source/skipped-symlink",
        Severity::Note,
        "symbolic link: not followed",
        Some("apps/link.yaml"),
        None,
        None,
        None,
        None,
    );
    symlink.origin = Origin::Gate;
    let nofile = mk("main.deny", Severity::Error, "combined: two Services share a port", None, None, None, None, None);
    let unicode = mk(
        "acme/labels",
        Severity::Warning,
        UNICODE,
        deploy,
        Some(0),
        region(4, 3, 4, 9),
        resource("Deployment", "web", "api"),
        Some(Risk::Low),
    );
    let injection = mk(
        "acme/name",
        Severity::Error,
        INJECTION,
        odd,
        Some(0),
        region(4, 3, 4, 22),
        resource("Pod", "ns:x", "evil,name:1"),
        Some(Risk::Medium),
    );
    let hostile = mk(
        "acme/name",
        Severity::Warning,
        HOSTILE,
        odd,
        Some(0),
        region(8, 7, 8, 40),
        resource("Pod", "ns:x", "evil,name:1"),
        Some(Risk::Medium),
    );
    let mut existing = mk(
        "acme/labels",
        Severity::Error,
        "pod old has no labels",
        Some("apps/old.yaml"),
        Some(0),
        region(1, 1, 5, 1),
        resource("Pod", "a", "old"),
        None,
    );
    existing.new = false;
    let mut findings = vec![privileged, multiline, suppressed, symlink, nofile, unicode, injection, hostile, existing];
    finding::sort_and_dedup(&mut findings);
    Outcome { findings, files: 4, documents: 5, texts: BTreeMap::new(), fail_on: Some(FailOn::Error) }
}

fn github_env() -> RenderContext {
    RenderContext::from_env(|k| {
        let v = match k {
            "GITHUB_SERVER_URL" => "https://github.com",
            "GITHUB_REPOSITORY" => "acme/gitops",
            "GITHUB_SHA" => "0123456789abcdef0123456789abcdef01234567",
            _ => return None,
        };
        Some(v.to_string())
    })
}

// ---------------------------------------------------------------------------------------------
// Checkers shared by the sample tests and the CLI tests.

/// Validate a SARIF log against the official SARIF 2.1.0 schema.
#[track_caller]
fn validate_sarif_schema(sarif_text: &str) {
    let errors = common::sarif_schema_errors(sarif_text);
    assert!(
        errors.is_empty(),
        "SARIF does not validate against the SARIF 2.1.0 schema:\n{}\n--- log\n{sarif_text}",
        errors.join("\n")
    );
}

/// Percent-decode (strict: only `%XX`).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("not UTF-8 after decoding {s:?}: {e}"))
}

/// A URI reference made only of RFC 3986 unreserved characters, `/` and `%XX`.
#[track_caller]
fn assert_safe_uri(uri: &str) {
    let ok = uri.bytes().all(|c| c.is_ascii_alphanumeric() || b"-._~/%".contains(&c));
    assert!(ok && !uri.starts_with('/'), "not a safe relative URI reference: {uri:?}");
}

/// Check a SARIF log against the findings of the JSON report of the same run (or the sample).
#[track_caller]
fn check_sarif(sarif_text: &str, findings: &[Finding]) {
    validate_sarif_schema(sarif_text);
    let v: Value = serde_json::from_str(sarif_text).unwrap_or_else(|e| panic!("SARIF is not JSON: {e}"));
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(1));
    assert_eq!(run["tool"]["driver"]["name"], "tollgate");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let rules = run["tool"]["driver"]["rules"].as_array().cloned().unwrap_or_default();
    let rule_ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let want_ids: BTreeSet<&str> = findings.iter().map(|f| &*f.rule).collect();
    assert_eq!(rule_ids, want_ids.iter().copied().collect::<Vec<_>>(), "one rule per id that appears, sorted");
    for r in &rules {
        assert!(r["shortDescription"]["text"].is_string());
        assert!(["error", "warning", "note"].contains(&r["defaultConfiguration"]["level"].as_str().unwrap_or("")));
    }
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), findings.len());
    assert_eq!(run["properties"]["truncated"], false);
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], &*f.rule);
        let i = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(rules.get(i).map(|x| &x["id"]), Some(&Value::from(&*f.rule)));
        assert_eq!(r["level"], f.severity.as_str());
        assert_eq!(r["message"]["text"], &*f.message, "message text is the finding's, unchanged");
        assert_eq!(r["partialFingerprints"]["tollgate/v1"], f.fingerprint.as_str());
        match (&f.suppressed, r["suppressions"].as_array()) {
            (None, None) => {}
            (Some(s), Some(sup)) => {
                assert_eq!(sup.len(), 1);
                assert_eq!(sup[0]["kind"], "external");
                let j = sup[0]["justification"].as_str().unwrap_or("");
                assert!(j.contains(s.reason.as_deref().unwrap_or("")), "{j}");
            }
            other => panic!("suppressions do not match: {other:?}"),
        }
        match f.file.as_deref() {
            None | Some("-") => assert!(r.get("locations").is_none(), "{r:#}"),
            Some(file) => {
                let pl = &r["locations"][0]["physicalLocation"];
                let uri = pl["artifactLocation"]["uri"].as_str().unwrap_or("");
                assert_safe_uri(uri);
                assert_eq!(percent_decode(uri), file);
                assert_eq!(pl["artifactLocation"]["uriBaseId"], "%SRCROOT%");
                match f.region {
                    None => assert!(pl.get("region").is_none()),
                    Some(g) => {
                        let reg = &pl["region"];
                        assert_eq!(
                            (&reg["startLine"], &reg["startColumn"], &reg["endLine"], &reg["endColumn"]),
                            (&g.line.into(), &g.column.into(), &g.end_line.into(), &g.end_column.into())
                        );
                    }
                }
            }
        }
    }
}

/// One parsed workflow command.
#[derive(Debug)]
struct Annotation {
    command: String,
    props: BTreeMap<String, String>,
    data: String,
}

/// Parse workflow commands the way the Actions runner does: the command name up to the first
/// space, properties up to the first `::`, split on `,` and the first `=`; then unescape.
#[track_caller]
fn parse_annotations(out: &str) -> Vec<Annotation> {
    let unescape = |s: &str| {
        let mut r = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('%') {
            r.push_str(&rest[..i]);
            let code = rest.get(i..i + 3).unwrap_or("");
            let ch = match code {
                "%25" => Some('%'),
                "%0D" => Some('\r'),
                "%0A" => Some('\n'),
                "%3A" => Some(':'),
                "%2C" => Some(','),
                _ => None,
            };
            match ch {
                Some(c) => {
                    r.push(c);
                    rest = &rest[i + 3..];
                }
                None => {
                    r.push('%');
                    rest = &rest[i + 1..];
                }
            }
        }
        r.push_str(rest);
        r
    };
    out.lines()
        .map(|line| {
            let body = line.strip_prefix("::").unwrap_or_else(|| panic!("not a workflow command: {line:?}"));
            let end = body.find("::").unwrap_or_else(|| panic!("no `::` after the command: {line:?}"));
            let (info, data) = (&body[..end], &body[end + 2..]);
            let (command, props) = info.split_once(' ').unwrap_or((info, ""));
            assert!(["error", "warning", "notice"].contains(&command), "unexpected command {command:?} in {line:?}");
            let props = props
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("bad property {p:?} in {line:?}"));
                    (k.to_string(), unescape(v))
                })
                .collect();
            Annotation { command: command.to_string(), props, data: unescape(data) }
        })
        .collect()
}

/// How the text outputs show text from a manifest or a policy: a line break (`\n`, `\r\n`) stays,
/// a tab stays when `tab`, and every other control or bidirectional character is in its visible
/// form (`\r`, `\t`, `\u{1b}`).
fn visible(s: &str, tab: bool) -> String {
    let mut out = String::new();
    for c in s.replace("\r\n", "\n").chars() {
        let bidi = matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
        );
        match c {
            '\n' => out.push(c),
            '\t' if tab => out.push(c),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || bidi => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Check `-o github` output against the findings: one command per unsuppressed finding, each
/// on one line, text decoding back to exactly the finding's (in its [`visible`] form).
#[track_caller]
fn check_github(out: &str, findings: &[Finding]) {
    let live: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    let anns = parse_annotations(out);
    assert_eq!(anns.len(), live.len(), "one line per unsuppressed finding:\n{out}");
    for (a, f) in anns.iter().zip(&live) {
        let want = match (f.new, f.severity) {
            (true, Severity::Error) => "error",
            (true, Severity::Warning) => "warning",
            _ => "notice",
        };
        assert_eq!(a.command, want);
        let (message, rule) = (visible(&f.message, false), visible(&f.rule, false));
        assert!(a.data.starts_with(&message), "data {:?} does not start with the message {message:?}", a.data);
        assert!(a.props["title"].starts_with(&rule) || (!f.new && a.props["title"].contains(&rule)));
        match f.file.as_deref() {
            Some(file) if file != "-" => assert_eq!(a.props.get("file"), Some(&visible(file, false))),
            _ => assert!(!a.props.contains_key("file")),
        }
        if let (Some(r), true) = (f.region, f.file.is_some()) {
            assert_eq!(a.props["line"], r.line.to_string());
            assert_eq!(a.props["endLine"], r.end_line.to_string());
            if r.end_line == r.line {
                assert_eq!(a.props["col"], r.column.to_string());
                assert_eq!(a.props["endColumn"], r.end_column.to_string());
            } else {
                assert!(!a.props.contains_key("col") && !a.props.contains_key("endColumn"));
            }
        }
    }
}

/// Parse JUnit XML with a real XML parser; returns suites as (name, [(case name, status kind,
/// status type, message, text)]).
#[allow(clippy::type_complexity)]
#[track_caller]
fn parse_junit(xml: &str) -> Vec<(String, Vec<(String, String, Option<String>, Option<String>, String)>)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("JUnit XML is not well-formed: {e}\n{xml}"));
    let root = doc.root_element();
    assert!(root.has_tag_name("testsuites"));
    root.children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|s| {
            let cases = s
                .children()
                .filter(|n| n.has_tag_name("testcase"))
                .map(|c| {
                    let status =
                        c.children().find(|n| ["failure", "error", "skipped"].iter().any(|t| n.has_tag_name(*t)));
                    let out = c.children().find(|n| n.has_tag_name("system-out"));
                    let (kind, ty, msg, text) = match status {
                        Some(n) => (
                            n.tag_name().name().to_string(),
                            n.attribute("type").map(String::from),
                            n.attribute("message").map(String::from),
                            n.text().unwrap_or("").to_string(),
                        ),
                        None => ("passed".into(), None, None, out.and_then(|o| o.text()).unwrap_or("").to_string()),
                    };
                    (c.attribute("name").unwrap_or("").to_string(), kind, ty, msg, text)
                })
                .collect();
            (s.attribute("name").unwrap_or("").to_string(), cases)
        })
        .collect()
}

/// What the JUnit text shows of a message.
fn junit_kept(s: &str) -> String {
    visible(s, true)
}

#[track_caller]
fn check_junit(xml: &str, findings: &[Finding]) {
    let suites = parse_junit(xml);
    let names: Vec<&str> = suites.iter().map(|(n, _)| n.as_str()).collect();
    let want: BTreeSet<&str> = findings.iter().map(|f| &*f.rule).collect();
    assert_eq!(names, want.into_iter().collect::<Vec<_>>(), "one testsuite per rule");
    for f in findings {
        let (_, cases) = suites.iter().find(|(n, _)| **n == *f.rule).unwrap_or_else(|| panic!("no suite {}", f.rule));
        let case = cases
            .iter()
            .find(|c| junit_kept(&c.4).contains(&junit_kept(&f.message)))
            .unwrap_or_else(|| panic!("no case of {} holds {:?}:\n{xml}", f.rule, f.message));
        let same_case: Vec<&Finding> = findings
            .iter()
            .filter(|g| g.rule == f.rule && g.file == f.file && g.document == f.document && g.resource == f.resource)
            .collect();
        let unsuppressed = same_case.iter().any(|g| g.suppressed.is_none());
        let live = same_case.iter().filter(|g| g.suppressed.is_none() && g.new).map(|g| g.severity).max();
        let live = live.or(unsuppressed.then_some(Severity::Note));
        match live {
            Some(Severity::Error) => assert_eq!((case.1.as_str(), case.2.as_deref()), ("failure", Some("error"))),
            Some(Severity::Warning) => assert_eq!((case.1.as_str(), case.2.as_deref()), ("failure", Some("warning"))),
            Some(Severity::Note) => assert_eq!(case.1, "passed"),
            None => assert_eq!(case.1, "skipped"),
        }
        if let Some(m) = &case.3 {
            assert!(!m.contains('\n'), "attribute messages are one line: {m:?}");
        }
    }
}

/// Undo [`markdown::escape`] (for comparing a cell with the text it shows).
fn md_unescape(s: &str) -> String {
    let s =
        s.replace("<br>", "\n").replace('\u{2060}', "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What a Markdown cell shows of a message (a carriage return is a line break in Markdown).
fn md_shown(s: &str) -> String {
    visible(&s.replace("\r\n", "\n").replace('\r', "\n").replace('\t', " "), false)
}

/// Structural safety of a Markdown body: every line is one the renderer writes itself; table rows
/// have exactly their column separators; no HTML but the renderer's own few tags; links point
/// where they should. Returns the table rows as cells.
#[track_caller]
fn check_markdown(md: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let lines: Vec<&str> = md.lines().collect();
    for (n, &line) in lines.iter().enumerate() {
        let ok = line.is_empty()
            || line == markdown::MARKER
            || line.starts_with("### ")
            || line.starts_with("**")
            || line.starts_with("| ")
            || line.starts_with("|---")
            || line.starts_with("<details><summary>")
            || line == "</details>"
            || line.starts_with("…and ");
        assert!(ok, "a line the renderer does not write: {line:?}\n{md}");
        let header = lines.get(n + 1).is_some_and(|next| next.starts_with("|---"));
        if line.starts_with("| ") && !header {
            // Split on unescaped pipes.
            let mut cells = vec![String::new()];
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        let n = chars.next();
                        if let Some(x) = cells.last_mut() {
                            x.push(c);
                            x.extend(n);
                        }
                    }
                    '|' => cells.push(String::new()),
                    c => {
                        if let Some(x) = cells.last_mut() {
                            x.push(c);
                        }
                    }
                }
            }
            assert!(
                cells.first().is_some_and(|c| c.is_empty()) && cells.last().is_some_and(|c| c.is_empty()),
                "{line:?}"
            );
            let cells: Vec<String> = cells[1..cells.len() - 1].iter().map(|c| c.trim().to_string()).collect();
            assert_eq!(cells.len(), 5, "a row of five cells: {line:?}");
            rows.push(cells);
        }
    }
    let mut stripped = md.replace(markdown::MARKER, "");
    for tag in ["<br>", "<sub>", "</sub>", "<details>", "</details>", "<summary>", "</summary>"] {
        stripped = stripped.replace(tag, "");
    }
    assert!(!stripped.contains('<'), "raw HTML in the Markdown body:\n{md}");
    // In cells (a link's text, not its destination), backticks, brackets, emphasis, mentions and
    // issue references only ever appear escaped or broken.
    for cell in rows.iter().flatten() {
        let text = md_link(cell).map(|(t, _)| t).unwrap_or_else(|| cell.clone());
        let text = text.replace("<br>", " ").replace("<sub>", "").replace("</sub>", "");
        let mut escaped = false;
        for (i, c) in text.char_indices() {
            if !escaped && "`[]*_#".contains(c) {
                panic!("unescaped {c:?} in cell {cell:?}");
            }
            if c == '@' || (c == '#' && escaped) {
                assert!(
                    text[i + c.len_utf8()..].starts_with('\u{2060}'),
                    "a mention or reference is not broken in {cell:?}"
                );
            }
            escaped = c == '\\' && !escaped;
        }
    }
    rows
}

/// `[text](url)` in a cell → (text, url).
fn md_link(cell: &str) -> Option<(String, String)> {
    let rest = cell.strip_prefix('[')?;
    let mid = rest.rfind("](")?;
    Some((rest[..mid].to_string(), rest[mid + 2..].strip_suffix(')')?.to_string()))
}

// ---------------------------------------------------------------------------------------------
// The renderers on the sample.

#[test]
fn sample_sarif_validates_and_carries_every_finding() {
    let o = sample();
    let text = sarif::render(&o);
    check_sarif(&text, &o.findings);
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let run = &v["runs"][0];
    let rule = |id: &str| {
        run["tool"]["driver"]["rules"]
            .as_array()
            .and_then(|r| r.iter().find(|x| x["id"] == id))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let p = rule("k8s/privileged-container");
    assert_eq!(p["shortDescription"]["text"], "Privileged container");
    assert_eq!(p["help"]["text"], "Set securityContext.privileged to false.");
    assert_eq!(p["properties"]["security-severity"], "8.0");
    assert_eq!(rule("acme/root")["properties"]["security-severity"], "9.5");
    assert_eq!(rule("acme/labels")["properties"]["security-severity"], "3.0");
    assert!(rule("main.deny")["properties"].get("security-severity").is_none());
    assert_eq!(text, sarif::render(&sample()), "deterministic");
}

#[test]
fn sample_sarif_cut_to_limits_stays_valid_and_says_so() {
    let o = sample();
    let text = sarif::render_with_limits(&o, sarif::Limits { max_results: 3, max_rules: 2 });
    validate_sarif_schema(&text);
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let run = &v["runs"][0];
    assert_eq!(run["properties"]["truncated"], true);
    assert_eq!(run["properties"]["totalResults"], o.findings.len());
    assert_eq!(run["properties"]["reportedResults"], 3);
    assert_eq!(run["properties"]["reportedRules"], 2);
    let levels: Vec<&str> =
        run["results"].as_array().into_iter().flatten().filter_map(|r| r["level"].as_str()).collect();
    assert_eq!(levels, ["error", "error", "error"], "the most severe are kept");
    let note = &run["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "warning");
    assert!(note["message"]["text"].as_str().unwrap_or("").contains("most severe"));
}

#[test]
fn sample_junit_is_well_formed_and_escaped() {
    let o = sample();
    let xml = report::render(Format::Junit, &o, &RenderContext::default());
    check_junit(&xml, &o.findings);
    // `]]>` and markup survive as text, not as XML.
    assert!(!xml.contains("<script>") && !xml.contains("<b>"));
    assert!(parse_junit(&xml).iter().flat_map(|(_, c)| c).any(|c| c.4.contains("]]> <script>alert(1)</script> &")));
    let suppressed = parse_junit(&xml).into_iter().find(|(n, _)| n == "acme/root").map(|(_, c)| c).unwrap_or_default();
    assert!(
        suppressed
            .iter()
            .any(|c| c.1 == "skipped" && c.3.as_deref().unwrap_or("").contains("ticket ]]> <b>SEC-1</b> | ok")),
        "{xml}"
    );
}

#[test]
fn sample_github_commands_cannot_be_injected() {
    let o = sample();
    let out = github::render(&o, &RenderContext::default());
    check_github(&out, &o.findings);
    assert!(out.contains("x%250A::error::pwned"), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("::error::pwned") || l.starts_with("::warning file=x")));
    let anns = parse_annotations(&out);
    let evil = anns.iter().find(|a| a.data.starts_with(INJECTION)).unwrap_or_else(|| panic!("{out}"));
    let (hostile, multiline) = (visible(HOSTILE, false), visible(MULTILINE, false));
    assert_eq!(evil.props["file"], "apps/odd, name:1.yaml");
    assert!(anns.iter().any(|a| a.data.starts_with(&hostile)));
    assert!(anns.iter().any(|a| a.data.starts_with(&multiline)));
}

#[test]
fn sample_github_lists_changed_lines_first() {
    let o = sample();
    let usual: Vec<String> =
        parse_annotations(&github::render(&o, &RenderContext::default())).into_iter().map(|a| a.data).collect();
    // Line 31 lies inside the multi-line finding (30–32); line 4 of the odd file holds the injection one.
    let changed =
        [("apps/web/deploy.yaml".to_string(), 31u32), ("apps/odd, name:1.yaml".to_string(), 4)].into_iter().collect();
    let ctx = RenderContext { changed_lines: Some(changed), ..Default::default() };
    let first: Vec<String> = parse_annotations(&github::render(&o, &ctx)).into_iter().map(|a| a.data).collect();
    assert_eq!(first.len(), usual.len());
    let multiline = visible(MULTILINE, false);
    assert!(first[0].starts_with(&multiline) || first[0].starts_with(INJECTION), "{first:?}");
    assert!(first[1].starts_with(&multiline) || first[1].starts_with(INJECTION), "{first:?}");
    // The rest keep the usual order.
    let rest: Vec<&String> = usual.iter().filter(|d| !d.starts_with(&multiline) && !d.starts_with(INJECTION)).collect();
    assert_eq!(first[2..].iter().collect::<Vec<_>>(), rest);
    // Without a set, the usual order.
    assert_eq!(
        usual,
        parse_annotations(&github::render(&o, &RenderContext { changed_lines: None, ..ctx }))
            .into_iter()
            .map(|a| a.data)
            .collect::<Vec<_>>()
    );
}

#[test]
fn sample_markdown_is_safe_and_complete() {
    let o = sample();
    let md = markdown::render(&o, &RenderContext::default());
    let rows = check_markdown(&md);
    assert!(md.starts_with(markdown::MARKER));
    // Blocking: the new, unsuppressed errors (4: privileged, multi-line, no file, injection).
    assert!(md.contains("### ❌ tollgate: 4 findings block this change"), "{md}");
    let blocking_msgs: Vec<String> = rows.iter().take(4).map(|r| md_unescape(&r[4])).collect();
    for f in o.findings.iter().filter(|f| f.new && f.suppressed.is_none() && f.severity == Severity::Error) {
        assert!(blocking_msgs.contains(&md_shown(&f.message)), "{:?} not in {blocking_msgs:?}", f.message);
    }
    // Every message shows as its own text.
    for f in o.findings.iter().filter(|f| f.suppressed.is_none()) {
        assert!(
            rows.iter().any(|r| md_unescape(&r[4]) == md_shown(&f.message)),
            "{:?} not shown faithfully:\n{md}",
            f.message
        );
    }
    // Links: relative by default, percent-encoded.
    let link = rows
        .iter()
        .filter_map(|r| md_link(&r[3]))
        .find(|(t, _)| md_unescape(t).starts_with("apps/odd"))
        .unwrap_or_default();
    assert_eq!(md_unescape(&link.0), "apps/odd, name:1.yaml:4");
    assert_eq!(link.1, "apps/odd%2C%20name%3A1.yaml#L4");
    let multi = rows
        .iter()
        .filter_map(|r| md_link(&r[3]))
        .find(|(t, _)| md_unescape(t) == "apps/web/deploy.yaml:30")
        .unwrap_or_default();
    assert_eq!(multi.1, "apps/web/deploy.yaml#L30-L32");
    assert!(rows.iter().any(|r| r[3] == "—"), "the finding without a file has no link");
    // Suppressed and existing ones are folded and summarised.
    assert!(md.contains("<details><summary>Suppressed findings (1)</summary>"));
    assert!(md.contains("<details><summary>Existing findings (1)"));
    assert!(md.contains("1 suppressed") && md.contains("1 existing"));
    assert!(rows
        .iter()
        .any(|r| md_unescape(&r[3]) == "ticket ]]> <b>SEC-1</b> | ok" && md_unescape(&r[4]) == "2030-01-01"));
    // Absolute links in GitHub Actions.
    let abs = markdown::render(&o, &github_env());
    check_markdown(&abs);
    assert!(abs.contains("(https://github.com/acme/gitops/blob/0123456789abcdef0123456789abcdef01234567/apps/odd%2C%20name%3A1.yaml#L4)"), "{abs}");
    assert_eq!(md, markdown::render(&sample(), &RenderContext::default()), "deterministic");
}

#[test]
fn empty_outcome_renders_in_every_format() {
    let o = Outcome { files: 2, documents: 3, fail_on: Some(FailOn::Error), ..Default::default() };
    let ctx = RenderContext::default();
    let s = report::render(Format::Sarif, &o, &ctx);
    validate_sarif_schema(&s);
    check_sarif(&s, &[]);
    check_junit(&report::render(Format::Junit, &o, &ctx), &[]);
    assert_eq!(report::render(Format::Github, &o, &ctx), "");
    let md = report::render(Format::Markdown, &o, &ctx);
    check_markdown(&md);
    assert!(
        md.contains("### ✅ tollgate: nothing blocks this change") && md.contains("2 files and 3 documents checked"),
        "{md}"
    );
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let mut o = sample();
    let base = o.findings[0].clone();
    for i in 0..3000 {
        let mut f = base.clone();
        f.message = format!("{i} {}", "long message ".repeat(10)).into();
        f.region = region(i + 1, 1, i + 1, 5);
        o.findings.push(f);
    }
    finding::sort_and_dedup(&mut o.findings);
    let md = markdown::render(&o, &github_env());
    assert!(md.chars().count() < 65_536, "{} characters", md.chars().count());
    check_markdown(&md);
    assert!(md.contains("…and ") && md.contains("more not listed here"));
}

// ---------------------------------------------------------------------------------------------
// The real binary, all formats in one run.

const POLICY: &str = r#"package main

import rego.v1

# METADATA
# title: Privileged container
# custom:
#   id: acme/privileged
#   severity: high
#   remediation: Set securityContext.privileged to false.
deny_privileged contains {"msg": sprintf("container %s is privileged", [c.name]), "path": ["spec", "containers", i, "securityContext", "privileged"]} if {
	some i, c in input.spec.containers
	c.securityContext.privileged
}

deny_root contains {"msg": sprintf("container %s runs as root\nset runAsNonRoot: true", [c.name]), "id": "acme/root", "severity": "critical", "path": ["spec", "containers", i, "securityContext", "runAsUser"]} if {
	some i, c in input.spec.containers
	c.securityContext.runAsUser == 0
}

warn contains {"msg": sprintf("pod %s has no labels", [input.metadata.name]), "id": "acme/labels", "severity": "low"} if {
	input.kind == "Pod"
	not input.metadata.labels
}

exception contains rules if {
	input.metadata.name == "web"
	rules := ["root"]
}
"#;

const EVIL: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: "evil,name:1"
  namespace: "ns:x"
spec:
  containers:
    - name: "x%0A::error::pwned\n::warning::injected ]]> <b>&amp; | `tick` [l](http://e) @team #1 ü\a"
      image: nginx
      securityContext:
        privileged: true
        runAsUser: 0
"#;

/// A temp dir with the policy, fixtures/cli/manifests/pod.yaml, a hostile manifest, a file that
/// is not YAML and a symlink.
fn workspace() -> tempfile::TempDir {
    let dir = common::tempdir();
    let root = dir.path();
    common::write(root, "policy/formats.rego", POLICY);
    common::copy_fixture("manifests/pod.yaml", root, "apps/pod.yaml");
    common::write(root, "apps/odd, name:1.yaml", EVIL);
    common::write(root, "apps/broken.yaml", "a: [\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink("pod.yaml", root.join("apps/link.yaml")).unwrap_or_else(|e| panic!("symlink: {e}"));
    dir
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run the binary in `dir` with the GitHub Actions variables removed and then `env` set.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let out_path = dir.join(".stdout");
    let err_path = dir.join(".stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap_or_else(|e| panic!("{e}")))
        .stderr(fs::File::create(&err_path).unwrap_or_else(|e| panic!("{e}")));
    for (k, _) in std::env::vars() {
        if k.starts_with("GITHUB_") || k.starts_with("GIT_") || k == "NO_COLOR" || k == "TOLLGATE_TIMINGS" {
            cmd.env_remove(k);
        }
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null").env("GIT_CONFIG_NOSYSTEM", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start tollgate: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap_or_else(|e| panic!("wait: {e}")) {
            break s;
        }
        if start.elapsed() > common::TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tollgate {args:?} did not finish within {:?}", common::TIMEOUT);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read = |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned();
    Ran { code: status.code(), stdout: read(&out_path), stderr: read(&err_path) }
}

/// The findings of a JSON report as `Finding`s (what the renderers saw).
fn findings_of(report: &Value) -> Vec<Finding> {
    common::findings(report)
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().map(String::from);
            let n = |k: &str| f[k].as_u64().map(|v| v as u32);
            let reg = match (n("line"), n("column"), n("end_line"), n("end_column")) {
                (Some(a), Some(b), Some(c), Some(d)) => region(a, b, c, d),
                _ => None,
            };
            let res = f["resource"].as_object().map(|r| Resource {
                api_version: r.get("apiVersion").and_then(Value::as_str).map(String::from),
                kind: r.get("kind").and_then(Value::as_str).map(String::from),
                namespace: r.get("namespace").and_then(Value::as_str).map(String::from),
                name: r.get("name").and_then(Value::as_str).map(String::from),
            });
            let sev = match f["severity"].as_str() {
                Some("error") => Severity::Error,
                Some("warning") => Severity::Warning,
                _ => Severity::Note,
            };
            let mut g = Finding::builder(
                f["rule"].as_str().unwrap_or(""),
                sev,
                f["message"].as_str().unwrap_or(""),
                Origin::Policy,
            )
            .file(s("file"))
            .document(f["document"].as_u64().map(|d| d as usize))
            .pointer(f["pointer"].as_str().unwrap_or(""))
            .region(reg)
            .resource(res)
            .build();
            g.fingerprint = s("fingerprint").as_deref().and_then(Fingerprint::from_hex).unwrap_or(g.fingerprint);
            g.risk = f["risk"].as_str().and_then(Risk::parse);
            g.new = f["new"].as_bool().unwrap_or(true);
            g.suppressed = f["suppressed"].as_object().map(|o| {
                Box::new(Suppression {
                    // The JSON report names both waivers `waiver`; these runs have no annotation waiver.
                    kind: match o.get("kind").and_then(Value::as_str) {
                        Some("exception") => SuppressionKind::Exception,
                        _ => SuppressionKind::ConfigWaiver,
                    },
                    reason: o.get("reason").and_then(Value::as_str).map(String::from),
                    expires: o.get("expires").and_then(Value::as_str).map(String::from),
                })
            });
            g
        })
        .collect()
}

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

#[test]
fn cli_writes_every_format_in_one_run() {
    let dir = workspace();
    let root = dir.path();
    let summary_path = root.join("summary.md");
    fs::write(&summary_path, "# an earlier step\n").unwrap_or_else(|e| panic!("{e}"));
    let summary_env = summary_path.display().to_string();
    let args = [
        "check",
        "-p",
        "policy",
        "-o",
        "sarif=out.sarif",
        "-o",
        "junit=junit.xml",
        "-o",
        "github",
        "-o",
        "markdown=pr.md",
        "-o",
        "json=report.json",
    ];
    let env = [
        ("GITHUB_STEP_SUMMARY", summary_env.as_str()),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/gitops"),
        ("GITHUB_SHA", SHA),
    ];
    let r = run(root, &args, &env);
    assert_eq!(r.code, Some(1), "blocked\n--- stdout\n{}\n--- stderr\n{}", r.stdout, r.stderr);
    let read = |name: &str| fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let report: Value = serde_json::from_str(&read("report.json")).unwrap_or_else(|e| panic!("report.json: {e}"));
    let findings = findings_of(&report);
    let rules: BTreeSet<&str> = findings.iter().map(|f| &*f.rule).collect();
    for want in ["acme/privileged", "acme/root", "acme/labels", "parse/invalid-yaml", "source/symlink"] {
        assert!(rules.contains(want), "{want} missing from {rules:?}");
    }
    assert!(findings.iter().any(|f| f.suppressed.is_some()), "the exception suppresses acme/root on pod web");
    assert!(findings.iter().any(|f| f.message.contains(INJECTION) && f.message.contains('\n')));

    // github: stdout holds nothing but the commands.
    check_github(&r.stdout, &findings);
    assert!(
        r.stdout.contains("file=apps/odd%2C name%3A1.yaml,line=8,")
            || r.stdout.contains("file=apps/odd%2C name%3A1.yaml,line=11,"),
        "{}",
        r.stdout
    );
    // sarif
    check_sarif(&read("out.sarif"), &findings);
    // junit
    check_junit(&read("junit.xml"), &findings);
    // markdown, with absolute links to the commit
    let md = read("pr.md");
    let rows = check_markdown(&md);
    let blocking = findings.iter().filter(|f| f.new && f.suppressed.is_none() && f.severity == Severity::Error).count();
    assert!(md.contains(&format!("tollgate: {blocking} findings block this change")), "{md}");
    let (text, url) = rows
        .iter()
        .filter_map(|r| md_link(&r[3]))
        .find(|(t, _)| md_unescape(t).starts_with("apps/odd"))
        .unwrap_or_default();
    let line = md_unescape(&text).rsplit(':').next().unwrap_or("").to_string();
    assert_eq!(url, format!("https://github.com/acme/gitops/blob/{SHA}/apps/odd%2C%20name%3A1.yaml#L{line}"));
    // The job summary is appended to what earlier steps wrote.
    assert_eq!(read("summary.md"), format!("# an earlier step\n{md}"));
}

#[test]
fn cli_outside_github_actions_links_relative_and_writes_no_summary() {
    let dir = workspace();
    let root = dir.path();
    let r = run(root, &["check", "-p", "policy", "-o", "markdown", "-o", "github=annotations.txt"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let rows = check_markdown(&r.stdout);
    let links: Vec<String> = rows.iter().filter_map(|r| md_link(&r[3])).map(|(_, u)| u).collect();
    assert!(!links.is_empty() && links.iter().all(|u| u.starts_with("apps/")), "{links:?}");
    assert!(links.contains(&"apps/pod.yaml#L11".to_string()), "{links:?}");
    let ann = fs::read_to_string(root.join("annotations.txt")).unwrap_or_default();
    assert!(!parse_annotations(&ann).is_empty());
    assert!(!root.join("summary.md").exists());
}

#[test]
fn cli_output_is_deterministic() {
    let dir = workspace();
    let root = dir.path();
    let args = [
        "check",
        "-p",
        "policy",
        "-o",
        "sarif=a.sarif",
        "-o",
        "junit=a.xml",
        "-o",
        "markdown=a.md",
        "-o",
        "github",
        "-j",
        "2",
    ];
    let first = run(root, &args, &[]);
    let files: Vec<String> =
        ["a.sarif", "a.xml", "a.md"].iter().map(|n| fs::read_to_string(root.join(n)).unwrap_or_default()).collect();
    for _ in 0..2 {
        let again = run(root, &args, &[]);
        assert_eq!(again.stdout, first.stdout);
        for (n, before) in ["a.sarif", "a.xml", "a.md"].iter().zip(&files) {
            assert_eq!(&fs::read_to_string(root.join(n)).unwrap_or_default(), before, "{n} changed between runs");
        }
    }
}

/// A JSON finding carries its check's `title` and `remediation` (after `message`) when the check
/// has them, the same text SARIF puts in the rule's description and help; a finding without them
/// keeps DESIGN.md §4's shape exactly, and a built-in check's are those of `policies explain`.
#[test]
fn cli_json_findings_carry_title_and_remediation_when_the_check_has_them() {
    let dir = workspace();
    let root = dir.path();
    let r = run(root, &["check", "-p", "policy", "-o", "json=r.json", "-o", "sarif=r.sarif", "apps/pod.yaml"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let read = |n: &str| -> Value {
        serde_json::from_str(&fs::read_to_string(root.join(n)).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{n}: {e}"))
    };
    let (report, sarif) = (read("r.json"), read("r.sarif"));
    let keys = |f: &Value| -> Vec<String> { f.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default() };
    let mut with_both: Vec<String> = FINDING_KEYS.iter().map(|k| k.to_string()).collect();
    with_both.splice(3..3, ["title".to_string(), "remediation".to_string()]);
    let rules = &sarif["runs"][0]["tool"]["driver"]["rules"];
    let (mut titled, mut plain) = (0, 0);
    for f in common::findings(&report) {
        let rule = f["rule"].as_str().unwrap_or_default();
        let sarif_rule = rules.as_array().and_then(|a| a.iter().find(|x| x["id"] == rule)).cloned().unwrap_or_default();
        if rule == "acme/privileged" {
            titled += 1;
            assert_eq!(keys(f), with_both, "{f:#}");
            assert_eq!(f["title"], "Privileged container");
            assert_eq!(f["remediation"], "Set securityContext.privileged to false.");
            assert_eq!(f["title"], sarif_rule["shortDescription"]["text"], "{sarif_rule:#}");
            assert_eq!(f["remediation"], sarif_rule["help"]["text"], "{sarif_rule:#}");
        } else {
            plain += 1;
            assert_eq!(keys(f), FINDING_KEYS, "{f:#}");
            assert!(sarif_rule.get("help").is_none(), "{sarif_rule:#}");
        }
    }
    assert!(titled >= 1 && plain >= 1, "{report:#}");

    // A built-in check: the title and remediation `policies explain` shows.
    let r = run(root, &["check", "--builtin", "baseline", "-o", "json=b.json", "apps/odd, name:1.yaml"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let explained = run(root, &["policies", "explain", "k8s/privileged-container", "-o", "json", "--no-examples"], &[]);
    let explained: Value = serde_json::from_str(&explained.stdout).unwrap_or_else(|e| panic!("{e}"));
    let report = read("b.json");
    let f = common::findings(&report)
        .iter()
        .find(|f| f["rule"] == "k8s/privileged-container")
        .unwrap_or_else(|| panic!("no k8s/privileged-container in {report:#}"));
    assert_eq!((&f["title"], &f["remediation"]), (&explained["title"], &explained["remediation"]), "{f:#}");
    assert!(f["remediation"].as_str().is_some_and(|r| r.contains("privileged")), "{f:#}");
}

#[test]
fn cli_sarif_to_stdout_and_unknown_format() {
    let dir = workspace();
    let root = dir.path();
    let r = run(root, &["check", "-p", "policy", "-o", "sarif", "apps/pod.yaml"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    validate_sarif_schema(&r.stdout);
    let bad = run(root, &["check", "-p", "policy", "-o", "xml"], &[]);
    assert_eq!(bad.code, Some(2));
    assert!(
        bad.stderr.contains("unknown output format `xml`") && bad.stderr.contains("sarif, junit, github, markdown"),
        "{}",
        bad.stderr
    );
}

/// File names that spell workflow commands, end a CDATA section or hold markup and line breaks
/// (git and Linux allow all of them), with the hostile message of [`EVIL`]: every format stays
/// well-formed and shows the name as text, end to end through the binary.
#[cfg(unix)]
#[test]
fn cli_hostile_file_names_in_every_format() {
    let dir = common::tempdir();
    let root = dir.path();
    common::write(root, "policy/formats.rego", POLICY);
    let names = [
        "apps/x%0A::error::pwned.yaml",
        "apps/nl\n::warning file=y,line=1::injected.yaml",
        "apps/c]]><b>&amp;</b> [l](http:x) @team #1.yaml",
    ];
    for n in names {
        common::write(root, n, EVIL);
    }
    let summary_path = root.join("summary.md");
    let summary_env = summary_path.display().to_string();
    let args = ["check", "-p", "policy", "-o", "sarif=out.sarif", "-o", "junit=junit.xml", "-o", "github"];
    let args = [&args[..], &["-o", "markdown=pr.md", "-o", "json=report.json"]].concat();
    let r = run(root, &args, &[("GITHUB_STEP_SUMMARY", summary_env.as_str())]);
    assert_eq!(r.code, Some(1), "--- stdout\n{}\n--- stderr\n{}", r.stdout, r.stderr);
    let read = |name: &str| fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let report: Value = serde_json::from_str(&read("report.json")).unwrap_or_else(|e| panic!("report.json: {e}"));
    let findings = findings_of(&report);
    let files: BTreeSet<&str> = findings.iter().filter_map(|f| f.file.as_deref()).collect();
    // Control characters in a name are reported escaped (`\x0a`), one name per file.
    let reported: BTreeSet<String> = names.iter().map(|n| n.replace('\n', "\\x0a")).collect();
    assert_eq!(files, reported.iter().map(String::as_str).collect(), "every file is reported under its own name");

    // github: one command per line, the file property decodes to the exact name.
    check_github(&r.stdout, &findings);
    assert_eq!(r.stdout.lines().count(), findings.iter().filter(|f| f.suppressed.is_none()).count());
    assert!(r.stdout.contains("file=apps/x%250A%3A%3Aerror%3A%3Apwned.yaml,"), "{}", r.stdout);
    assert!(r.stdout.contains("file=apps/nl\\x0a%3A%3Awarning file=y%2Cline=1%3A%3Ainjected.yaml,"), "{}", r.stdout);
    // sarif: schema-valid, URIs percent-encoded and decoding to the names.
    check_sarif(&read("out.sarif"), &findings);
    // junit: well-formed, and the names survive XML escaping.
    let xml = read("junit.xml");
    check_junit(&xml, &findings);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}"));
    let attrs: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .flat_map(|n| n.attributes().map(|a| a.value().to_string()).collect::<Vec<_>>())
        .collect();
    for n in reported.iter().map(String::as_str) {
        // An attribute is one line: a line break in the name reads as a space.
        let one_line = n.replace('\n', " ");
        assert!(attrs.iter().any(|a| a.starts_with(&format!("{one_line}, "))), "{n:?} not in a testcase of\n{xml}");
    }
    // markdown (and the job summary): only the renderer's own lines and tags; names shown as text.
    let md = read("pr.md");
    let rows = check_markdown(&md);
    for n in reported.iter().map(String::as_str) {
        let shown = rows.iter().filter_map(|r| md_link(&r[3])).any(|(t, url)| {
            md_unescape(&t).starts_with(&md_shown(n)) && percent_decode(url.split('#').next().unwrap_or("")) == n
        });
        assert!(shown, "{n:?} is not linked as text in\n{md}");
    }
    assert_eq!(read("summary.md"), md);
}

#[test]
fn cli_output_file_in_a_directory_that_does_not_exist_yet() {
    let dir = workspace();
    let root = dir.path();
    let r = run(
        root,
        &["check", "-p", "policy", "-o", "sarif=reports/ci/tollgate.sarif", "-o", "junit=reports/junit.xml"],
        &[],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    validate_sarif_schema(&fs::read_to_string(root.join("reports/ci/tollgate.sarif")).unwrap_or_default());
    assert!(fs::read_to_string(root.join("reports/junit.xml")).unwrap_or_default().contains("<testsuites"));
    // A path under a file cannot be made: a tool error naming it, exit 2.
    fs::write(root.join("plain"), "x").unwrap_or_default();
    let bad = run(root, &["check", "-p", "policy", "-o", "sarif=plain/out.sarif"], &[]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("plain"), "{}", bad.stderr);
}
