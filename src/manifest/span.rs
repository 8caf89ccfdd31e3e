//! Where every node of a document is: a flat span table in pre-order, JSON pointer resolution to
//! the nearest existing node, and conversion of positions to 1-based line/column and byte ranges.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
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
    pub entries: Blocks<SpanEntry>,
    pub names: Vec<regorus::Rc<str>>,
    /// Children of the nodes that have many, built on the first lookup in a big table (finding
    /// each of thousands of findings among thousands of siblings was quadratic).
    index: OnceLock<HashMap<u32, Kids>>,
}

/// Tables smaller than this are searched child by child.
const INDEXED_TABLE: usize = 1024;
/// Nodes with at least this many children get an index.
const INDEXED_CHILDREN: usize = 32;

/// A node's children by sequence index, and by hash of key name (the last one of a name).
#[derive(Debug, Clone, Default)]
struct Kids {
    by_index: Vec<u32>,
    by_key: HashMap<u64, u32>,
}

fn name_hash(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

const BLOCK: usize = 1 << 16;

/// A growable array kept in blocks of at most 65,536 items. A `Vec` that grows copies all of
/// itself and holds both copies for a moment: for a document of millions of nodes that doubled
/// the table's peak memory. Growing this copies one block at most.
#[derive(Debug, Clone)]
pub struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks { blocks: Vec::new(), len: 0 }
    }
}

impl<T: Copy> Blocks<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, v: T) {
        match self.blocks.last_mut() {
            Some(b) if b.len() < BLOCK => b.push(v),
            _ => {
                let mut b = Vec::with_capacity(if self.blocks.is_empty() { 16 } else { BLOCK });
                b.push(v);
                self.blocks.push(b);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.blocks.get(i / BLOCK)?.get(i % BLOCK)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.blocks.get_mut(i / BLOCK)?.get_mut(i % BLOCK)
    }

    pub fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        self.blocks.truncate(n.div_ceil(BLOCK));
        if let Some(b) = self.blocks.last_mut() {
            b.truncate(n - (n.div_ceil(BLOCK) - 1) * BLOCK);
        }
        self.len = n;
    }

    pub fn shrink_to_fit(&mut self) {
        if let Some(b) = self.blocks.last_mut() {
            b.shrink_to_fit();
        }
        self.blocks.shrink_to_fit();
    }
}

impl<T: Copy> std::ops::Index<usize> for Blocks<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.blocks[i / BLOCK][i % BLOCK]
    }
}

impl<T: Copy> std::ops::IndexMut<usize> for Blocks<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.blocks[i / BLOCK][i % BLOCK]
    }
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

    /// Build with `entries` and `names`.
    pub fn new(entries: Blocks<SpanEntry>, names: Vec<regorus::Rc<str>>) -> SpanTable {
        SpanTable { entries, names, index: OnceLock::new() }
    }

    fn direct_children(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.entries.get(parent).map_or(0, |e| e.subtree_end as usize);
        let mut j = parent + 1;
        std::iter::from_fn(move || {
            if j >= end {
                return None;
            }
            let cur = j;
            j = self.entries.get(j).map_or(end, |e| (e.subtree_end as usize).max(j + 1));
            Some(cur)
        })
    }

    fn build_index(&self) -> HashMap<u32, Kids> {
        let mut index = HashMap::new();
        for p in 0..self.entries.len() {
            if self.entries[p].subtree_end as usize <= p + INDEXED_CHILDREN {
                continue; // too few entries below it to have that many children
            }
            if self.direct_children(p).nth(INDEXED_CHILDREN - 1).is_none() {
                continue;
            }
            let mut kids = Kids::default();
            for c in self.direct_children(p) {
                match self.seg(&self.entries[c]) {
                    Seg::Key(k) => {
                        kids.by_key.insert(name_hash(k), c as u32);
                    }
                    Seg::Index(i) => {
                        if i as usize == kids.by_index.len() {
                            kids.by_index.push(c as u32);
                        }
                    }
                    Seg::Root => {}
                }
            }
            index.insert(p as u32, kids);
        }
        index
    }

    /// The child of `parent` that `seg` names through the index: `Some(answer)` when the index
    /// knows, `None` to search.
    fn indexed_child(&self, parent: usize, seg: &PathSeg) -> Option<Option<usize>> {
        if self.entries.len() < INDEXED_TABLE {
            return None;
        }
        let kids = self.index.get_or_init(|| self.build_index()).get(&(parent as u32))?;
        let (name, position) = match seg {
            PathSeg::Key(s) => (s.clone(), s.parse::<u64>().ok()),
            PathSeg::Index(i) => (i.to_string(), Some(*i)),
        };
        if let Some(&c) = kids.by_key.get(&name_hash(&name)) {
            return (self.seg(&self.entries[c as usize]) == Seg::Key(&name)).then_some(Some(c as usize));
        }
        if let Some(&c) = position.and_then(|i| kids.by_index.get(i as usize)) {
            return Some(Some(c as usize));
        }
        // Not among the children (a hash collision would have been found above and searched).
        Some(None)
    }

    /// The child of `parent` that `seg` names. A key set twice (an explicit key over a merged one)
    /// has an entry for each; the later one holds the value, so the last match wins.
    fn child(&self, parent: usize, seg: &PathSeg) -> Option<usize> {
        if let Some(answer) = self.indexed_child(parent, seg) {
            return answer;
        }
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
    /// For text that is not ASCII: characters before every `CHAR_MARK`-th byte, so a column costs
    /// no count from the start of a long line (a minified file is one line).
    char_marks: OnceLock<Vec<usize>>,
}

