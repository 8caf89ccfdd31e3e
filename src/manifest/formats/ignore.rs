//! `.gitignore` and `.dockerignore` files as conftest gives them to policies: one document, the
//! array of every line as `{Kind, Value, Original}` (go-ignore's entries: `Path`, `NegatedPath`,
//! `Comment`, `Empty`), so a policy can look for a pattern or its negation.

use super::{Bad, Kind, Member, Node};

/// Parse an ignore file (every line is an entry, the empty one after a final line feed too;
/// nothing is invalid).
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut out = Vec::new();
    let mut at = 0;
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let end = at + line.len();
        let trimmed = line.trim();
        let (kind, value) = if trimmed.is_empty() {
            ("Empty", "")
        } else if let Some(c) = trimmed.strip_prefix('#') {
            ("Comment", c.trim())
        } else if let Some(p) = trimmed.strip_prefix('!') {
            ("NegatedPath", p)
        } else {
            ("Path", trimmed)
        };
        let member = |key: &str, s: &str| Member { key: key.into(), at, value: Node::str(s, at, end) };
        out.push(Node::new(
            Kind::Obj(vec![member("Kind", kind), member("Value", value), member("Original", line)]),
            at,
            end,
        ));
        at += raw.len() + 1;
    }
    Ok(Node::new(Kind::Arr(out), 0, text.len()))
}
