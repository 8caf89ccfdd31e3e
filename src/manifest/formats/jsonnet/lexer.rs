//! The Jsonnet lexer: the text of a `.jsonnet` file as tokens with the byte each starts at
//! (strings decoded, text blocks `|||` stripped of their indent, comments dropped).

use super::super::Bad;

/// One token of the source.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    /// An operator or punctuation, as written (`+`, `::`, `+:`, `{`, ...).
    Op(&'static str),
    Eof,
}

/// A token and the bytes it spans.
#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Punctuation and operators, longest first so that the first match is the longest one.
const OPS: &[&str] = &[
    "+:::", ":::", "+::", "::", "+:", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "{", "}", "[", "]", "(", ")",
    ",", ";", ".", ":", "=", "+", "-", "*", "/", "%", "!", "~", "<", ">", "&", "|", "^", "$",
];

/// The tokens of `text`, ending with [`Tok::Eof`].
pub fn lex(text: &str) -> Result<Vec<Token>, Bad> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
            continue;
        }
        if c == b'#' || text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        }
        if text[i..].starts_with("/*") {
            match text[i + 2..].find("*/") {
                Some(n) => i = i + 2 + n + 2,
                None => return Err(Bad::new("STATIC ERROR: multi-line comment has no terminating */", i)),
            }
            continue;
        }
        let start = i;
        let tok = if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Tok::Ident(text[start..i].to_string())
        } else if c.is_ascii_digit() {
            i = number_end(b, i).map_err(|at| Bad::new("STATIC ERROR: couldn't lex number", at))?;
            let n = text[start..i].parse::<f64>().map_err(|_| Bad::new("STATIC ERROR: couldn't lex number", start))?;
            Tok::Num(n)
        } else if c == b'"' || c == b'\'' {
            let (s, end) = quoted(text, i + 1, c)?;
            i = end;
            Tok::Str(s)
        } else if c == b'@' && matches!(b.get(i + 1), Some(b'"' | b'\'')) {
            let q = b[i + 1];
            let mut s = String::new();
            let mut j = i + 2;
            loop {
                match b.get(j) {
                    None => return Err(Bad::new("STATIC ERROR: unterminated string", start)),
                    Some(&x) if x == q => {
                        if b.get(j + 1) == Some(&q) {
                            s.push(q as char);
                            j += 2;
                        } else {
                            j += 1;
                            break;
                        }
                    }
                    Some(_) => {
                        let ch = text[j..].chars().next().unwrap_or('\u{fffd}');
                        s.push(ch);
                        j += ch.len_utf8();
                    }
                }
            }
            i = j;
            Tok::Str(s)
        } else if text[i..].starts_with("|||") {
            let (s, end) = text_block(text, i)?;
            i = end;
            Tok::Str(s)
        } else if let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) {
            i += op.len();
            Tok::Op(op)
        } else {
            let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
            return Err(Bad::new(format!("STATIC ERROR: could not lex the character {ch:?}"), i));
        };
        out.push(Token { tok, start, end: i });
    }
    out.push(Token { tok: Tok::Eof, start: b.len(), end: b.len() });
    Ok(out)
}

/// The end of a number starting at `i` (`1`, `1.5`, `1e-3`); `Err` with the byte of a malformed one.
fn number_end(b: &[u8], mut i: usize) -> Result<usize, usize> {
    let digits = |b: &[u8], mut i: usize| {
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i, i > s)
    };
    i = digits(b, i).0;
    if b.get(i) == Some(&b'.') {
        let (j, any) = digits(b, i + 1);
        if !any {
            return Err(i + 1);
        }
        i = j;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let (k, any) = digits(b, j);
        if !any {
            return Err(j);
        }
        i = k;
    }
    Ok(i)
}

