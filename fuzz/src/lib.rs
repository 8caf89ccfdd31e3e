//! Fuzz checks: what must hold for any input to the loader, the config parser, waivers and the
//! renderers. Each function panics when a property breaks, so a coverage-guided fuzzer
//! (`cargo fuzz`, fuzz_targets/) and the replay and bounded mutation run of `tests/it/fuzz.rs`
//! (`cargo test`, stable, offline) share one definition of "a bug".

use std::collections::BTreeMap;
use std::sync::Arc;

use regorus::Value;
use tollgate::escape;
use tollgate::finding::{Finding, Origin, Severity};
use tollgate::manifest::span::PathSeg;
use tollgate::manifest::{self, Limits};
use tollgate::report::{self, Format, Outcome, RenderContext};
use tollgate::source::SourceFile;

/// Nodes of one document whose locations are checked (a bound, so a huge input stays fast).
const MAX_NODES: usize = 2_000;

fn load(path: &str, data: &[u8], limits: &Limits) -> manifest::Loaded {
    manifest::load(&SourceFile { path: path.into(), bytes: data.to_vec(), too_large: None }, limits)
}

/// The loader on any bytes, as a `.yaml` (or `.json`) file read the Kubernetes way and the YAML
/// 1.2 way: no panic; every region lies in the text, starts before it ends and sits on character
/// boundaries; every node of every document can be located, at itself or at a parent; the same
/// input loads the same way twice.
pub fn loader(data: &[u8], path: &str) {
    for limits in [Limits::default(), Limits::for_non_kubernetes()] {
        let first = load(path, data, &limits);
        check_loaded(&first);
        let again = load(path, data, &limits);
        assert_eq!(summary(&first), summary(&again), "loading is deterministic");
    }
}

/// What a load produced, for comparing two loads.
fn summary(l: &manifest::Loaded) -> (Vec<String>, Vec<(String, String, Option<(u32, u32)>)>) {
    let docs = l.docs.iter().map(|d| format!("{}:{}", d.index, json_of(&d.value))).collect();
    let findings = l
        .findings
        .iter()
        .map(|f| (f.rule.to_string(), f.message.to_string(), f.region.map(|r| (r.line, r.column))))
        .collect();
    (docs, findings)
}

fn json_of(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| panic!("a loaded value serializes: {e}"))
}

fn check_loaded(l: &manifest::Loaded) {
    let text = l.text.as_ref().map(|t| t.text.clone());
    for f in &l.findings {
        assert!(!f.rule.is_empty() && !f.message.is_empty(), "{f:?}");
        if let (Some(r), Some(t)) = (f.region, &text) {
            check_region(&r, t, &format!("finding {}", f.rule));
        }
    }
    for d in &l.docs {
        let t = d.file.text.clone();
        let _ = json_of(&d.value);
        let mut paths = Vec::new();
        collect_paths(&d.value, &mut Vec::new(), &mut paths);
        for p in paths {
            let located = d.locate(&p);
            // A `kind: List` item's pointers start with its place in the list.
            let full: Vec<PathSeg> = d.base.iter().cloned().chain(p.iter().cloned()).collect();
            let requested = tollgate::manifest::span::to_pointer(&full);
            let parents: Vec<String> =
                (0..=full.len()).map(|k| tollgate::manifest::span::to_pointer(&full[..k])).collect();
            assert!(
                parents.contains(&located.pointer),
                "a node locates at itself or a parent: asked {requested:?}, got {:?}",
                located.pointer
            );
            if let Some(r) = located.region {
                check_region(&r, &t, &format!("node {requested}"));
            }
        }
    }
}

fn check_region(r: &tollgate::finding::Region, text: &str, what: &str) {
    assert!(r.line >= 1 && r.column >= 1, "{what}: 1-based {r:?}");
    assert!((r.line, r.column) <= (r.end_line, r.end_column), "{what}: starts before it ends {r:?}");
    assert!(r.start_byte <= r.end_byte && r.end_byte <= text.len(), "{what}: inside the text {r:?}");
    assert!(text.is_char_boundary(r.start_byte) && text.is_char_boundary(r.end_byte), "{what}: on chars {r:?}");
    let lines = text.split(['\n', '\r']).count() as u32 + 1;
    assert!(r.end_line <= lines, "{what}: within the lines {r:?} of {lines}");
}

