//! `-o human`: each finding as a miette diagnostic with the offending field underlined, then a
//! summary line.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use super::Outcome;
use crate::finding::{Finding, Severity};

/// Text from a manifest or a policy (file names, messages) with its control characters
/// escaped: a newline or a terminal escape must not start a line of its own in a CI log (where
/// GitHub reads `::command::` at the start of any line) or restyle the terminal.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control()) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect(),
    )
}

struct Diag<'a> {
    f: &'a Finding,
    src: Option<NamedSource<Arc<str>>>,
    text: Option<Arc<str>>,
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.f.message)
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
            code.push_str(&format!(" [suppressed: {}]", s.kind));
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
        self.src.as_ref()?;
        let r = self.f.region?;
        let label = self.f.title.as_deref().map(|t| clean(t).into_owned()).or_else(|| {
            if self.f.pointer.is_empty() {
                None
            } else {
                Some(clean(&self.f.pointer).into_owned())
            }
        });
        // A node over several lines (a parent whose field is missing) is marked on its first
        // line only; the JSON report keeps the full range.
        let mut end = r.end_byte;
        if let Some(nl) = self.text.as_ref().and_then(|t| t.get(r.start_byte..r.end_byte)).and_then(|s| s.find('\n')) {
            end = r.start_byte + nl;
            if let Some(t) = &self.text {
                while end > r.start_byte && t.as_bytes().get(end - 1) == Some(&b'\r') {
                    end -= 1;
                }
            }
        }
        Some(Box::new(std::iter::once(LabeledSpan::new(label, r.start_byte, end.saturating_sub(r.start_byte)))))
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Render every finding and the summary line.
pub fn render(outcome: &Outcome, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false).with_context_lines(1).with_width(120);
    let mut out = String::new();
    for f in &outcome.findings {
        let text = f
            .file
            .as_ref()
            .and_then(|file| outcome.texts.get(file))
            .filter(|_| f.region.is_some())
            .map(|t| t.text.clone());
        let src = match (&f.file, &text) {
            (Some(file), Some(t)) => Some(NamedSource::new(clean(file), t.clone()).with_language("yaml")),
            _ => None,
        };
        let d = Diag { f, src, text };
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
