//! Java `.properties` files as conftest gives them to policies (magiconair/properties' map): one
//! object of string values. `key=value`, `key: value` and `key value`, `#` and `!` comments,
//! lines continued with `\`, Java's escapes (`\t`, `\n`, `\uXXXX`, an escaped separator). `${…}`
//! references are left as written, as conftest's map has them.

use super::{lines, Bad, Kind, Member, Members, Node};

fn unescape(s: &str, at: usize) -> Result<String, Bad> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 4);
                match code.and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => return Err(Bad::new(format!("invalid unicode escape `\\u{hex}`"), at)),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

/// Whether a line ends with an odd number of backslashes (it continues on the next).
fn continues(line: &str) -> bool {
    line.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Parse a properties file into one object.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut members = Members::default();
    let mut it = lines(text);
    while let Some((at, raw)) = it.next() {
        let line = raw.trim_start_matches([' ', '\t', '\u{c}']);
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let start = at + (raw.len() - line.len());
        let mut end = at + raw.len();
        let mut logical = line.to_string();
        while continues(&logical) {
            logical.pop();
            match it.next() {
                Some((a, next)) => {
                    logical.push_str(next.trim_start_matches([' ', '\t', '\u{c}']));
                    end = a + next.len();
                }
                None => break,
            }
        }
        // The key ends at the first unescaped `=`, `:` or white space.
        let mut i = logical.len();
        let mut escaped = false;
        for (j, c) in logical.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if matches!(c, '=' | ':' | ' ' | '\t' | '\u{c}') {
                i = j;
                break;
            }
        }
        let key = unescape(&logical[..i], start)?;
        let mut rest = logical[i..].trim_start_matches([' ', '\t', '\u{c}']);
        if let Some(r) = rest.strip_prefix(['=', ':']) {
            rest = r.trim_start_matches([' ', '\t', '\u{c}']);
        }
        let value = unescape(rest, start)?;
        members.set(Member { key, at: start, value: Node::new(Kind::Str(value), start, end) });
    }
    Ok(Node::new(Kind::Obj(members.into_vec()), 0, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_as_strings() {
        let text = "# c\nSAMPLE_VALUE=something-here\nother.value.url: https://example.com/\nspaced value\nlong = a \\\n   b\nesc\\ key=\\u0041\\tz\n";
        let (v, _) = super::super::finish(parse(text).expect("parses"), 100).expect("shallow");
        assert_eq!(
            serde_json::to_value(&v).expect("json"),
            serde_json::json!({"SAMPLE_VALUE": "something-here", "other.value.url": "https://example.com/",
                               "spaced": "value", "long": "a b", "esc key": "A\tz"})
        );
        assert!(parse("a=\\u00zz\n").is_err());
    }
}
