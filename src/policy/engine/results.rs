//! What a policy's value means: its results decoded as conftest reads them, and the findings
//! they make (bounded in number and size), including those about the policy itself (a runtime
//! error, an invalid result, a budget reached).

use regorus::Value;

use super::{Check, RuleRef};
use crate::finding::{Finding, Origin, Region, Risk, Severity, Suppression};
use crate::manifest::span::{parse_pointer, PathSeg};
use crate::manifest::Document;
use crate::policy::limits::{self, Limits, Stop};

/// Where a result of an evaluation on one document is: its `path` inside that document.
pub(super) fn in_document<'d>(
    doc: &'d Document,
) -> impl Fn(&PolicyResult) -> (Option<&'d Document>, Vec<PathSeg>) + 'd {
    move |r| (Some(doc), r.path.clone().unwrap_or_default())
}

/// The findings of one gate rule's value: one per result, located by `locate`; a result that is
/// neither a string nor an object with a string `msg` is a `policy/invalid-result` error on `at`
/// (the evaluated document; none with `--combine`). At most [`MAX_RESULTS`] per document (with
/// `--combine`, per document of the run); the rest are counted in one more finding.
pub(super) fn push_results<'d>(
    out: &mut Vec<Finding>,
    check: &Check,
    rule: &RuleRef,
    v: &Value,
    on: On<'_>,
    excepted: Option<Suppression>,
    locate: impl Fn(&PolicyResult) -> (Option<&'d Document>, Vec<PathSeg>),
) {
    let (at, max) = match on {
        On::Document(d) => (Some(d), MAX_RESULTS),
        On::Combined(n) => (None, MAX_RESULTS.saturating_mul(n.max(1))),
    };
    let (total, shown) = results_of(v, max);
    for r in shown {
        match r {
            Ok(mut r) => {
                r.msg = excerpt_text(&r.msg, MAX_MESSAGE_CHARS);
                let (doc, path) = locate(&r);
                out.push(make_finding(check, rule, &r, doc, &path, excepted.clone()));
            }
            Err(bad) => out.push(invalid_result(check, rule, at, &bad)),
        }
    }
    if total > max {
        // The findings are kept for the report: their number is bounded per rule and document.
        let mut f = policy_problem(
            "policy/resource-limit",
            at,
            format!(
                "data.{}.{} produced {total} results on {}; only the first {max} are reported",
                check.package,
                rule.name,
                if at.is_some() { "this document" } else { "the combined documents" }
            ),
            RESOURCE_HELP,
        );
        f.severity = rule.severity;
        f.suppressed = excepted.map(Box::new);
        out.push(f);
    }
}

/// What an evaluation ran on.
#[derive(Clone, Copy)]
pub(super) enum On<'a> {
    Document(&'a Document),
    /// `--combine`: this many documents.
    Combined(usize),
}

/// Results of one gate rule reported per document (or per combined evaluation).
const MAX_RESULTS: usize = 1000;
/// Longest message of a finding from a policy (the rest is cut, with `…`).
const MAX_MESSAGE_CHARS: usize = 4000;
/// `print()` output kept per evaluation: lines, and characters per line.
const MAX_PRINT_LINES: usize = 1000;

/// `text` cut after `max` characters, with `…`.
fn excerpt_text(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// `print()` output of one evaluation, bounded: at most [`MAX_PRINT_LINES`] lines of at most
/// [`MAX_MESSAGE_CHARS`] characters, each prefixed with `prefix`.
pub(super) fn bounded_prints(prints: Vec<String>, prefix: &str) -> Vec<String> {
    let total = prints.len();
    let mut out: Vec<String> = prints
        .into_iter()
        .take(MAX_PRINT_LINES)
        .map(|p| format!("{prefix}{}", excerpt_text(&p, MAX_MESSAGE_CHARS)))
        .collect();
    if total > MAX_PRINT_LINES {
        out.push(format!("{prefix}… {} more lines of print() output not shown", total - MAX_PRINT_LINES));
    }
    out
}

/// One decoded policy result.
#[derive(Debug, Default, Clone)]
pub(super) struct PolicyResult {
    msg: String,
    id: Option<String>,
    severity: Option<Risk>,
    pub(super) path: Option<Vec<PathSeg>>,
    title: Option<String>,
    remediation: Option<String>,
    /// A text inside the value at `path` (a line of an embedded file) that the finding is about:
    /// its first occurrence there is the region.
    matched: Option<String>,
}

fn path_of(v: &Value) -> Option<Vec<PathSeg>> {
    match v {
        Value::String(s) => Some(parse_pointer(s)),
        Value::Array(a) => Some(
            a.iter()
                .map(|x| match x {
                    Value::Number(n) => match n.as_u64() {
                        Some(i) => PathSeg::Index(i),
                        None => PathSeg::Key(x.to_string()),
                    },
                    Value::String(s) => PathSeg::Key(s.to_string()),
                    other => PathSeg::Key(other.to_string()),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// A result as conftest reads it: a string (the message), or an object whose `msg` is a string.
/// `Err` holds anything else (`42`, `null`, an array inside a set, an object without a string
/// `msg`): such a result is reported as `policy/invalid-result`, never dropped.
fn decode(v: &Value) -> Result<PolicyResult, Value> {
    let s = |x: &Value| match x {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    };
    match v {
        Value::String(m) => Ok(PolicyResult { msg: m.to_string(), ..Default::default() }),
        Value::Object(_) => match &v["msg"] {
            Value::String(m) => Ok(PolicyResult {
                msg: m.to_string(),
                id: s(&v["id"]),
                severity: s(&v["severity"]).and_then(|x| Risk::parse(&x)),
                path: path_of(&v["path"]),
                title: s(&v["title"]),
                remediation: s(&v["remediation"]),
                matched: s(&v["match"]).filter(|m| !m.trim().is_empty()),
            }),
            _ => Err(v.clone()),
        },
        Value::Bool(true) => Ok(PolicyResult { msg: "rule is true".into(), ..Default::default() }),
        other => Err(other.clone()),
    }
}

/// The results of a gate rule's value: each member of a set (a partial rule) or an array, or the
/// value itself (a complete rule). Undefined, `false` and an empty collection are no result.
/// Only the first `max` are decoded; the count is of all of them.
fn results_of(v: &Value, max: usize) -> (usize, Vec<Result<PolicyResult, Value>>) {
    match v {
        Value::Set(s) => (s.len(), s.iter().take(max).map(decode).collect()),
        Value::Array(a) => (a.len(), a.iter().take(max).map(decode).collect()),
        Value::Undefined | Value::Bool(false) => (0, Vec::new()),
        other => (1, vec![decode(other)]),
    }
}

/// The first occurrence of `text` inside `region` of the document's file, or `region` when the
/// text is not there verbatim (a quoted scalar with escapes, a folded one).
fn narrowed(d: &Document, region: Region, text: &str) -> Region {
    let file = &d.file.text;
    let found = file.get(region.start_byte..region.end_byte).and_then(|inside| inside.find(text));
    match found {
        Some(i) => d.file.region(region.start_byte + i, region.start_byte + i + text.len()),
        None => region,
    }
}

fn make_finding(
    check: &Check,
    rule: &RuleRef,
    r: &PolicyResult,
    doc: Option<&Document>,
    path: &[PathSeg],
    suppressed: Option<Suppression>,
) -> Finding {
    let meta = rule.meta.as_ref().unwrap_or(&check.meta);
    let id = r.id.clone().or_else(|| meta.id.clone()).unwrap_or_else(|| format!("{}.{}", check.package, rule.name));
    let (file, document, pointer, region, resource) = match doc {
        Some(d) => {
            let loc = d.locate(path);
            let region = match (&r.matched, loc.region) {
                (Some(m), Some(region)) => Some(narrowed(d, region, m)),
                (_, region) => region,
            };
            (Some(d.file.path.clone()), Some(d.index), loc.pointer, region, Some(d.resource.clone()))
        }
        None => (None, None, crate::manifest::span::to_pointer(path), None, None),
    };
    // The fingerprint uses the path the policy named, so it does not move when a missing field
    // is added elsewhere in the parent.
    let requested = match doc {
        Some(d) => {
            let mut full = d.base.clone();
            full.extend_from_slice(path);
            crate::manifest::span::to_pointer(&full)
        }
        None => crate::manifest::span::to_pointer(path),
    };
    Finding::builder(id, rule.severity, r.msg.clone(), Origin::Policy)
        .file(file)
        .document(document)
        .pointer(pointer)
        .fingerprint_pointer(requested)
        .region(region)
        .resource(resource)
        .risk(r.severity.or(meta.severity))
        .title(r.title.clone().or_else(|| meta.title.clone()))
        .help(r.remediation.clone().or_else(|| meta.remediation.clone()))
        .suppressed(suppressed)
        .build()
}

/// A blocking finding about the policy itself (not about the document), on the document it was
/// evaluated on. Its fingerprint also covers the document's content: in PR mode a document the
/// change edits is then never hidden behind the same failure on its merge-base version (a policy
/// that stops on both would otherwise let any edit of it through as "not new").
fn policy_problem(rule: &str, doc: Option<&Document>, message: String, help: &str) -> Finding {
    let (file, document, region, resource) = match doc {
        Some(d) => (Some(d.file.path.clone()), Some(d.index), d.locate(&[]).region, Some(d.resource.clone())),
        None => (None, None, None, None),
    };
    let f = Finding::builder(rule, Severity::Error, message, Origin::Policy)
        .file(file)
        .document(document)
        .region(region)
        .resource(resource)
        .help(help.to_string());
    match doc {
        Some(d) => f.fingerprint_salt(serde_json::to_vec(&d.value).unwrap_or_default()).build(),
        None => f.build(),
    }
}

pub(super) fn runtime_error(check: &Check, rule: &RuleRef, doc: Option<&Document>, err: &str) -> Finding {
    policy_problem(
        "policy/runtime-error",
        doc,
        format!("data.{}.{} failed on this document: {}", check.package, rule.name, one_line(err)),
        "fix the policy, or guard the expression against this input",
    )
}

const RESOURCE_HELP: &str = "the policy loops, recurses or builds large values on this document: fix it, or \
     raise the limit with the flag the message names if the document really needs it";

/// An evaluation stopped by a budget (on `doc`; none with `--combine`). `by_run`: the run's
/// deadline came before the document's own.
pub(super) fn stopped(doc: Option<&Document>, stop: Stop, l: &Limits, by_run: bool) -> Finding {
    let on = if doc.is_some() { "this document" } else { "the combined documents" };
    let why = match (stop, by_run) {
        (Stop::Memory, _) => format!(
            "it went over the memory ceiling of one evaluation, {} (--policy-memory)",
            limits::show_memory(l.memory)
        ),
        (Stop::Time, false) => format!(
            "it took longer than the time budget of one document, {} (--policy-timeout)",
            limits::show_duration(l.document_time)
        ),
        (Stop::Time, true) => format!(
            "the run's policy time budget of {} (--policy-run-timeout) ran out",
            limits::show_duration(l.run_time)
        ),
    };
    policy_problem("policy/resource-limit", doc, format!("policy evaluation of {on} was stopped: {why}"), RESOURCE_HELP)
}

/// A document reached after the run's budget ran out.
pub(super) fn not_evaluated(doc: &Document, l: &Limits) -> Finding {
    policy_problem(
        "policy/resource-limit",
        Some(doc),
        format!(
            "not evaluated: the run's policy time budget of {} (--policy-run-timeout) ran out before this document",
            limits::show_duration(l.run_time)
        ),
        RESOURCE_HELP,
    )
}

/// regorus panicked evaluating a document (a bug in it, reached by the policy).
pub(super) fn panicked(doc: Option<&Document>, panic: &(dyn std::any::Any + Send)) -> Finding {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    policy_problem(
        "policy/runtime-error",
        doc,
        format!("policy evaluation failed inside regorus: {}", one_line(&what)),
        "the policy reaches a defect of the Rego engine; change the expression it fails on",
    )
}

/// Longest excerpt of an invalid result shown in its finding.
const SHOWN_VALUE_CHARS: usize = 200;

fn invalid_result(check: &Check, rule: &RuleRef, doc: Option<&Document>, v: &Value) -> Finding {
    policy_problem(
        "policy/invalid-result",
        doc,
        format!(
            "data.{}.{} produced a result that is neither a string nor an object with a string `msg`: {}",
            check.package,
            rule.name,
            excerpt(v, SHOWN_VALUE_CHARS)
        ),
        "make the rule produce a message string or an object such as {\"msg\": \"...\"}",
    )
}

/// A value as compact JSON, cut after `max` characters (with `…`). The formatting stops there, so a
/// result of a million elements costs no more than a short one.
fn excerpt(v: &Value, max: usize) -> String {
    struct Bounded {
        text: String,
        chars: usize,
        max: usize,
        cut: bool,
    }
    impl std::fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            for c in s.chars() {
                if self.chars == self.max {
                    self.cut = true;
                    return Err(std::fmt::Error);
                }
                self.text.push(c);
                self.chars += 1;
            }
            Ok(())
        }
    }
    let mut b = Bounded { text: String::new(), chars: 0, max, cut: false };
    let _ = std::fmt::write(&mut b, format_args!("{v}"));
    if b.cut {
        b.text.push('…');
    }
    b.text
}

/// regorus's error text (`--> file:line:col`, the policy line with a caret under the column,
/// `error: what`) as one line, `file:line:col: what`: a finding's message is one line (the human
/// report escapes control characters, so the snippet showed as `\n  |\n4 |`). Text of another
/// form has its lines joined.
pub(super) fn one_line(err: &str) -> String {
    let lines: Vec<&str> = err.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let at = lines.iter().find_map(|l| l.strip_prefix("--> "));
    let what: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("error: ")).collect();
    match at {
        Some(at) if !what.is_empty() => format!("{at}: {}", what.join("; ")),
        _ => lines.join(" "),
    }
}
