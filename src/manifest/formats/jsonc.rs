//! JSON with comments (`.jsonc`, conftest's jsonc parser): `//`, `/* */` and `#` comments, and
//! trailing commas, blanked out byte for byte so tollgate's JSON parser reads the rest with every
//! node at its own place in the file.

use super::super::span::Pos;
use super::super::{json, Limits, ParseIssue, ParsedStream};
use super::{pos_of, Bad};

/// The text with each comment and trailing comma replaced by spaces (line feeds kept), so every
/// byte keeps its offset. `Err`: a block comment that is never closed.
pub fn blank(text: &str) -> Result<String, Bad> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    // The last `,` outside strings and comments, while only white space and comments follow it.
    let mut comma: Option<usize> = None;
    while i < b.len() {
        match b[i] {
            b'"' => {
                comma = None;
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_comment(&mut out, i),
            b'#' => i = line_comment(&mut out, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let Some(len) = text[i + 2..].find("*/") else {
                    return Err(Bad::new("comment not closed", i));
                };
                let end = i + 2 + len + 2;
                for c in &mut out[i..end] {
                    if *c != b'\n' {
                        *c = b' ';
                    }
                }
                i = end;
            }
            b',' => {
                comma = Some(i);
                i += 1;
            }
            b'}' | b']' => {
                if let Some(c) = comma.take() {
                    out[c] = b' ';
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                comma = None;
                i += 1;
            }
        }
    }
    // Only ASCII bytes were written, each over a whole comment or a comma.
    String::from_utf8(out).map_err(|_| Bad::new("invalid UTF-8", 0))
}

fn line_comment(out: &mut [u8], start: usize) -> usize {
    let mut i = start;
    while i < out.len() && out[i] != b'\n' {
        out[i] = b' ';
        i += 1;
    }
    i
}

/// The byte a position of the JSON parser (line, column in characters) names in `text`.
fn byte_of(text: &str, at: Pos) -> usize {
    let mut line_start = 0;
    for _ in 1..at.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => break,
        }
    }
    text[line_start..].char_indices().nth(at.col as usize).map_or(text.len(), |(i, _)| line_start + i)
}

/// Parse a JSONC file into one document, as the JSON loader reads a `.json` file. Issues are
/// placed on the original text: a comment blanked out with multi-byte characters in it counts
/// as many columns there as it has characters, not bytes.
pub fn parse(text: &str, limits: &Limits) -> ParsedStream {
    let blanked = match blank(text) {
        Ok(b) => b,
        Err(bad) => {
            return super::failed("parse/invalid-jsonc", format!("invalid jsonc: {}", bad.message), text, bad.at)
        }
    };
    let mut parsed = json::parse(&blanked, limits);
    for issue in &mut parsed.issues {
        issue.at = pos_of(text, byte_of(&blanked, issue.at));
        rename(issue);
    }
    parsed
}

fn rename(issue: &mut ParseIssue) {
    if issue.rule == "parse/invalid-json" {
        issue.rule = "parse/invalid-jsonc";
        if let Some(rest) = issue.message.strip_prefix("invalid JSON: ") {
            issue.message = format!("invalid jsonc: {rest}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_trailing_commas_blanked_in_place() {
        let text = "{\n  // a comment\n  \"a\": \"x // y # z /* w */\", /* é */ \"b\": [1, 2,],\n  # hash\n  \"c\": {\"d\": true,},\n}\n";
        let blanked = blank(text).expect("closed");
        assert_eq!(blanked.len(), text.len());
        let v: serde_json::Value = serde_json::from_str(&blanked).expect("JSON");
        assert_eq!(v, serde_json::json!({"a": "x // y # z /* w */", "b": [1, 2], "c": {"d": true}}));
        assert!(blank("{\"a\": 1 /* open").is_err());
        let parsed = parse("{\"a\": /* é */ nope}", &Limits::default());
        assert_eq!(parsed.issues[0].rule, "parse/invalid-jsonc");
        assert_eq!(parsed.issues[0].at, Pos { line: 1, col: 14 }, "{:?}", parsed.issues[0]);
    }
}
