//! Escape: which characters from a checked repository may never reach an output raw, and the
//! visible form the text outputs show instead.
//!
//! Every manifest, file name and policy result is written by whoever opened the pull request. Raw,
//! a control character restyles or rewrites the terminal and the CI log (CSI and OSC sequences, an
//! OSC 8 hyperlink, BEL, a carriage return that overwrites a line, the 8-bit CSI U+009B), and a
//! Unicode bidirectional or invisible format character shows a reviewer text in another order than
//! it is (Trojan Source, CVE-2021-42574). Each output escapes them in its own way:
//!
//! - human, `print()`, `-o github`, `-o junit`, `-o markdown`: the visible form [`visible`]
//!   writes, `\n`, `\r`, `\t` or `\u{1b}` (Rust's notation; `\u{202e}` for the right-to-left
//!   override), keeping only the line breaks and tabs the format itself uses;
//! - `-o json`, `-o sarif`: the JSON escape `\u001b` (lossless: a JSON reader gets the text
//!   back), see `report::json::to_string_pretty`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach an output raw: the C0 controls, DEL and the C1 controls (the
/// 8-bit CSI, U+009B, included), the bidirectional embeddings, overrides, isolates and marks
/// (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), the line and paragraph separators
/// (U+2028, U+2029) and the zero-width no-break space (U+FEFF).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{FEFF}'
        )
}

/// Append the visible form of `c`: `\n`, `\r` and `\t` for those, `\u{1b}` (lower-case hex, no
/// leading zeros) for any other character.
pub fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` on one line with every unsafe character (line breaks and tabs included) in its visible
/// form; borrowed when there is none.
pub fn visible(s: &str) -> Cow<'_, str> {
    visible_keeping(s, |_| false)
}

/// `s` with every unsafe character in its visible form except those `keep` accepts (the line
/// break or tab a format uses as such).
pub fn visible_keeping(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.char_indices().find(|&(_, c)| is_unsafe(c) && !keep(c)).map(|(i, _)| i) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if is_unsafe(c) && !keep(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with its lines kept and every other unsafe character in its visible form, for the
/// messages made of several lines on purpose (a Rego error: position, source line, caret,
/// message). What such a message quotes can carry line breaks of its own (regorus puts a value
/// into some errors raw), so a line that would read as a GitHub Actions workflow command
/// (`::name::…` after leading spaces, which the runner skips) shows its first `:` as `\u{3a}`.
pub fn visible_lines(text: &str) -> String {
    let text = visible_keeping(text, |c| c == '\n');
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let body = line.trim_start();
        match body.strip_prefix(':').filter(|rest| rest.starts_with(':')) {
            Some(rest) => {
                out.push_str(&line[..line.len() - body.len()]);
                out.push_str("\\u{3a}");
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_unsafe() {
        for c in ['\0', '\u{7}', '\u{1b}', '\r', '\n', '\t', '\u{7f}', '\u{85}', '\u{9b}', '\u{9f}'] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}'] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['\u{2028}', '\u{2029}', '\u{FEFF}'] {
            assert!(is_unsafe(c), "{c:?}");
        }
        // Text, including joiners that emoji and several scripts need, stays.
        for c in ['a', ' ', '~', '\u{a0}', 'ü', '日', '👍', '\u{200D}', '\u{2060}', '\u{fffd}'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn visible_forms() {
        assert_eq!(visible("plain ü"), Cow::Borrowed("plain ü"));
        assert_eq!(
            visible("a\u{1b}[31mb\u{7}\r\n\t\u{9b}2J\u{202e}\u{0}\u{7f}"),
            "a\\u{1b}[31mb\\u{7}\\r\\n\\t\\u{9b}2J\\u{202e}\\u{0}\\u{7f}"
        );
        assert_eq!(visible_keeping("a\nb\u{1b}\tc", |c| c == '\n' || c == '\t'), "a\nb\\u{1b}\tc");
        // No unsafe character survives any input.
        let all: String = (0u32..0x3000).filter_map(char::from_u32).chain(['\u{FEFF}']).collect();
        assert!(!visible(&all).chars().any(is_unsafe));
    }

    #[test]
    fn kept_lines_never_read_as_workflow_commands() {
        assert_eq!(visible_lines("a\n  |\n2 | x\u{1b}[1m"), "a\n  |\n2 | x\\u{1b}[1m");
        assert_eq!(
            visible_lines("error: bad\n::error::x\n   ::set-output name=a::b"),
            "error: bad\n\\u{3a}:error::x\n   \\u{3a}:set-output name=a::b"
        );
        assert_eq!(visible_lines(":: not\n: x\n::"), "\\u{3a}: not\n: x\n\\u{3a}:");
        assert_eq!(visible_lines("x\r\n::a"), "x\\r\n\\u{3a}:a");
    }
}
