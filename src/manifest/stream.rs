//! How kubectl cuts a file into documents before any YAML is read, and the characters its reader
//! refuses or reads as line breaks where other readers do not.
//!
//! kubectl's file reader drops a UTF-8 byte order mark and decodes UTF-16 first. Then
//! (`YAMLOrJSONDecoder`) it reads a whole stream as JSON when its first 4096 bytes start,
//! after white space, with `{`. Otherwise its line reader cuts the stream at lines that start
//! with `---` (the rest of the line blank or a comment; anything else there is an error), ends
//! every line with a line feed, drops a carriage return before one, and hands each part to
//! go-yaml, which reads the first YAML document of the part and ignores the rest.

use super::span::Pos;

/// One part of a stream between kubectl's `---` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub start: usize,
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// Number of `---` lines before the part.
    pub region: usize,
    /// The part's last line has no line feed; kubectl's line reader adds one.
    pub newline_at_end: bool,
}

/// A `---` line with something other than a comment after it: kubectl stops reading the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSeparator {
    pub at: Pos,
    pub found: String,
}

/// Whether kubectl reads this stream as JSON (a stream of JSON values, no YAML at all).
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    };
    text.trim_start().starts_with('{')
}

/// Cut a stream as kubectl's line reader does (after its file reader dropped a byte order mark
/// and decoded UTF-16).
pub fn cut(text: &str) -> (Vec<Part>, Option<BadSeparator>) {
    let b = text.as_bytes();
    let mut parts = Vec::new();
    let (mut region_start, mut region_line, mut region) = (0usize, 1u32, 0usize);
    // Lines are counted up to `counted` (where line `line` starts) as separators are found.
    let (mut counted, mut line) = (0usize, 1u32);
    let mut from = 0usize;
    // memchr's substring search: `str::find` with a `&str` pattern was 0.4% of a full check;
    // its searcher built once per run, not per file (building it was 0.5%).
    static DASHES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n---"));
    while let Some(pos) = next_dashes(text, from, &DASHES) {
        line += memchr::memchr_iter(b'\n', &b[counted..pos]).count() as u32;
        counted = pos;
        let le = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
        let next = (le + 1).min(b.len());
        let rest = text.get(pos + 3..le).unwrap_or("").trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            let col = text.get(pos..le).unwrap_or("").chars().take_while(|c| *c == '-').count() as u32;
            return (parts, Some(BadSeparator { at: Pos { line, col }, found: rest.to_string() }));
        }
        if region_start < pos {
            parts.push(Part { start: region_start, end: pos, line: region_line, region, newline_at_end: false });
        }
        region += 1;
        region_start = next;
        region_line = line + 1;
        from = next;
    }
    if region_start < b.len() {
        parts.push(Part {
            start: region_start,
            end: b.len(),
            line: region_line,
            region,
            newline_at_end: !text.ends_with('\n'),
        });
    }
    (parts, None)
}

/// Where the next line at or after `from` (a line start) begins with `---`.
fn next_dashes(text: &str, from: usize, dashes: &memchr::memmem::Finder) -> Option<usize> {
    let rest = text.get(from..)?;
    if rest.starts_with("---") {
        return Some(from);
    }
    dashes.find(rest.as_bytes()).map(|i| from + i + 1)
}

/// A character kubectl's reader refuses, or reads differently from every other tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadChar {
    pub at: Pos,
    pub ch: char,
    /// kubectl rejects the file (a control character); otherwise it reads it its own way.
    pub rejected: bool,
}

impl BadChar {
    pub fn message(&self) -> String {
        let code = format!("U+{:04X}", self.ch as u32);
        match self.ch {
            '\r' => "a carriage return not followed by a line feed: Kubernetes' document splitter does not end a \
                     line there but its YAML reader does, so they disagree on where lines and documents end"
                .into(),
            '\u{85}' | '\u{2028}' | '\u{2029}' => format!(
                "{code} ({}) is a line break for Kubernetes' YAML 1.1 reader and not for YAML 1.2 tools, so the \
                 text after it is read differently; write it as `\\{}` inside a double-quoted string",
                match self.ch {
                    '\u{85}' => "NEXT LINE",
                    '\u{2028}' => "LINE SEPARATOR",
                    _ => "PARAGRAPH SEPARATOR",
                },
                match self.ch {
                    '\u{85}' => 'N',
                    '\u{2028}' => 'L',
                    _ => 'P',
                }
            ),
            '\u{FEFF}' => "a byte order mark (U+FEFF) after the start of the file: Kubernetes' YAML reader drops or \
                           keeps it depending on where its read buffer starts"
                .into(),
            _ => format!(
                "control character {code} is not allowed in YAML (kubectl rejects the file); write it as an escape \
                 inside a double-quoted string"
            ),
        }
    }
}

