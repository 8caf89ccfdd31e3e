//! `-o json`: the report object of DESIGN.md §4, serialized straight from the findings (no
//! intermediate JSON tree, so memory stays flat on large reports).
//!
//! Strings are written by [`to_string_pretty`]: serde_json's pretty printer, with DEL, the C1
//! controls and the bidirectional and invisible format characters of [`escape::is_unsafe`] also
//! escaped as `\uXXXX` (serde_json itself escapes only the C0 controls, `"` and `\`). A JSON reader
//! gets the same text back; a terminal or a log that shows the report gets no raw control
//! character from a manifest.

use std::io;

use serde::ser::Error as _;
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use super::{Outcome, Summary};
use crate::escape;
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
    /// The check's title (METADATA `title`), as SARIF's rule description; absent when it has none,
    /// so findings without one keep DESIGN.md §4's shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    /// How to fix it (METADATA `custom.remediation`, or the help of a parse, schema or gate
    /// finding), as SARIF's rule help; absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<&'a str>,
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
    /// A finding on a rendered object (`--render`): `{by, root, object}`; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    rendered: Option<&'a crate::finding::Rendered>,
}

/// serde_json's [`PrettyFormatter`] that writes every unsafe character as a `\uXXXX` escape.
struct SafeFormatter(PrettyFormatter<'static>);

impl Formatter for SafeFormatter {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }

    /// serde_json hands over the runs of a string that hold no `"`, `\` or C0 control.
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        // Printable ASCII holds no unsafe character: nearly every fragment is written whole
        // after one pass over its bytes (decoding every character was 1% of a 10,000-file run).
        if fragment.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return w.write_all(fragment.as_bytes());
        }
        let mut done = 0;
        for (i, c) in fragment.char_indices().filter(|&(_, c)| escape::is_unsafe(c)) {
            w.write_all(&fragment.as_bytes()[done..i])?;
            // Every unsafe character past the C0 range is in the Basic Multilingual Plane.
            write!(w, "\\u{:04x}", c as u32)?;
            done = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[done..])
    }
}