/// Paths to the nodes of a value, pre-order, at most [`MAX_NODES`].
fn collect_paths(v: &Value, at: &mut Vec<PathSeg>, out: &mut Vec<Vec<PathSeg>>) {
    if out.len() >= MAX_NODES {
        return;
    }
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter() {
                let key = match k {
                    Value::String(s) => s.to_string(),
                    other => json_of(other),
                };
                at.push(PathSeg::Key(key));
                collect_paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(PathSeg::Index(i as u64));
                collect_paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The loaders of the other input formats (`tollgate::manifest::formats`) on any bytes, each by
/// the file name that selects it: what [`loader`] checks for YAML holds for each of them.
pub fn formats(data: &[u8]) {
    for path in ["Dockerfile", "f.tf", "f.toml", "f.ini", ".env", "f.properties", ".gitignore"] {
        loader(data, path);
    }
    // HCL1, EDN, VCL, CUE, HOCON and Jsonnet, each a parser of tollgate's own (HCL2's, `f.tf` above, too).
    for path in ["f.hcl1", "f.edn", "f.vcl", "f.cue", "f.hocon", "f.jsonnet"] {
        loader(data, path);
    }
    // textproto: only the search for the `# proto-message:` comment runs.
    loader(data, "f.textproto");
}

/// The XML, JSONC, CycloneDX and SPDX loaders on any bytes, each by the name that selects it: what
/// [`loader`] checks for YAML holds for each of them.
pub fn markup(data: &[u8]) {
    for path in ["f.xml", "f.jsonc", "f.cyclonedx", "f.spdx"] {
        loader(data, path);
    }
}

/// JSON read by tollgate and by serde_json: whenever serde_json reads one object and tollgate
/// reports no error, both read the same value (numbers compared as numbers).
pub fn json(data: &[u8]) {
    loader(data, "f.json");
    let Ok(expected) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let l = load("f.json", data, &Limits::default());
    if l.findings.iter().any(|f| f.severity == Severity::Error) || l.docs.len() != 1 || !expected.is_object() {
        return;
    }
    // `kind: *List` documents are expanded into their items.
    if expected.get("kind").and_then(|k| k.as_str()).is_some_and(|k| k.ends_with("List")) {
        return;
    }
    let got: serde_json::Value = serde_json::from_str(&json_of(&l.docs[0].value)).unwrap_or(serde_json::Value::Null);
    assert!(same_json(&got, &expected), "tollgate read {got} where serde_json read {expected}");
}

fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The `.tollgate.yaml` parser on any text: no panic; an error names `.tollgate.yaml` and, when
/// it has one, a position.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = tollgate::config::parse(".tollgate.yaml", &text) {
        assert!(e.location.starts_with(".tollgate.yaml"), "{e:?}");
    }
}

/// Days in a month by a second, independent reckoning (the leap rule as xor of the three tests).
fn days_in(year: u32, month: u32) -> u32 {
    let leap = (year % 4 == 0) ^ (year % 100 == 0) ^ (year % 400 == 0);
    [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        .get(month.wrapping_sub(1) as usize)
        .copied()
        .unwrap_or(0)
}

fn reference_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts[..] else { return false };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (y, m, d): (u32, u32, u32) = (y.parse().unwrap_or(0), m.parse().unwrap_or(0), d.parse().unwrap_or(0));
    d >= 1 && d <= days_in(y, m)
}

/// Waivers on any text: `valid_date` agrees with an independent calendar; an annotation waiver
/// built from the text never panics, and a finding it suppresses carries the waiver's own rule
/// and a real, unexpired date.
pub fn waivers(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    assert_eq!(tollgate::suppress::valid_date(&s), reference_date(&s), "valid_date({s:?})");
    let quoted = serde_json::to_string(&*s).unwrap_or_default();
    let manifest = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    tollgate.dev/waive: {quoted}\nspec: {{}}\n"
    );
    let l = load("w.yaml", manifest.as_bytes(), &Limits::default());
    let today = "2026-12-06";
    for d in &l.docs {
        for rule in ["k8s/privileged-container", s.split('=').next().unwrap_or("").trim()] {
            let located = d.locate(&[]);
            let mut findings = vec![Finding::builder(rule, Severity::Error, "m", Origin::Policy)
                .file("w.yaml".to_string())
                .document(d.index)
                .pointer(located.pointer)
                .region(located.region)
                .resource(d.resource.clone())
                .build()];
            let _ = tollgate::suppress::apply_inline(d, &mut findings, today);
            if let Some(sup) = &findings[0].suppressed {
                let expires = sup.expires.as_deref().unwrap_or("");
                assert!(reference_date(expires) && expires >= today, "suppressed by {s:?} until {expires:?}");
                assert!(s.lines().any(|l| l.trim_start().starts_with(rule)), "{rule} waived by {s:?}");
            }
        }
    }
}

/// Split fuzz bytes into text fields at 0xFF (never part of UTF-8).
fn fields(data: &[u8]) -> Vec<String> {
    data.split(|&b| b == 0xFF).map(|f| String::from_utf8_lossy(f).into_owned()).collect()
}

