//! `.env` files as conftest gives them to policies (gotenv's strict reading): one object of
//! string values. `KEY=value`, `export KEY=value` and `KEY: value`; `#` comments (after white
//! space on a value line); single quotes literal, double quotes with `\n`-style escapes; `$VAR`
//! and `${VAR}` replaced by a variable set earlier in the file (never from tollgate's own
//! environment, which would make the verdict depend on the machine: conftest reads it).

use std::collections::HashMap;

use super::{lines, Bad, Kind, Member, Members, Node};

/// Replace the variables in `s`. `budget`: the bytes expansion may still add in this file; a value
/// made of many references to a long one (`B=$A$A$A…`) grew as their product.
fn expand(s: &str, vars: &HashMap<String, String>, budget: &mut usize, at: usize) -> Result<String, Bad> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if i > 0 && rest.as_bytes()[i - 1] == b'\\' {
            out.pop();
            out.push('$');
            rest = after;
            continue;
        }
        let (name, used) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(e) => (&inner[..e], e + 2),
                // No `}` further on: no later `${` closes either (searching again for each one
                // was quadratic).
                None => {
                    out.push('$');
                    out.push_str(after);
                    return Ok(out);
                }
            }
        } else {
            let n = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..n], n)
        };
        if used == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        let value = vars.get(name).map_or("", String::as_str);
        *budget = budget.checked_sub(value.len()).ok_or_else(|| {
            Bad::new("variable references expand to more than 4 times the file (at least 16 MiB)", at)
        })?;
        out.push_str(value);
        rest = &after[used..];
    }
    out.push_str(rest);
    Ok(out)
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('$') => out.push_str("\\$"), // kept for `expand`, which drops the backslash
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// Parse a dotenv file into one object.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut members = Members::default();
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut budget = (text.len() * 4).max(16 << 20);
    for (at, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let start = at + (raw.len() - raw.trim_start().len());
        let end = at + raw.trim_end().len();
        let body = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let sep = body.find(['=', ':']);
        let Some(sep) = sep else {
            return Err(Bad::new(format!("line `{line}` doesn't match format (KEY=value)"), start));
        };
        let key = body[..sep].trim();
        let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err(Bad::new(format!("line `{line}` doesn't match format: invalid key `{key}`"), start));
        }
        let v = body[sep + 1..].trim();
        let value = if let Some(inner) = v.strip_prefix('\'') {
            match inner.find('\'') {
                Some(e) => inner[..e].to_string(),
                None => return Err(Bad::new(format!("unterminated single quote in `{line}`"), start)),
            }
        } else if let Some(inner) = v.strip_prefix('"') {
            let mut e = None;
            let mut escaped = false;
            for (i, c) in inner.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        e = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            match e {
                Some(e) => expand(&unescape_double(&inner[..e]), &vars, &mut budget, start)?,
                None => return Err(Bad::new(format!("unterminated double quote in `{line}`"), start)),
            }
        } else {
            // An unquoted value ends at ` #` (a comment).
            let v = match v.find(" #").or_else(|| v.find("\t#")) {
                Some(i) => v[..i].trim_end(),
                None => v,
            };
            expand(v, &vars, &mut budget, start)?
        };
        vars.insert(key.to_string(), value.clone());
        let vstart = start + (line.len() - v.len()).min(end - start);
        members.set(Member { key: key.to_string(), at: start, value: Node::new(Kind::Str(value), vstart, end) });
    }
    Ok(Node::new(Kind::Obj(members.into_vec()), 0, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(text: &str) -> serde_json::Value {
        let (v, _) = super::super::finish(parse(text).expect("parses"), 100).expect("shallow");
        serde_json::to_value(&v).expect("json")
    }

    #[test]
    fn dotenv_as_strings() {
        let text = "# c\nAPP=web\nexport PORT=8080\nURL=\"http://${APP}:$PORT/\\n\"\nLIT='$APP'\nNOTE=a b # comment\n";
        let (v, _) = super::super::finish(parse(text).expect("parses"), 100).expect("shallow");
        assert_eq!(
            serde_json::to_value(&v).expect("json"),
            serde_json::json!({"APP": "web", "PORT": "8080", "URL": "http://web:8080/\n", "LIT": "$APP", "NOTE": "a b"})
        );
        assert_eq!(parse("A=1\nnot a pair\n").expect_err("bad").at, 4);
        // A value of many references to a long one is refused, not grown without bound.
        let long = "x".repeat(1 << 20);
        let refs = "$A".repeat(100);
        let bomb = format!("A={long}\nB={refs}\nC={refs}\n");
        assert!(parse(&bomb).expect_err("too large").message.contains("4 times the file"));
        assert_eq!(
            shape_of(&format!("A=${{x{}\n", "${".repeat(10))),
            serde_json::json!({"A": format!("${{x{}", "${".repeat(10))})
        );
    }
}
