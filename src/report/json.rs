//! `-o json`: the report object of DESIGN.md §4.

use serde_json::{json, Value};

use super::Outcome;
use crate::finding::Finding;

fn finding(f: &Finding) -> Value {
    let r = f.region;
    json!({
        "rule": f.rule,
        "severity": f.severity.as_str(),
        "message": f.message,
        "file": f.file,
        "document": f.document,
        "pointer": f.pointer,
        "line": r.map(|r| r.line),
        "column": r.map(|r| r.column),
        "end_line": r.map(|r| r.end_line),
        "end_column": r.map(|r| r.end_column),
        "resource": f.resource.as_ref().map(|res| json!({
            "apiVersion": res.api_version,
            "kind": res.kind,
            "namespace": res.namespace,
            "name": res.name,
        })),
        "source": f.origin,
        "risk": f.risk.map(|r| r.as_str()),
        "fingerprint": f.fingerprint,
        "new": f.new,
        "suppressed": f.suppressed.as_ref().map(|s| json!({
            "kind": s.kind,
            "reason": s.reason,
            "expires": s.expires,
        })),
    })
}

/// The whole report, pretty-printed, with a trailing newline.
pub fn render(outcome: &Outcome) -> String {
    let v = json!({
        "version": 1,
        "summary": outcome.summary(),
        "findings": outcome.findings.iter().map(finding).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