/// Every renderer on findings whose file name, rule, message, title, help, resource and source
/// text come from the input: no character [`escape::is_unsafe`] flags reaches a text output raw
/// (beyond the line breaks and tabs the format uses), JSON and SARIF parse and give the exact
/// message back, JUnit is well-formed XML, and each `github` line is one workflow command.
pub fn render(data: &[u8]) {
    let f = fields(data);
    let get = |i: usize| f.get(i).cloned().unwrap_or_default();
    let (source, file, rule, message) = (get(0), get(1), get(2), get(3));
    let file = if file.is_empty() { "f.yaml".to_string() } else { file };
    let rule = if rule.is_empty() { "x/rule".to_string() } else { rule };
    let message = if message.is_empty() { "message".to_string() } else { message };
    let loaded = load(&file, source.as_bytes(), &Limits::default());
    let mut findings = loaded.findings.clone();
    for d in &loaded.docs {
        let mut paths = Vec::new();
        collect_paths(&d.value, &mut Vec::new(), &mut paths);
        for (i, p) in paths.iter().take(20).enumerate() {
            let located = d.locate(p);
            let severity = [Severity::Error, Severity::Warning, Severity::Note][i % 3];
            let x = Finding::builder(rule.clone(), severity, message.clone(), Origin::Policy)
                .file(file.clone())
                .document(d.index)
                .pointer(located.pointer)
                .region(located.region)
                .resource(d.resource.clone())
                .title(Some(get(4)).filter(|t| !t.is_empty()))
                .help(Some(get(5)).filter(|t| !t.is_empty()));
            findings.push(x.build());
        }
    }
    // A finding with no file and no place, and one with no region.
    findings.push(Finding::builder(rule.clone(), Severity::Error, message.clone(), Origin::Policy).build());
    findings.push(
        Finding::builder(rule.clone(), Severity::Warning, message.clone(), Origin::Gate).file(file.clone()).build(),
    );
    tollgate::finding::sort_and_dedup(&mut findings);
    let mut texts = BTreeMap::new();
    if let Some(t) = &loaded.text {
        texts.insert(t.path.clone(), Arc::clone(t));
    }
    let n = findings.len();
    let outcome = Outcome { findings, files: 1, documents: loaded.docs.len(), texts, fail_on: None };
    let mut changed = report::ChangedLines::new();
    changed.insert((file.clone(), 1));
    for color in [false, true] {
        let ctx = RenderContext { color, changed_lines: Some(changed.clone()), link_base: None };
        let human = report::render(Format::Human, &outcome, &ctx);
        let keep: &[char] = if color { &['\n', '\t', '\u{1b}'] } else { &['\n', '\t'] };
        assert_no_raw("human", &human, keep);
        if color {
            // Colour codes are tollgate's own, never the input's: each ESC starts an SGR sequence.
            for (i, _) in human.match_indices('\u{1b}') {
                assert!(human[i..].starts_with("\u{1b}["), "a raw escape at {i}");
            }
        }
    }
    let ctx = RenderContext::default();
    let github = report::render(Format::Github, &outcome, &ctx);
    assert_no_raw("github", &github, &['\n']);
    for line in github.lines() {
        assert!(line.starts_with("::"), "one workflow command per line: {line:?}");
    }
    assert_no_raw("markdown", &report::render(Format::Markdown, &outcome, &ctx), &['\n']);
    let junit = report::render(Format::Junit, &outcome, &ctx);
    assert_no_raw("junit", &junit, &['\n', '\t']);
    if let Err(e) = roxmltree::Document::parse(&junit) {
        panic!("junit is well-formed XML: {e}");
    }
    for fmt in [Format::Json, Format::Sarif] {
        let out = report::render(fmt, &outcome, &ctx);
        assert_no_raw("json/sarif", &out, &['\n']);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{fmt:?} parses: {e}"));
        let text = v.to_string();
        let want = serde_json::to_string(&message).unwrap_or_default();
        // (SARIF needs a message: a blank one is replaced by the rule id.)
        let blank = message.trim().is_empty();
        assert!(blank || n == 0 || text.contains(want.trim_matches('"')), "{fmt:?} gives the message back");
    }
}

fn assert_no_raw(format: &str, out: &str, keep: &[char]) {
    if let Some((i, c)) = out.char_indices().find(|&(_, c)| escape::is_unsafe(c) && !keep.contains(&c)) {
        let around: String = out[..i]
            .chars()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .chain(out[i..].chars().take(40))
            .collect();
        panic!("{format}: raw {c:?} at byte {i}: {around:?}");
    }
}