/// The first character of `text` that kubectl's YAML reader rejects or reads unlike other tools:
/// control characters other than tab and line ends; NEL, LINE and PARAGRAPH SEPARATOR (line
/// breaks in YAML 1.1 only); a carriage return without a line feed (a line break for go-yaml
/// but not for kubectl's line reader); U+FEFF after the start (go-yaml skips one only when its
/// buffer happens to start with it).
pub fn check_chars(text: &str) -> Option<BadChar> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Whole chunks of printable ASCII, tabs and line feeds (nearly every byte of a manifest)
        // are passed over at once; the first chunk with anything else is stepped through below.
        while let Some(chunk) = b.get(i..i + CHUNK) {
            if !all_plain(chunk) {
                break;
            }
            i += CHUNK;
        }
        let stop = (i + CHUNK).min(b.len());
        while i < stop {
            let c = b[i];
            if plain(c) {
                i += 1;
                continue;
            }
            if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if c < 0x80 {
                return Some(bad_char(text, i, c as char));
            }
            let ch = text.get(i..).and_then(|s| s.chars().next()).unwrap_or('\u{FFFD}');
            if matches!(ch, '\u{80}'..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}') {
                return Some(bad_char(text, i, ch));
            }
            i += ch.len_utf8();
        }
    }
    None
}

const CHUNK: usize = 32;

/// Printable ASCII, a tab or a line feed: a byte every reader takes alike.
#[inline]
fn plain(c: u8) -> bool {
    c.wrapping_sub(0x20) < 0x5F || c == b'\n' || c == b'\t'
}

/// Whether every byte of `chunk` is `plain`: no early exit, so the compiler checks the chunk in
/// vector registers.
#[inline]
fn all_plain(chunk: &[u8]) -> bool {
    chunk.iter().fold(true, |all, &c| all & plain(c))
}

fn bad_char(text: &str, i: usize, ch: char) -> BadChar {
    let before = text.get(..i).unwrap_or("");
    let line = before.bytes().filter(|&c| c == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = text.get(line_start..i).map_or(0, |s| s.chars().count()) as u32;
    let rejected = !matches!(ch, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}');
    BadChar { at: Pos { line, col }, ch, rejected }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_sniffed_like_kubectl() {
        assert!(looks_like_json(b"  \n {\"a\": 1}"));
        assert!(looks_like_json("\u{a0}{".as_bytes()), "Unicode white space counts, as in Go");
        assert!(!looks_like_json(b"\xEF\xBB\xBF{}"), "a byte order mark is not white space");
        assert!(!looks_like_json(b"[1]"));
        let mut far = vec![b' '; 4096];
        far.push(b'{');
        assert!(!looks_like_json(&far), "only the first 4096 bytes are looked at");
    }

    #[test]
    fn parts_follow_the_line_reader() {
        let t = "a: 1\n---\n---  # c\n\nb: 2\n--- \nc";
        let (parts, bad) = cut(t);
        assert!(bad.is_none());
        let got: Vec<_> = parts.iter().map(|p| (&t[p.start..p.end], p.line, p.region, p.newline_at_end)).collect();
        assert_eq!(got, vec![("a: 1\n", 1, 0, false), ("\nb: 2\n", 4, 2, false), ("c", 7, 3, true)]);
        let (parts, bad) = cut("a: 1\n--- {b: 2}\n");
        assert_eq!(parts.len(), 0, "kubectl stops at the bad line");
        assert_eq!(bad, Some(BadSeparator { at: Pos { line: 2, col: 3 }, found: "{b: 2}".into() }));
        assert_eq!(cut("---\r\na\r\n").0[0].start, 5, "a carriage return before the line feed is dropped");
    }

    #[test]
    fn characters() {
        assert_eq!(check_chars("a: b\r\nc: \"\u{e9}\t\"\n"), None);
        let bad = check_chars("a: 1\nb: x\u{2028}y").unwrap();
        assert_eq!((bad.at, bad.rejected), (Pos { line: 2, col: 4 }, false));
        assert!(check_chars("a\rb").is_some_and(|c| c.ch == '\r'));
        assert!(check_chars("a: \u{7}").is_some_and(|c| c.rejected));
        assert!(check_chars("a: \u{feff}").is_some_and(|c| !c.rejected));
    }
}