const CHAR_MARK: usize = 1024;

impl FileText {
    pub fn new(path: String, text: Arc<str>) -> FileText {
        let ascii = text.is_ascii();
        FileText { path, text, ascii, line_starts: OnceLock::new(), char_marks: OnceLock::new() }
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

    /// Characters before byte `b` (counted from the text's start).
    fn chars_before(&self, b: usize) -> usize {
        let bytes = self.text.as_bytes();
        let b = b.min(bytes.len());
        let lead = |c: &&u8| **c & 0xC0 != 0x80;
        let marks = self.char_marks.get_or_init(|| {
            let mut marks = Vec::with_capacity(bytes.len() / CHAR_MARK + 1);
            let mut n = 0;
            for chunk in bytes.chunks(CHAR_MARK) {
                marks.push(n);
                n += chunk.iter().filter(lead).count();
            }
            // The count at the end of the text too: a text whose length is a multiple of
            // CHAR_MARK has no chunk starting there.
            marks.push(n);
            marks
        });
        let k = b / CHAR_MARK;
        marks.get(k).copied().unwrap_or(0) + bytes[(k * CHAR_MARK).min(b)..b].iter().filter(lead).count()
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
        let byte = byte.min(self.text.len());
        let col = if self.ascii { byte.saturating_sub(ls) } else { self.chars_before(byte) - self.chars_before(ls) };
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
    fn blocks() {
        let mut b = Blocks::default();
        for i in 0..(2 * BLOCK + 5) {
            b.push(i);
        }
        assert_eq!(
            (b.len(), b[BLOCK + 3], b.get(2 * BLOCK + 4), b.get(2 * BLOCK + 5)),
            (2 * BLOCK + 5, BLOCK + 3, Some(&(2 * BLOCK + 4)), None)
        );
        b.truncate(BLOCK + 1);
        assert_eq!((b.len(), b.get(BLOCK), b.get(BLOCK + 1)), (BLOCK + 1, Some(&BLOCK), None));
        b.push(7);
        assert_eq!(b[BLOCK + 1], 7);
        b.truncate(BLOCK);
        b.push(8);
        assert_eq!((b.len(), b[BLOCK]), (BLOCK + 1, 8));
        b.truncate(0);
        assert!(b.is_empty());
    }

    /// The end of a non-ASCII text whose length is a multiple of the character checkpoints'
    /// spacing (found by the fuzzer: the column was computed from a missing checkpoint and the
    /// subtraction overflowed).
    #[test]
    fn end_of_a_text_on_a_checkpoint() {
        let text = format!("é\n{}", "a".repeat(CHAR_MARK - 3));
        assert_eq!(text.len(), CHAR_MARK);
        let t = FileText::new("f".into(), text.into());
        assert_eq!(t.line_col(CHAR_MARK), (2, CHAR_MARK as u32 - 3 + 1));
        assert_eq!(t.line_col(2), (1, 2));
    }

    #[test]
    fn pointer_roundtrip() {
        let segs = parse_pointer("/metadata/annotations/a~1b~0c");
        assert_eq!(segs[2], PathSeg::Key("a/b~c".into()));
        assert_eq!(to_pointer(&segs), "/metadata/annotations/a~1b~0c");
        assert!(parse_pointer("").is_empty());
    }

    #[test]
    fn columns_on_long_non_ascii_lines() {
        let text = "é".repeat(3000) + "x";
        let f = FileText::new("x".into(), Arc::from(text.as_str()));
        assert_eq!(f.line_col(6000), (1, 3001));
        assert_eq!(f.line_col(2), (1, 2));
        let text = format!("ü\n{}y", "ä".repeat(1500));
        let f = FileText::new("x".into(), Arc::from(text.as_str()));
        assert_eq!(f.line_col(3 + 3000), (2, 1501));
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