/// `value` as pretty-printed JSON (two-space indent, as `serde_json::to_string_pretty`) with every
/// unsafe character escaped.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut buf = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafeFormatter(PrettyFormatter::new()));
    value.serialize(&mut ser)?;
    String::from_utf8(buf).map_err(serde_json::Error::custom)
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    let r = f.region;
    JsonFinding {
        rule: &f.rule,
        severity: f.severity.as_str(),
        message: &f.message,
        title: f.title.as_deref(),
        remediation: f.help.as_deref(),
        file: f.file.as_deref(),
        document: f.document,
        pointer: &f.pointer,
        line: r.map(|r| r.line),
        column: r.map(|r| r.column),
        end_line: r.map(|r| r.end_line),
        end_column: r.map(|r| r.end_column),
        resource: f.resource.as_deref(),
        source: f.origin,
        risk: f.risk.map(|r| r.as_str()),
        fingerprint: &f.fingerprint,
        new: f.new,
        suppressed: f.suppressed.as_deref(),
        rendered: f.rendered.as_deref(),
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
pub fn render_parts(outcome: &Outcome, compliance: Option<&serde_json::Value>) -> Vec<String> {
    let mut parts = Vec::new();
    let _ = write_parts::<()>(outcome, compliance, None, &mut |part| {
        parts.push(part.to_string());
        Ok(())
    });
    parts
}

/// How many chunks of findings are rendered at once before they are written: the report's text
/// in memory at a time is bounded by this many chunks, whatever the number of findings (the whole
/// text of 296,000 findings was 174 MB on top of the findings).
const WAVE: usize = 16;
const CHUNK: usize = 1024;

/// The report handed to `sink` piece by piece, in order.
///
/// The findings are rendered on `pool` (else the rayon pool the caller runs in), in chunks of [`CHUNK`], a wave
/// of [`WAVE`] chunks at a time, and spliced into the rest of the report: the same bytes
/// [`to_string_pretty`] writes for the whole report (a finding is an array element two levels
/// deep, indented by four spaces; JSON strings hold no raw newline, so indenting every line is
/// exact).
pub fn write_parts<E>(
    outcome: &Outcome,
    compliance: Option<&serde_json::Value>,
    pool: Option<&rayon::ThreadPool>,
    sink: &mut dyn FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    use rayon::prelude::*;
    let report = Report { version: 1, summary: outcome.summary(), findings: Vec::new(), compliance };
    let skeleton = to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    const EMPTY: &str = "\n  \"findings\": []";
    let Some((head, tail)) = skeleton.split_once(EMPTY).filter(|_| !outcome.findings.is_empty()) else {
        sink(&skeleton)?;
        return sink("\n");
    };
    sink(&format!("{head}\n  \"findings\": [\n"))?;
    for (w, wave) in outcome.findings.chunks(CHUNK * WAVE).enumerate() {
        let render = || -> Vec<String> {
            wave.par_chunks(CHUNK)
                .enumerate()
                .map(|(n, chunk)| {
                    let mut out = String::new();
                    for (i, f) in chunk.iter().enumerate() {
                        let text = to_string_pretty(&finding(f)).unwrap_or_else(|_| "{}".into());
                        if w > 0 || n > 0 || i > 0 {
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
                })
                .collect()
        };
        let chunks = match pool {
            Some(p) => p.install(render),
            None => render(),
        };
        for c in &chunks {
            sink(c)?;
        }
    }
    sink(&format!("\n  ]{tail}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Region, Severity, SuppressionKind};

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
                let message = format!("line one \"{i}\"\nline two\ttab ü");
                let mut f = Finding::builder("k8s/x", Severity::Error, message, Origin::Policy)
                    .file(format!("apps/{i}.yaml"))
                    .document(i % 3)
                    .pointer("/spec/containers/0")
                    .region((i % 5 != 0).then_some(region))
                    .resource(Resource { kind: Some("Pod".into()), name: Some(format!("p{i}")), ..Default::default() })
                    .build();
                if i % 2 == 0 {
                    f.title = Some(format!("Title {i}").into());
                }
                if i % 3 == 0 {
                    f.help = Some("fix \"it\"\nnow".into());
                }
                if i % 7 == 0 {
                    f.suppressed = Some(Box::new(Suppression {
                        kind: SuppressionKind::ConfigWaiver,
                        reason: Some("why".into()),
                        expires: None,
                    }));
                }
                f
            })
            .collect();
        Outcome { findings, files: n, documents: n, ..Default::default() }
    }

    /// DEL, C1 and the bidirectional and invisible format characters are `\uXXXX` escapes (C0 ones
    /// are serde_json's own); the text reads back the same; other text is written as serde_json
    /// writes it.
    #[test]
    fn unsafe_characters_are_escaped() {
        let hostile = "a\u{1b}[31m\u{7}\r\n\t\u{0}\u{7f}\u{85}\u{9b}\u{202a}\u{202e}\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}\u{2028}\u{2029}\u{feff}ü日👍\u{200d}\"\\";
        let v = serde_json::json!({ hostile: [hostile, 1, null, {"k": hostile}] });
        let text = to_string_pretty(&v).expect("serializes");
        assert!(!text.chars().any(|c| escape::is_unsafe(c) && c != '\n'), "{text}");
        let want = r#"\u001b[31m\u0007\r\n\t\u0000\u007f\u0085\u009b\u202a\u202e\u2066\u2069\u200e\u200f\u061c\u2028\u2029\ufeffü日👍"#;
        assert!(text.contains(&format!("{want}\u{200d}\\\"\\\\")), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).expect("parses"), v);
        let safe = serde_json::json!({"a": ["ü 日 👍 \" \\ \n \u{1b}", 1.5, true, {}, []], "b": {"c": null}});
        assert_eq!(
            to_string_pretty(&safe).expect("serializes"),
            serde_json::to_string_pretty(&safe).expect("serializes")
        );
    }

    /// Each character, alone and inside printable ASCII, is written as serde_json writes it with
    /// the unsafe ones that it leaves raw escaped (the printable ASCII fast path changes nothing).
    #[test]
    fn every_character_is_written_as_serde_json_then_escaped() {
        for c in (0..0x3000u32).chain(0xfe00..0x10000).chain([0x1f44d, 0x10ffff]).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("a {c}~b"), format!("{c}{c}xyz")] {
                let mut want = String::new();
                for r in serde_json::to_string(&s).expect("serializes").chars() {
                    match escape::is_unsafe(r) {
                        true => want.push_str(&format!("\\u{:04x}", r as u32)),
                        false => want.push(r),
                    }
                }
                assert_eq!(to_string_pretty(&s).expect("serializes"), want, "U+{:04X}", c as u32);
            }
        }
    }

    /// The spliced, chunked rendering is byte for byte what serde_json writes for the whole
    /// report: no findings, fewer than a chunk, several chunks; with and without `compliance`.
    #[test]
    fn chunked_rendering_equals_the_whole_report() {
        let compliance = serde_json::json!({"framework": "cis", "controls": [{"id": "5.2.1", "findings": []}]});
        // Several chunks, and more than one wave of them.
        for n in [0, 1, 3, 1024, 2500, CHUNK * WAVE + 1] {
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
