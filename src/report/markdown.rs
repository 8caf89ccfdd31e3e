//! `-o markdown`: a pull-request comment body (also the GitHub job summary): a heading with
//! counts, a table of the blocking findings (new, unsuppressed, blocking under `--fail-on`) with
//! links to their lines, and the other new, existing and suppressed findings folded below.
//!
//! Every piece of text that can come from a manifest or a policy (rule ids, messages, file names,
//! reasons) goes through [`escape`], so it renders as the same text and never as markup, HTML, a
//! link or a mention. The body stays under GitHub's comment limit: rows past the budget are
//! counted, not listed.

use super::{Outcome, RenderContext};
use crate::finding::{FailOn, Finding, Severity};

/// First line of the body: lets a CI step find and update its earlier comment.
pub const MARKER: &str = "<!-- tollgate:report -->";

/// Characters of rows the body may hold (GitHub rejects comments over 65,536 characters).
const BUDGET: usize = 60_000;

/// U+2060 WORD JOINER: invisible, and breaks `@mention`, `#123` and `://` autolinks.
const WJ: char = '\u{2060}';

/// Escape text for inline Markdown (a table cell, a list item, a paragraph): ASCII punctuation
/// with a meaning in GitHub Flavored Markdown is backslash-escaped; `&`, `<` and `>` become
/// entities; line breaks (`\n`, `\r\n`, `\r`) become `<br>` and tabs spaces; every other control
/// and bidirectional character shows in its visible form (`\u{1b}`, `\u{202e}`, see
/// [`crate::escape`]); a word joiner follows `@` and `#` so no mention or issue link is made.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' | '#' => {
                if c == '#' {
                    out.push('\\');
                }
                out.push(c);
                out.push(WJ);
            }
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '+' | '-' | '.' | '!' | '|' | '~' | '$'
            | ':' | '=' | '^' | '"' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            c if crate::escape::is_unsafe(c) => {
                let mut v = String::new();
                crate::escape::push_visible(&mut v, c);
                // `\u{1b}` as Markdown: `\\u\{1b\}`.
                for ch in v.chars() {
                    if ch.is_ascii_punctuation() {
                        out.push('\\');
                    }
                    out.push(ch);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters of a cell's text shown at most (a longer text ends in `…`): one finding with a long
/// message must not use up the comment's budget and push the other findings out of it.
const CELL: usize = 1_000;

/// [`escape`] of the first [`CELL`] characters of `s`.
fn cell(s: &str) -> String {
    match s.char_indices().nth(CELL) {
        Some((i, _)) => escape(&s[..i]) + "…",
        None => escape(s),
    }
}

/// A link destination: only characters that cannot end or break `(…)` in Markdown or an HTML
/// attribute are left as they are.
fn url(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => out.push(c),
            '-' | '.' | '_' | '~' | '/' | ':' | '#' | '%' | '?' | '=' | '+' | ',' | ';' | '@' => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn location(f: &Finding, ctx: &RenderContext) -> String {
    let Some(file) = f.file.as_deref().filter(|p| !p.is_empty()) else {
        return "—".into();
    };
    let text = match f.region {
        Some(r) => format!("{file}:{}", r.line),
        None => file.to_string(),
    };
    if file == "-" {
        return escape(&format!("stdin{}", f.region.map(|r| format!(":{}", r.line)).unwrap_or_default()));
    }
    format!("[{}]({})", cell(&text), url(&ctx.link(file, f.region)))
}

fn rule_cell(f: &Finding) -> String {
    match &f.title {
        Some(t) => format!("{}<br><sub>{}</sub>", cell(&f.rule), cell(t)),
        None => cell(&f.rule),
    }
}

fn severity(f: &Finding) -> &'static str {
    match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Rows of one table, as many as the budget allows; the rest are counted.
fn table(out: &mut String, header: &str, rows: &[&Finding], row: impl Fn(&Finding) -> String, used: &mut usize) {
    out.push_str(header);
    let mut shown = 0;
    for f in rows {
        let r = row(f);
        if *used + r.len() > BUDGET {
            break;
        }
        *used += r.len();
        out.push_str(&r);
        shown += 1;
    }
    if shown < rows.len() {
        out.push_str(&format!(
            "\n…and {} more not listed here (the JSON or SARIF report has them all).\n",
            rows.len() - shown
        ));
    }
}

const FINDING_HEADER: &str = "| Severity | Rule | Risk | Location | Message |\n|---|---|---|---|---|\n";

fn finding_row(f: &Finding, ctx: &RenderContext) -> String {
    format!(
        "| {} | {} | {} | {} | {} |\n",
        severity(f),
        rule_cell(f),
        f.risk.map(|r| r.as_str()).unwrap_or("—"),
        location(f, ctx),
        cell(&f.message)
    )
}

fn folded(out: &mut String, summary: &str, rows: &[&Finding], ctx: &RenderContext, used: &mut usize) {
    if rows.is_empty() {
        return;
    }
    out.push_str(&format!("\n<details><summary>{summary}</summary>\n\n"));
    table(out, FINDING_HEADER, rows, |f| finding_row(f, ctx), used);
    out.push_str("\n</details>\n");
}

/// The comment body.
pub fn render(outcome: &Outcome, ctx: &RenderContext) -> String {
    let fail_on = outcome.fail_on.unwrap_or(FailOn::Error);
    let (mut blocking, mut other, mut existing, mut suppressed) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for f in &outcome.findings {
        if f.suppressed.is_some() {
            suppressed.push(f);
        } else if !f.new {
            existing.push(f);
        } else if f.blocks(fail_on) {
            blocking.push(f);
        } else {
            other.push(f);
        }
    }

    let mut out = String::new();
    out.push_str(MARKER);
    out.push('\n');
    if blocking.is_empty() {
        out.push_str("### ✅ tollgate: nothing blocks this change\n\n");
    } else {
        let verb = if blocking.len() == 1 { "blocks" } else { "block" };
        out.push_str(&format!("### ❌ tollgate: {} {verb} this change\n\n", plural(blocking.len(), "finding")));
    }
    let count = |v: &[&Finding], s: Severity| v.iter().filter(|f| f.severity == s).count();
    let mut parts = vec![format!("**{} blocking**", blocking.len())];
    if !other.is_empty() {
        parts.push(format!(
            "{} other new ({}, {}, {})",
            other.len(),
            plural(count(&other, Severity::Error), "error"),
            plural(count(&other, Severity::Warning), "warning"),
            plural(count(&other, Severity::Note), "note")
        ));
    }
    if !existing.is_empty() {
        parts.push(format!("{} existing", existing.len()));
    }
    if !suppressed.is_empty() {
        parts.push(format!("{} suppressed", suppressed.len()));
    }
    parts.push(format!("{} and {} checked", plural(outcome.files, "file"), plural(outcome.documents, "document")));
    out.push_str(&parts.join(" · "));
    out.push('\n');

    let mut used = 0usize;
    if !blocking.is_empty() {
        out.push('\n');
        table(&mut out, FINDING_HEADER, &blocking, |f| finding_row(f, ctx), &mut used);
    }
    folded(&mut out, &format!("Other new findings ({}): they do not block", other.len()), &other, ctx, &mut used);
    folded(
        &mut out,
        &format!("Existing findings ({}): already in the base, they do not block", existing.len()),
        &existing,
        ctx,
        &mut used,
    );
    if !suppressed.is_empty() {
        out.push_str(&format!("\n<details><summary>Suppressed findings ({})</summary>\n\n", suppressed.len()));
        table(
            &mut out,
            "| Rule | Location | Suppressed by | Reason | Expires |\n|---|---|---|---|---|\n",
            &suppressed,
            |f| {
                let s = f.suppressed.as_ref();
                format!(
                    "| {} | {} | {} | {} | {} |\n",
                    rule_cell(f),
                    location(f, ctx),
                    s.map(|s| cell(s.kind.as_str())).unwrap_or_default(),
                    s.and_then(|s| s.reason.as_deref()).map(cell).unwrap_or_else(|| "—".into()),
                    s.and_then(|s| s.expires.as_deref()).map(cell).unwrap_or_else(|| "—".into()),
                )
            },
            &mut used,
        );
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_html_and_mentions() {
        assert_eq!(escape("a|b`c*d_e[f](g)"), "a\\|b\\`c\\*d\\_e\\[f\\]\\(g\\)");
        assert_eq!(escape("<script>&amp;"), "&lt;script&gt;&amp;amp;");
        assert_eq!(escape("l1\nl2\r\nl3\rl4"), "l1<br>l2<br>l3<br>l4");
        assert_eq!(escape("@admins #12"), "@\u{2060}admins \\#\u{2060}12");
        assert_eq!(escape("https://x"), "https\\://x");
        assert_eq!(escape("a\u{7}b\u{202E}c\u{9b}"), r"a\\u\{7\}b\\u\{202e\}c\\u\{9b\}");
        assert!(!escape("\u{1b}]8;;x\u{7}\u{2028}\u{feff}\u{200e}\u{0}\u{7f}").chars().any(crate::escape::is_unsafe));
        assert_eq!(escape("ünïcödé ✓"), "ünïcödé ✓");
        // Nothing that starts a tag, an entity, a cell or a line survives unescaped.
        let hostile = "x | y\n# h\n<img src=x onerror=alert(1)>\n[l](javascript:alert(1)) ![i](u) ]]> `c` *b* _i_";
        let e = escape(hostile);
        assert!(!e.contains('\n') && !e.contains("<img") && !e.contains("](") && !e.contains(" | "));
    }

    #[test]
    fn long_cells_are_cut() {
        let long = "x".repeat(CELL + 5);
        assert_eq!(cell(&long), "x".repeat(CELL) + "…");
        assert_eq!(cell("short"), "short");
        // Rows of findings after one with a huge message are still listed.
        let f = |msg: String, line: u32| {
            let r =
                crate::finding::Region { line, column: 1, end_line: line, end_column: 2, start_byte: 0, end_byte: 0 };
            Finding::builder("r", Severity::Error, msg, crate::finding::Origin::Policy)
                .file("a.yaml".to_string())
                .document(0)
                .region(r)
                .build()
        };
        let outcome =
            Outcome { findings: vec![f("a".repeat(100_000), 1), f("second".into(), 2)], ..Default::default() };
        let md = render(&outcome, &RenderContext::default());
        assert!(md.contains("| second |") && !md.contains("more not listed"), "{md}");
    }

    #[test]
    fn urls_cannot_break_out() {
        assert_eq!(url("https://h/a b(c)<d>\"e"), "https://h/a%20b%28c%29%3Cd%3E%22e");
    }
}
