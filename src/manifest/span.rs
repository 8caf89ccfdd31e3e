//! Where every node of a document is: a flat span table in pre-order, JSON pointer resolution to
//! the nearest existing node, and conversion of positions to 1-based line/column and byte ranges.

use std::sync::{Arc, OnceLock};

use crate::finding::Region;

/// A position as the parsers report it: 1-based line, 0-based column in chars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// How a node hangs off its parent, packed in a `u32`: an index into its sequence, a key (an index
/// into the table's names, with the top bit set), or the root.
pub const ROOT: u32 = u32::MAX;
const KEY_BIT: u32 = 1 << 31;
/// `SpanEntry::key` of a node that is no mapping member.
pub const NO_KEY: u32 = u32::MAX;

/// One node: byte offsets of its own span and of its key (for mapping members), and where its
/// subtree ends in the table (entries of a subtree are contiguous, so children are found by
/// skipping subtrees). 20 bytes: documents can have millions of nodes.
#[derive(Debug, Clone, Copy)]
pub struct SpanEntry {
    pub seg: u32,
    pub key: u32,
    pub start: u32,
    pub end: u32,
    pub subtree_end: u32,
}

/// All nodes of one document; entry 0 is the document root. `names` holds the keys (shared with
/// the document's value, so they cost no copy).
#[derive(Debug, Clone, Default)]
pub struct SpanTable {
    pub entries: Vec<SpanEntry>,
    pub names: Vec<regorus::Rc<str>>,
}

/// A node's place under its parent, as read from the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(u32),
}

/// Pack a key name's index.
pub fn key_seg(name_index: usize) -> u32 {
    KEY_BIT | (name_index as u32 & !KEY_BIT)
}

/// Pack a sequence index.
pub fn index_seg(i: usize) -> u32 {
    (i as u32) & !KEY_BIT
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(u64),
}

/// Escape one JSON pointer token (RFC 6901).
pub fn escape_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Parse a JSON pointer string (`/spec/containers/0`) into segments. Numeric tokens are kept as
/// keys here and matched against sequence indexes during resolution.
pub fn parse_pointer(p: &str) -> Vec<PathSeg> {
    if p.is_empty() {
        return Vec::new();
    }
    p.trim_start_matches('/').split('/').map(|t| PathSeg::Key(t.replace("~1", "/").replace("~0", "~"))).collect()
}

