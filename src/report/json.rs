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
    render_parts(outcome, compliance).concat()
}

/// The report in pieces to be written one after the other (a large report is not copied into one
/// string first).
///
/// The findings are rendered on the rayon pool the caller runs in, in chunks, and spliced into
/// the rest of the report: the same bytes `to_string_pretty` writes for the whole report (a
/// finding is an array element two levels deep, indented by four spaces; JSON strings hold no
/// raw newline, so indenting every line is exact).
pub fn render_parts(outcome: &Outcome, compliance: Option<&serde_json::Value>) -> Vec<String> {
    use rayon::prelude::*;
    let report = Report { version: 1, summary: outcome.summary(), findings: Vec::new(), compliance };
    let skeleton = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    const EMPTY: &str = "\n  \"findings\": []";
    let Some((head, tail)) = skeleton.split_once(EMPTY).filter(|_| !outcome.findings.is_empty()) else {
        return vec![skeleton, "\n".into()];
    };
    let chunks = outcome.findings.par_chunks(1024).enumerate().map(|(n, chunk)| {
        let mut out = String::new();
        for (i, f) in chunk.iter().enumerate() {
            let text = serde_json::to_string_pretty(&finding(f)).unwrap_or_else(|_| "{}".into());
            if n > 0 || i > 0 {
                out.push_str(",\n");
            }
            for (j, line) in text.lines().enumerate() {
                if j > 0 {
                    out.push('\n');
                }
                out.push_str("    ");
                out.push_str(line);
            }
        }
        out
    });
    let mut parts = vec![format!("{head}\n  \"findings\": [\n")];
    parts.par_extend(chunks);
    parts.push(format!("\n  ]{tail}\n"));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Region, Severity};

    fn outcome(n: usize) -> Outcome {
        let findings = (0..n)
            .map(|i| {
                let region = Region {
                    line: i as u32 + 1,
                    column: 3,
                    end_line: i as u32 + 2,
                    end_column: 9,
                    start_byte: 0,
                    end_byte: 0,
                };
                let mut f = Finding::new(
                    "k8s/x",
                    Severity::Error,
                    format!("line one \"{i}\"\nline two\ttab ü"),
                    Origin::Policy,
                    Some(format!("apps/{i}.yaml")),
                    Some(i % 3),
                    "/spec/containers/0",
                    (i % 5 != 0).then_some(region),
                    Some(Resource { kind: Some("Pod".into()), name: Some(format!("p{i}")), ..Default::default() }),
                );
                if i % 7 == 0 {
                    f.suppressed =
                        Some(Suppression { kind: "waiver".into(), reason: Some("why".into()), expires: None });
                }
                f
            })
            .collect();
        Outcome { findings, files: n, documents: n, ..Default::default() }
    }

    /// The spliced, chunked rendering is byte for byte what serde_json writes for the whole
    /// report: no findings, fewer than a chunk, several chunks; with and without `compliance`.
    #[test]
    fn chunked_rendering_equals_the_whole_report() {
        let compliance = serde_json::json!({"framework": "cis", "controls": [{"id": "5.2.1", "findings": []}]});
        for n in [0, 1, 3, 1024, 2500] {
            let o = outcome(n);
            for c in [None, Some(&compliance)] {
                let whole = Report {
                    version: 1,
                    summary: o.summary(),
                    findings: o.findings.iter().map(finding).collect(),
                    compliance: c,
                };
                let expected = serde_json::to_string_pretty(&whole).expect("serializes") + "\n";
                assert_eq!(render_with(&o, c), expected, "{n} findings, compliance {}", c.is_some());
            }
        }
    }
}
