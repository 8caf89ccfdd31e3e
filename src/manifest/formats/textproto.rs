//! Protocol Buffers text format (`*.textproto`, `*.textpb`) as conftest reads it without
//! `--proto-file-dirs`: conftest decodes a textproto only through the message type its
//! `# proto-message: NAME` comment names, looked up among the `.proto` schemas it was given, so
//! without them every such file is refused. tollgate reads no `.proto` schemas (a text format
//! without its schema cannot be typed as conftest types it: enums, int64 as strings, field names),
//! so it gives the same refusal, located at the comment, rather than a guessed `input`.

use super::failed;
use crate::manifest::ParsedStream;

/// conftest's `#\s+proto-message:\s+([a-zA-Z0-9.]+)` (Go's `\s`: no vertical tab), on the first
/// line that has it: the type's name and the byte where the comment starts.
fn message_type(text: &str) -> Option<(&str, usize)> {
    for (start, line) in super::lines(text) {
        let mut from = 0;
        while let Some(i) = line[from..].find('#') {
            let hash = from + i;
            let rest = &line[hash + 1..];
            let after_ws = rest.trim_start_matches([' ', '\t', '\u{c}', '\r']);
            if after_ws.len() < rest.len() {
                if let Some(tail) = after_ws.strip_prefix("proto-message:") {
                    let name_part = tail.trim_start_matches([' ', '\t', '\u{c}', '\r']);
                    let end =
                        name_part.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.')).unwrap_or(name_part.len());
                    if name_part.len() < tail.len() && end > 0 {
                        return Some((&name_part[..end], start + hash));
                    }
                }
            }
            from = hash + 1;
        }
    }
    None
}

/// The refusal conftest gives, as an error finding at its place.
pub fn parse(text: &str) -> ParsedStream {
    match message_type(text) {
        Some((name, at)) => failed(
            "parse/unsupported-textproto",
            format!(
                "look up message type {name:?}: not found (tollgate reads no .proto schemas; conftest reads this file \
                 only with --proto-file-dirs naming the schema)"
            ),
            text,
            at,
        ),
        None => failed(
            "parse/invalid-textproto",
            "extract proto message type: file does not contain necessary proto-message comment \
             (`# proto-message: package.Message`)"
                .to_string(),
            text,
            0,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::message_type;

    #[test]
    fn the_comment_conftest_looks_for() {
        assert_eq!(message_type("# proto-message: a.B\nx: 1\n"), Some(("a.B", 0)));
        assert_eq!(message_type("x: 1\n  #\tproto-message:  pkg.v1.M_x\n"), Some(("pkg.v1.M", 7)));
        assert_eq!(message_type("#proto-message: a.B\n"), None, "conftest needs a space after #");
        assert_eq!(message_type("# proto-message:a.B\n"), None, "and after the colon");
        assert_eq!(message_type("s: \"#\" # proto-message: a.B\n"), Some(("a.B", 7)));
        assert_eq!(message_type(""), None);
    }
}