/// A string quoted with `q` whose text starts at `i`: its value and the byte after the closing quote.
fn quoted(text: &str, mut i: usize, q: u8) -> Result<(String, usize), Bad> {
    let b = text.as_bytes();
    let open = i - 1;
    let mut s = String::new();
    loop {
        let Some(&c) = b.get(i) else { return Err(Bad::new("STATIC ERROR: unterminated string", open)) };
        if c == q {
            return Ok((s, i + 1));
        }
        if c != b'\\' {
            let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
            s.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let Some(&e) = b.get(i + 1) else { return Err(Bad::new("STATIC ERROR: unterminated string", open)) };
        i += 2;
        match e {
            b'"' => s.push('"'),
            b'\'' => s.push('\''),
            b'\\' => s.push('\\'),
            b'/' => s.push('/'),
            b'b' => s.push('\u{8}'),
            b'f' => s.push('\u{c}'),
            b'n' => s.push('\n'),
            b'r' => s.push('\r'),
            b't' => s.push('\t'),
            b'u' => {
                let hex = |at: usize| {
                    text.get(at..at + 4).and_then(|h| u32::from_str_radix(h, 16).ok()).ok_or_else(|| {
                        Bad::new("STATIC ERROR: truncated unicode escape sequence in string literal", at)
                    })
                };
                let mut cp = hex(i)?;
                i += 4;
                if (0xd800..0xdc00).contains(&cp) && text[i..].starts_with("\\u") {
                    let lo = hex(i + 2)?;
                    if (0xdc00..0xe000).contains(&lo) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        i += 6;
                    }
                }
                s.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
            }
            _ => return Err(Bad::new("STATIC ERROR: unknown escape sequence in string literal", i - 2)),
        }
    }
}

/// A text block `|||` at `i`: its lines with the first line's indent removed, and the byte after
/// the closing `|||`.
fn text_block(text: &str, i: usize) -> Result<(String, usize), Bad> {
    let mut j = i + 3;
    let chomp = text[j..].starts_with('-');
    if chomp {
        j += 1;
    }
    // Spaces then the end of the line.
    let rest = &text[j..];
    let nl = rest.find('\n').ok_or_else(|| Bad::new("STATIC ERROR: text block not terminated with |||", i))?;
    if !rest[..nl].trim_end_matches('\r').chars().all(|c| c == ' ' || c == '\t') {
        return Err(Bad::new("STATIC ERROR: text block syntax requires new line after |||.", i));
    }
    j += nl + 1;
    // Blank lines before the first line of text are kept as empty lines.
    let mut out = String::new();
    while text[j..].starts_with('\n') || text[j..].starts_with("\r\n") {
        out.push('\n');
        j += if text.as_bytes()[j] == b'\r' { 2 } else { 1 };
    }
    let indent: &str = {
        let line = &text[j..];
        let n = line.find(|c| c != ' ' && c != '\t').unwrap_or(line.len());
        &line[..n]
    };
    if indent.is_empty() {
        return Err(Bad::new("STATIC ERROR: text block's first line must start with whitespace.", j));
    }
    loop {
        let line_end = text[j..].find('\n').map(|n| j + n);
        let line = &text[j..line_end.unwrap_or(text.len())];
        if let Some(body) = line.strip_prefix(indent) {
            out.push_str(body);
            out.push('\n');
        } else if line.trim_end_matches('\r').is_empty() {
            out.push('\n');
        } else {
            // The closing `|||`, after white space of less indent.
            let trimmed = line.trim_start_matches([' ', '\t']);
            if let Some(after) = trimmed.strip_prefix("|||") {
                let end = j + (line.len() - after.len());
                if chomp && out.ends_with('\n') {
                    out.pop();
                }
                return Ok((out, end));
            }
            return Err(Bad::new("STATIC ERROR: text block not terminated with |||", j));
        }
        match line_end {
            Some(e) => j = e + 1,
            None => return Err(Bad::new("STATIC ERROR: unexpected end of file in text block", i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).map(|v| v.into_iter().map(|t| t.tok).collect()).unwrap_or_default()
    }

    #[test]
    fn tokens_as_the_spec_reads_them() {
        assert_eq!(
            toks("a+:: 1.5e2 // c\n 'x\\ty' @\"q\"\"\" /* c */ $"),
            vec![
                Tok::Ident("a".into()),
                Tok::Op("+::"),
                Tok::Num(150.0),
                Tok::Str("x\ty".into()),
                Tok::Str("q\"".into()),
                Tok::Op("$"),
                Tok::Eof
            ]
        );
        assert_eq!(toks("|||\n  a\n   b\n\n  c\n|||"), vec![Tok::Str("a\n b\n\nc\n".into()), Tok::Eof]);
        assert_eq!(toks("|||-\n  a\n |||"), vec![Tok::Str("a".into()), Tok::Eof]);
        assert_eq!(toks("\"\\u00e9\\ud83d\\ude00\""), vec![Tok::Str("é😀".into()), Tok::Eof]);
        assert!(lex("\"open").is_err());
        assert!(lex("1.").is_err());
        assert!(lex("/* open").is_err());
        assert!(lex("|||\nx\n|||").is_err());
    }
}
