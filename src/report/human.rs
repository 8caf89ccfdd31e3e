//! `-o human`: each finding as a miette diagnostic with the offending field underlined, then a
//! summary line.
//!
//! Text from the checked repository (messages, file names, rule ids, the snippet's source lines)
//! is shown with its control and bidirectional characters in their visible form
//! ([`escape::visible`]): a manifest can neither restyle nor rewrite the terminal or the CI log.
//! The snippet is cut out of the file around the finding (the line before, the finding's line,
//! the line after; a long line is cut around the finding with `…`), so rendering takes time in
//! proportion to the findings, not to the findings times the size of their file.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use super::Outcome;
use crate::escape;
use crate::finding::{Finding, Region, Severity};
use crate::manifest::span::FileText;

/// Text from a manifest or a policy on one line, escaped (see [`escape::visible`]).
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    escape::visible(s)
}

/// How much of a line the snippet shows, in bytes: before the finding on its line, of the
/// finding, after it, and of the line before and the line after. Longer lines are cut with `…`.
const BEFORE: usize = 120;
const LABEL: usize = 240;
const AFTER: usize = 80;
const CONTEXT: usize = 160;

/// The lines of a file a finding's snippet shows, escaped: what miette reads instead of the
/// whole file (it would scan the file from its start for every finding).
struct Snippet {
    /// The file name, escaped.
    name: String,
    /// The shown lines, escaped and cut, joined with `\n`.
    text: String,
    /// 0-based line number of the first shown line.
    first_line: usize,
    /// The finding's span within `text`.
    span: SourceSpan,
    /// The finding's 0-based line and column in the file (for the snippet's header).
    line: usize,
    column: usize,
}

fn is_break(b: u8) -> bool {
    // `\n`, and `\r` (YAML and the line index of `FileText` count a lone `\r` as a line break).
    b == b'\n' || b == b'\r'
}

fn floor_boundary(t: &str, mut i: usize) -> usize {
    i = i.min(t.len());
    while !t.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(t: &str, mut i: usize) -> usize {
    i = i.min(t.len());
    while !t.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Start of the line that holds byte `at`, looking back at most `max` bytes; `false` when the
/// line is cut there.
fn line_start(t: &str, at: usize, max: usize) -> (usize, bool) {
    let lo = at.saturating_sub(max);
    match t.as_bytes().get(lo..at).and_then(|s| s.iter().rposition(|&b| is_break(b))) {
        Some(i) => (lo + i + 1, true),
        None if lo == 0 => (0, true),
        None => (ceil_boundary(t, lo), false),
    }
}

/// End of the line from byte `at` on (its line break or the end of the text), looking at most
/// `max` bytes ahead; `false` when the line is cut there.
fn line_end(t: &str, at: usize, max: usize) -> (usize, bool) {
    let hi = at.saturating_add(max).min(t.len());
    match t.as_bytes().get(at..hi).and_then(|s| s.iter().position(|&b| is_break(b))) {
        Some(i) => (at + i, true),
        None if hi == t.len() => (hi, true),
        None => (floor_boundary(t, hi), false),
    }
}

fn push_line(out: &mut String, s: &str) {
    // Tabs stay: miette expands them to its tab stops, keeping the underline under its text.
    out.push_str(&escape::visible_keeping(s, |c| c == '\t'));
}

impl Snippet {
    fn new(name: &str, t: &str, r: Region) -> Option<Snippet> {
        let b = t.as_bytes();
        let start = r.start_byte;
        if start > t.len() || !t.is_char_boundary(start) || r.line == 0 {
            return None;
        }
        // A node over several lines (a parent whose field is missing) is marked on its first line
        // only; the JSON report keeps the full range.
        let (mut label_end, _) = line_end(t, start, LABEL);
        label_end = label_end.min(floor_boundary(t, r.end_byte.max(start)));
        let (ls, ls_whole) = line_start(t, start, BEFORE);
        let (le, le_whole) = line_end(t, label_end, AFTER);
        // The line before: when the finding's line is shown from its start and is not the first.
        let prev = (ls_whole && ls > 0).then(|| {
            let mut pe = ls - 1;
            if b.get(pe) == Some(&b'\n') && pe > 0 && b.get(pe - 1) == Some(&b'\r') {
                pe -= 1;
            }
            let (ps, whole) = line_start(t, pe, CONTEXT);
            (ps, pe, whole)
        });
        // The line after: when the finding's line is shown to its end and another line follows.
        let next = match b.get(le) {
            Some(&c) if le_whole => {
                let ns = if c == b'\r' && b.get(le + 1) == Some(&b'\n') { le + 2 } else { le + 1 };
                (ns < t.len()).then(|| {
                    let (ne, whole) = line_end(t, ns, CONTEXT);
                    (ns, ne, whole)
                })
            }
            _ => None,
        };

        let mut text = String::new();
        if let Some((ps, pe, whole)) = prev {
            if !whole {
                text.push('…');
            }
            push_line(&mut text, t.get(ps..pe)?);
            text.push('\n');
        }
        if !ls_whole {
            text.push('…');
        }
        push_line(&mut text, t.get(ls..start)?);
        let span_start = text.len();
        push_line(&mut text, t.get(start..label_end)?);
        let span = SourceSpan::new(span_start.into(), text.len() - span_start);
        push_line(&mut text, t.get(label_end..le)?);
        if !le_whole {
            text.push('…');
        }
        if let Some((ns, ne, whole)) = next {
            text.push('\n');
            push_line(&mut text, t.get(ns..ne)?);
            if !whole {
                text.push('…');
            }
        }
        let line = r.line as usize - 1;
        Some(Snippet {
            name: clean(name).into_owned(),
            text,
            first_line: line - usize::from(prev.is_some()),
            span,
            line,
            column: (r.column as usize).saturating_sub(1),
        })
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        // miette heads the snippet with the position of the span read without context: the
        // finding's own, in the file (the shown text is escaped and cut, its columns differ).
        let (line, column) = if before == 0 && after == 0 && *span == self.span {
            (self.line, self.column)
        } else {
            (inner.line() + self.first_line, inner.column())
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

struct Diag<'a> {
    f: &'a Finding,
    src: Option<Snippet>,
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&clean(&self.f.message))
    }
}

impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.f.file, self.f.region) {
            (Some(file), None) => write!(f, "{}: {}", clean(file), clean(&self.f.message)),
            _ => write!(f, "{}", clean(&self.f.message)),
        }
    }
}

impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let mut code = clean(&self.f.rule).into_owned();
        if let Some(r) = self.f.risk {
            code.push_str(&format!(" ({})", r.as_str()));
        }
        if let Some(s) = &self.f.suppressed {
            code.push_str(&format!(" [suppressed: {}]", clean(s.kind.as_str())));
        }
        Some(Box::new(code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match (self.f.severity, self.f.suppressed.is_some()) {
            (_, true) | (Severity::Note, _) => miette::Severity::Advice,
            (Severity::Warning, _) => miette::Severity::Warning,
            (Severity::Error, _) => miette::Severity::Error,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.f.help.as_ref().map(|h| Box::new(clean(h).into_owned()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let src = self.src.as_ref()?;
        let label = self.f.title.as_deref().map(|t| clean(t).into_owned()).or_else(|| {
            if self.f.pointer.is_empty() {
                None
            } else {
                Some(clean(&self.f.pointer).into_owned())
            }
        });
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(label, src.span))))
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn snippet(f: &Finding, texts: &std::collections::BTreeMap<String, Arc<FileText>>) -> Option<Snippet> {
    let file = f.file.as_ref()?;
    let region = f.region?;
    let text = texts.get(&**file)?;
    Snippet::new(file, &text.text, region)
}

/// Render every finding and the summary line.
pub fn render(outcome: &Outcome, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false).with_context_lines(1).with_width(120);
    let mut out = String::new();
    for f in &outcome.findings {
        let d = Diag { f, src: snippet(f, &outcome.texts) };
        let mut s = String::new();
        if handler.render_report(&mut s, &d).is_err() {
            s = format!("{}: {}\n", clean(&f.rule), clean(&f.message));
        }
        // Findings without a snippet still say where they are.
        if d.src.is_none() {
            if let Some(file) = &f.file {
                let at = f.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
                s.push_str(&format!("  at {}{at}\n", clean(file)));
            }
        }
        // A finding on a rendered object says which render produced it.
        if let Some(r) = &f.rendered {
            s.push_str(&format!("  rendered by {} from {}\n", r.by, clean(&r.root)));
        }
        out.push_str(&s);
        out.push('\n');
    }
    let s = outcome.summary();
    let blocking = outcome.fail_on.is_some_and(|fo| outcome.blocks(fo));
    let mark = if blocking { "✖" } else { "✔" };
    let mut parts = vec![plural(s.errors, "error"), plural(s.warnings, "warning"), plural(s.notes, "note")];
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    out.push_str(&format!(
        "{mark} {} in {} ({}){}\n",
        parts.join(", "),
        plural(s.files, "file"),
        plural(s.documents, "document"),
        if blocking { ": the gate blocks this change" } else { "" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Origin;
    use std::collections::BTreeMap;

    /// The human report of one finding on `needle` (its first occurrence) in `text`.
    fn show(text: &str, needle: &str, message: &str) -> String {
        let start = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in the text"));
        let end = start + needle.len();
        let line = text[..start].split(['\n', '\r']).count() as u32;
        let ls = text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let column = text[ls..start].chars().count() as u32 + 1;
        let region = Region { line, column, end_line: line, end_column: column + 1, start_byte: start, end_byte: end };
        let f = Finding::builder("acme/x", Severity::Error, message, Origin::Policy)
            .file("a.yaml".to_string())
            .document(0)
            .pointer("/p")
            .region(region)
            .build();
        let texts = BTreeMap::from([("a.yaml".to_string(), Arc::new(FileText::new("a.yaml".into(), text.into())))]);
        render(&Outcome { findings: vec![f], texts, ..Default::default() }, false)
    }

    /// The column (in chars) where the underline of the snippet starts, and the shown line above it.
    fn underline(out: &str) -> (usize, &str) {
        let lines: Vec<&str> = out.lines().collect();
        let i = lines.iter().position(|l| l.contains('─') && l.trim_start().starts_with('·')).unwrap_or(0);
        let col = lines[i].chars().position(|c| c == '─' || c == '┬').unwrap_or(0);
        (col, lines[i - 1])
    }

    #[test]
    fn snippet_lines_are_escaped_and_the_underline_stays_under_its_text() {
        let text = "a: 1\nk\u{1b}[31m\u{202e}: \u{1b}]8;;http://e\u{7}target\r\nz: \u{9b}2J\n";
        let out = show(text, "target", "m\u{1b}[2J\u{7}");
        assert!(!out.chars().any(|c| escape::is_unsafe(c) && c != '\n'), "{out:?}");
        // The header gives the position in the file (columns count characters, raw).
        assert!(out.contains("[a.yaml:2:24]"), "{out}");
        assert!(out.contains(" 1 │ a: 1\n") && out.contains(" 3 │ z: \\u{9b}2J\n"), "{out}");
        let (col, shown) = underline(&out);
        assert_eq!(shown.chars().skip(col).collect::<String>(), "target", "{out}");
        assert!(out.contains("m\\u{1b}[2J\\u{7}"), "{out}");
    }

    #[test]
    fn a_lone_carriage_return_is_a_line_break() {
        let out = show("a: 1\rb: target\rc: 3", "target", "m");
        assert!(
            out.contains(" 1 │ a: 1\n") && out.contains(" 2 │ b: target\n") && out.contains(" 3 │ c: 3\n"),
            "{out}"
        );
        assert!(!out.contains('\r'));
    }

    #[test]
    fn long_lines_are_cut_around_the_finding() {
        let line = format!("{}target{}", "x".repeat(1_000_000), "y".repeat(1_000_000));
        let text = format!("{}\n{line}\n{}", "p".repeat(500_000), "n".repeat(500_000));
        let out = show(&text, "target", "m");
        assert!(out.len() < 2_000, "{} bytes", out.len());
        assert!(out.contains("[a.yaml:2:1000001]"), "{out}");
        let (col, shown) = underline(&out);
        assert_eq!(shown.chars().skip(col).take(6).collect::<String>(), "target", "{out}");
        assert!(shown.contains("…x") && shown.contains("y…"), "{out}");
        // A line cut on the left has no known line before it; one cut on the right none after.
        assert!(!out.contains(" 1 │") && !out.contains(" 3 │"), "{out}");
        let text = format!("{}\n{}target\n{}", "p".repeat(500_000), "x".repeat(10), "n".repeat(500_000));
        let out = show(&text, "target", "m");
        assert!(out.len() < 2_000, "{} bytes", out.len());
        assert!(
            out.contains(" 1 │ …ppp") && out.contains(" 2 │ xxxxxxxxxxtarget\n") && out.contains(" 3 │ nnn"),
            "{out}"
        );
        assert!(out.contains("n…\n"), "{out}");
    }

    #[test]
    fn first_and_last_lines() {
        let out = show("target: 1", "target", "m");
        assert!(out.contains(" 1 │ target: 1\n") && out.contains("[a.yaml:1:1]"), "{out}");
        let out = show("a: 1\nb: target", "target", "m");
        assert!(out.contains(" 1 │ a: 1\n") && out.contains(" 2 │ b: target\n"), "{out}");
    }
}