/// Render segments as a JSON pointer.
pub fn to_pointer(segs: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in segs {
        s.push('/');
        match seg {
            PathSeg::Key(k) => s.push_str(&escape_token(k)),
            PathSeg::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

impl SpanTable {
    pub fn seg(&self, e: &SpanEntry) -> Seg<'_> {
        if e.seg == ROOT {
            Seg::Root
        } else if e.seg & KEY_BIT != 0 {
            match self.names.get((e.seg & !KEY_BIT) as usize) {
                Some(n) => Seg::Key(n),
                None => Seg::Root,
            }
        } else {
            Seg::Index(e.seg)
        }
    }

    /// The child of `parent` that `seg` names. A key set twice (an explicit key over a merged one)
    /// has an entry for each; the later one holds the value, so the last match wins.
    fn child(&self, parent: usize, seg: &PathSeg) -> Option<usize> {
        let end = self.entries.get(parent)?.subtree_end as usize;
        let mut j = parent + 1;
        let mut found = None;
        while j < end {
            let e = self.entries.get(j)?;
            let hit = match (self.seg(e), seg) {
                (Seg::Key(k), PathSeg::Key(s)) => k == s,
                (Seg::Index(i), PathSeg::Index(s)) => u64::from(i) == *s,
                (Seg::Index(i), PathSeg::Key(s)) => s.parse::<u64>().ok() == Some(u64::from(i)),
                (Seg::Key(k), PathSeg::Index(s)) => k == s.to_string(),
                _ => false,
            };
            if hit {
                found = Some(j);
            }
            j = (e.subtree_end as usize).max(j + 1);
        }
        found
    }

    /// Resolve a path to the deepest existing node: its entry index and how many segments matched.
    pub fn resolve(&self, path: &[PathSeg]) -> Option<(usize, usize)> {
        if self.entries.is_empty() {
            return None;
        }
        let mut cur = 0usize;
        let mut matched = 0usize;
        for seg in path {
            match self.child(cur, seg) {
                Some(c) => {
                    cur = c;
                    matched += 1;
                }
                None => break,
            }
        }
        Some((cur, matched))
    }
}

/// A file's decoded text with a lazily built line index.
#[derive(Debug)]
pub struct FileText {
    pub path: String,
    pub text: Arc<str>,
    ascii: bool,
    line_starts: OnceLock<Vec<usize>>,
}

impl FileText {
    pub fn new(path: String, text: Arc<str>) -> FileText {
        let ascii = text.is_ascii();
        FileText { path, text, ascii, line_starts: OnceLock::new() }
    }

    fn starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut v = vec![0];
            let b = self.text.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                // `\n`, and a lone `\r` (YAML counts it as a line break too).
                if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                    v.push(i + 1);
                }
            }
            v
        })
    }

    /// Byte offset of a parser position.
    pub fn byte_of(&self, p: Pos) -> usize {
        let starts = self.starts();
        let line = (p.line.max(1) - 1) as usize;
        let Some(&ls) = starts.get(line) else {
            return self.text.len();
        };
        if self.ascii {
            return (ls + p.col as usize).min(self.text.len());
        }
        let rest = self.text.get(ls..).unwrap_or("");
        match rest.char_indices().nth(p.col as usize) {
            Some((off, _)) => ls + off,
            None => self.text.len(),
        }
    }

    /// 1-based (line, column) of a byte offset; the column counts chars.
    pub fn line_col(&self, byte: usize) -> (u32, u32) {
        let starts = self.starts();
        let line = match starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let ls = starts.get(line).copied().unwrap_or(0);
        let col = if self.ascii { byte - ls } else { self.text.get(ls..byte).map(|s| s.chars().count()).unwrap_or(0) };
        (line as u32 + 1, col as u32 + 1)
    }

    /// The region from byte `start` to byte `end`, with trailing white space and line breaks trimmed
    /// off the end (block scalars and block collections end where the next token begins).
    pub fn region(&self, start: usize, end: usize) -> Region {
        let sb = start.min(self.text.len());
        let mut eb = end.min(self.text.len()).max(sb);
        let bytes = self.text.as_bytes();
        while eb > sb && matches!(bytes.get(eb - 1), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            eb -= 1;
        }
        let (line, column) = self.line_col(sb);
        let (end_line, end_column) = self.line_col(eb);
        Region { line, column, end_line, end_column, start_byte: sb, end_byte: eb }
    }

    /// The region of a single point (used for parse errors).
    pub fn point(&self, p: Pos) -> Region {
        let sb = self.byte_of(p);
        let (line, column) = self.line_col(sb);
        let eb = self.text.get(sb..).and_then(|r| r.chars().next()).map(|c| sb + c.len_utf8()).unwrap_or(sb);
        let (end_line, end_column) =
            if eb > sb && !self.text[sb..eb].contains('\n') { self.line_col(eb) } else { (line, column) };
        Region { line, column, end_line, end_column, start_byte: sb, end_byte: eb }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_roundtrip() {
        let segs = parse_pointer("/metadata/annotations/a~1b~0c");
        assert_eq!(segs[2], PathSeg::Key("a/b~c".into()));
        assert_eq!(to_pointer(&segs), "/metadata/annotations/a~1b~0c");
        assert!(parse_pointer("").is_empty());
    }

    #[test]
    fn line_col_non_ascii_and_crlf() {
        let f = FileText::new("x".into(), Arc::from("a: é\r\nbb: ü\r\n"));
        let p = Pos { line: 2, col: 4 };
        let b = f.byte_of(p);
        assert_eq!(&f.text[b..b + 2], "ü");
        assert_eq!(f.line_col(b), (2, 5));
        let r = f.region(0, f.byte_of(Pos { line: 2, col: 0 }));
        assert_eq!((r.line, r.column, r.end_line, r.end_column), (1, 1, 1, 5));
    }
}
