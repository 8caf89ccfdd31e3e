//! `-o github`: GitHub Actions workflow commands, one line per unsuppressed finding:
//! `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message` (`::warning`, `::notice`
//! for notes and for findings that are not new).
//!
//! Text is escaped as GitHub's toolkit (`@actions/core`) does, so a manifest can never end a
//! command early or start a new one: in the message `%` and LF become `%25` and `%0A`; in
//! property values `:` and `,` also become `%3A` and `%2C`. Before that, every other control and
//! bidirectional character (a CR, ESC, U+009B, U+202E, …) is put in its visible form (`\r`,
//! `\u{1b}`, see [`crate::escape`]): the runner decodes only those five sequences and would pass
//! the rest raw into the annotation and the log. A line break is `\n` or `\r\n`.
//!
//! GitHub shows only the first 10 annotations of each type per step, so with a set of changed lines
//! (PR mode) the findings on those lines come first; otherwise the report order is kept.

use super::{markdown, Outcome, RenderContext};
use crate::escape;
use crate::finding::{Finding, Severity};

/// Escape workflow-command data (the message): unsafe characters but line breaks in their visible
/// form, then `escapeData` of `@actions/core`.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let lines = s.replace("\r\n", "\n");
    for c in escape::visible_keeping(&lines, |c| c == '\n').chars() {
        match c {
            '%' => out.push_str("%25"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escape a workflow-command property value: as the message, then `escapeProperty` of
/// `@actions/core` (`:` and `,` too, so a file name or a rule id cannot end the property or the
/// property list).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The command for a finding; one that is not new (PR mode, `--show-existing`) never blocks and is
/// only a notice, so it does not take an error's place among the annotations GitHub shows.
fn command(f: &Finding) -> &'static str {
    match (f.new, f.severity) {
        (true, Severity::Error) => "error",
        (true, Severity::Warning) => "warning",
        (true, Severity::Note) | (false, _) => "notice",
    }
}

/// One workflow command for a finding (without the line break).
pub fn annotation(f: &Finding) -> String {
    let mut props: Vec<(&str, String)> = Vec::new();
    if let Some(file) = f.file.as_deref().filter(|p| !p.is_empty() && *p != "-") {
        props.push(("file", file.to_string()));
        if let Some(r) = f.region {
            props.push(("line", r.line.max(1).to_string()));
            // GitHub takes columns only for a range within one line.
            let one_line = r.end_line <= r.line;
            if one_line {
                props.push(("col", r.column.max(1).to_string()));
            }
            props.push(("endLine", r.end_line.max(r.line).max(1).to_string()));
            if one_line {
                props.push(("endColumn", r.end_column.max(r.column).max(1).to_string()));
            }
        }
    }
    let mut title = if f.new { f.rule.to_string() } else { format!("existing {}: {}", f.severity.as_str(), f.rule) };
    if let Some(risk) = f.risk {
        title.push_str(&format!(" ({})", risk.as_str()));
    }
    if let Some(t) = &f.title {
        title.push_str(": ");
        title.push_str(t);
    }
    props.push(("title", title));

    let mut message = f.message.to_string();
    if let Some(help) = &f.help {
        message.push_str(&format!("\nHow to fix: {help}"));
    }

    let props: Vec<String> = props.into_iter().map(|(k, v)| format!("{k}={}", escape_property(&v))).collect();
    format!("::{} {}::{}", command(f), props.join(","), escape_data(&message))
}

/// Every unsuppressed finding as a workflow command; findings on changed lines first.
pub fn render(outcome: &Outcome, ctx: &RenderContext) -> String {
    let mut order: Vec<&Finding> = outcome.findings.iter().filter(|f| f.suppressed.is_none()).collect();
    if ctx.changed_lines.is_some() {
        // Stable: report order within each group. Each finding is looked up once.
        order.sort_by_cached_key(|f| !ctx.on_changed_line(f));
    }
    let mut out = String::new();
    for f in order {
        out.push_str(&annotation(f));
        out.push('\n');
    }
    out
}

/// The Markdown job summary (for `$GITHUB_STEP_SUMMARY`).
pub fn step_summary(outcome: &Outcome, ctx: &RenderContext) -> String {
    markdown::render(outcome, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Origin, Region, Risk};

    fn finding(file: &str, line: u32, end_line: u32, message: &str) -> Finding {
        let region = Region { line, column: 5, end_line, end_column: 12, start_byte: 0, end_byte: 0 };
        Finding::builder("acme/x", Severity::Error, message, Origin::Policy)
            .file(file.to_string())
            .document(0)
            .pointer("/spec")
            .region(region)
            .build()
    }

    #[test]
    fn escapes_like_the_toolkit() {
        assert_eq!(escape_data("a%b\r\nc:d,e\nf"), "a%25b%0Ac:d,e%0Af");
        assert_eq!(escape_property("a%b\r\nc:d,e"), "a%25b%0Ac%3Ad%2Ce");
        assert_eq!(escape_property("a::b"), "a%3A%3Ab");
        // An encoded newline stays text: its `%` is escaped.
        assert_eq!(escape_data("x%0A::error::pwned"), "x%250A::error::pwned");
    }

    #[test]
    fn control_characters_are_visible() {
        let hostile = "a\u{1b}[31mb\u{1b}]8;;http://x\u{7}c\rd\u{9b}2J\u{202e}e\u{0}\u{7f}\u{2028}";
        let want = "a\\u{1b}[31mb\\u{1b}]8;;http://x\\u{7}c\\rd\\u{9b}2J\\u{202e}e\\u{0}\\u{7f}\\u{2028}";
        assert_eq!(escape_data(hostile), want);
        assert_eq!(escape_property(hostile), want.replace(':', "%3A"));
        let f = finding(hostile, 1, 1, hostile);
        assert!(!annotation(&f).chars().any(escape::is_unsafe), "{}", annotation(&f));
    }

    #[test]
    fn annotation_properties() {
        let mut f = finding("apps/a,b:c.yaml", 21, 21, "line one\nline two");
        f.risk = Some(Risk::High);
        f.title = Some("Privileged".into());
        f.help = Some("Set it to false.".into());
        assert_eq!(
            annotation(&f),
            "::error file=apps/a%2Cb%3Ac.yaml,line=21,col=5,endLine=21,endColumn=12,title=acme/x (high)%3A Privileged::line one%0Aline two%0AHow to fix: Set it to false."
        );
        let multi = finding("a.yaml", 3, 6, "m");
        assert_eq!(annotation(&multi), "::error file=a.yaml,line=3,endLine=6,title=acme/x::m");
        let mut nofile = finding("a.yaml", 1, 1, "m");
        nofile.file = None;
        nofile.severity = Severity::Note;
        assert_eq!(annotation(&nofile), "::notice title=acme/x::m");
        let mut existing = finding("a.yaml", 3, 6, "m");
        existing.new = false;
        assert_eq!(annotation(&existing), "::notice file=a.yaml,line=3,endLine=6,title=existing error%3A acme/x::m");
    }

    #[test]
    fn changed_lines_first_and_suppressed_skipped() {
        let a = finding("a.yaml", 3, 3, "a3");
        let b = finding("a.yaml", 9, 11, "a9");
        let mut c = finding("b.yaml", 1, 1, "b1");
        c.severity = Severity::Warning;
        let mut d = finding("b.yaml", 2, 2, "b2");
        d.suppressed = Some(Box::new(crate::finding::Suppression {
            kind: crate::finding::SuppressionKind::Exception,
            reason: None,
            expires: None,
        }));
        let outcome = Outcome { findings: vec![a, b, c, d], ..Default::default() };
        let msgs = |ctx: &RenderContext| -> Vec<String> {
            render(&outcome, ctx).lines().map(|l| l.rsplit("::").next().unwrap_or("").to_string()).collect()
        };
        assert_eq!(msgs(&RenderContext::default()), ["a3", "a9", "b1"]);
        let changed = [("a.yaml".to_string(), 10u32), ("b.yaml".to_string(), 1)].into_iter().collect();
        let ctx = RenderContext { changed_lines: Some(changed), ..Default::default() };
        assert_eq!(msgs(&ctx), ["a9", "b1", "a3"]);
    }
}
