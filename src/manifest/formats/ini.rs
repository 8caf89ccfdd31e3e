//! INI files as conftest gives them to policies (go-ini, then typed): an object of sections, each
//! an object of its keys; keys before the first section (go-ini's `DEFAULT`) are left out, as
//! conftest leaves them; a value that Go reads as a number is a number, one it reads as a boolean
//! (`true`, `f`, `TRUE`…) a boolean, anything else a string. Section names stay flat
//! (`[auth.basic]` is the key `auth.basic`).

use std::collections::HashMap;

use super::{go_bool, go_float, lines, Bad, Kind, Member, Members, Node};

/// A value as go-ini reads it: surrounding quotes removed (a quoted value keeps `#` and `;`),
/// else cut at the first `#` or `;`.
fn value_of(raw: &str) -> &str {
    let v = raw.trim();
    if v.len() >= 2 && v.starts_with('"') {
        if let Some(end) = v[1..].rfind('"') {
            return &v[1..=end];
        }
    }
    if v.len() >= 2 && v.starts_with('`') {
        if let Some(end) = v[1..].rfind('`') {
            return &v[1..=end];
        }
    }
    let v = match v.find(['#', ';']) {
        Some(i) => v[..i].trim(),
        None => v,
    };
    if v.len() >= 2 && ((v.starts_with('\'') && v.ends_with('\'')) || (v.starts_with('"') && v.ends_with('"'))) {
        return &v[1..v.len() - 1];
    }
    v
}

fn typed(v: &str) -> Kind {
    if let Some(n) = go_float(v) {
        return n;
    }
    match go_bool(v) {
        Some(b) => Kind::Bool(b),
        None => Kind::Str(v.to_string()),
    }
}

/// Parse an INI file into an object of sections.
pub fn parse(text: &str) -> Result<Node, Bad> {
    // (name, where its header is, end of its last line, members)
    let mut sections: Vec<(String, usize, usize, Members)> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut current: Option<usize> = None;
    for (at, raw) in lines(text) {
        let line = raw.trim();
        let start = at + (raw.len() - raw.trim_start().len());
        let end = at + raw.trim_end().len();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(close) = rest.rfind(']') else {
                return Err(Bad::new(format!("unclosed section: {line}"), start));
            };
            let name = rest[..close].trim().to_string();
            if name.is_empty() {
                return Err(Bad::new("empty section name", start));
            }
            current = match by_name.get(&name) {
                Some(&i) => Some(i),
                None => {
                    by_name.insert(name.clone(), sections.len());
                    sections.push((name, start, end, Members::default()));
                    Some(sections.len() - 1)
                }
            };
            continue;
        }
        let Some(i) = line.find(['=', ':']) else {
            return Err(Bad::new(format!("key-value delimiter not found: {line}"), start));
        };
        let key = line[..i].trim().trim_matches(|c| c == '"' || c == '`').to_string();
        if key.is_empty() {
            return Err(Bad::new(format!("empty key: {line}"), start));
        }
        let vraw = &line[i + 1..];
        let vstart = start + i + 1 + (vraw.len() - vraw.trim_start().len());
        let value = Node::new(typed(value_of(vraw)), vstart.min(end), end);
        // Keys before any section are go-ini's DEFAULT section, which conftest drops; a section
        // named DEFAULT is dropped with it.
        let Some(s) = current else { continue };
        let section = &mut sections[s];
        section.2 = end;
        // go-ini keeps the last value of a key set twice.
        section.3.set(Member { key, at: start, value });
    }
    let members = sections
        .into_iter()
        .filter(|s| s.0 != "DEFAULT")
        .map(|(key, at, end, members)| Member { key, at, value: Node::new(Kind::Obj(members.into_vec()), at, end) })
        .collect();
    Ok(Node::new(Kind::Obj(members), 0, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_types_as_conftest() {
        let text = "top = 1\n[server]\nhttp_port = 3000\nprotocol = http\nenable_gzip = false\nhttp_addr =\nroot_url = %(protocol)s://%(domain)s/\nratio = 0.5 ; a comment\nquoted = \"a # b\"\n[auth.basic]\nenabled = true\n";
        let (v, _) = super::super::finish(parse(text).expect("parses"), 100).expect("shallow");
        let j = serde_json::to_value(&v).expect("json");
        assert_eq!(
            j,
            serde_json::json!({
                "server": {"http_port": 3000, "protocol": "http", "enable_gzip": false, "http_addr": "",
                           "root_url": "%(protocol)s://%(domain)s/", "ratio": 0.5, "quoted": "a # b"},
                "auth.basic": {"enabled": true}
            })
        );
        assert_eq!(parse("[a\nx=1\n").expect_err("unclosed").at, 0);
        assert_eq!(parse("[a]\nno delimiter\n").expect_err("no =").at, 4);
    }
}
