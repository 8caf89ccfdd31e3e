//! `-o json`: the report object of DESIGN.md §4, serialized straight from the findings (no
//! intermediate JSON tree, so memory stays flat on large reports).

use serde::Serialize;

use super::{Outcome, Summary};
use crate::finding::{Finding, Origin, Resource, Suppression};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    /// `check --report FRAMEWORK` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    compliance: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'static str,
    message: &'a str,
    file: Option<&'a str>,
    document: Option<usize>,
    pointer: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    resource: Option<&'a Resource>,
    source: Origin,
    risk: Option<&'static str>,
    fingerprint: &'a str,
    new: bool,
    suppressed: Option<&'a Suppression>,
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    let r = f.region;
    JsonFinding {
        rule: &f.rule,
        severity: f.severity.as_str(),
        message: &f.message,
        file: f.file.as_deref(),
        document: f.document,
        pointer: &f.pointer,
        line: r.map(|r| r.line),
        column: r.map(|r| r.column),
        end_line: r.map(|r| r.end_line),
        end_column: r.map(|r| r.end_column),
        resource: f.resource.as_ref(),
        source: f.origin,
        risk: f.risk.map(|r| r.as_str()),
        fingerprint: &f.fingerprint,
        new: f.new,
        suppressed: f.suppressed.as_ref(),
    }
}

/// The whole report, pretty-printed, with a trailing newline.
pub fn render(outcome: &Outcome) -> String {
    render_with(outcome, None)
}

/// The report with the optional top-level `compliance` object (`check --report`).
pub fn render_with(outcome: &Outcome, compliance: Option<&serde_json::Value>) -> String {
    let report = Report {
        version: 1,
        summary: outcome.summary(),
        findings: outcome.findings.iter().map(finding).collect(),
        compliance,
    };
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
