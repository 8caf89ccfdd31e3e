//! YAML streams to documents, read exactly as kubectl reads them or refused with an error.
//!
//! kubectl cuts a stream at its `---` lines (`stream`), parses each part with go-yaml v2 (the
//! `scanner` and `parser` here follow its rules), decodes the part's first document and converts
//! it to JSON with sigs.k8s.io/yaml. This builder does the decoding and the conversion in one
//! pass over the events, building the regorus value and the span table beside it:
//! - scalars typed as go-yaml types them (YAML 1.1: `on`, `0644`, `1_000`, `.inf`), tags
//!   (`!!int "1"`, `!!binary`, `!!str`) applied or refused as go-yaml does;
//! - `<<` merges applied in document order, each one overwriting the keys set before it (so a
//!   merge after an explicit key wins, and of `<<: [*a, *b]` the first wins);
//! - keys converted to strings as sigs.k8s.io/yaml does (`1.5`, `true`); null and huge integer
//!   keys refused, as kubectl refuses them;
//! - aliases, with go-yaml's "excessive aliasing" check, self-reference and unknown anchors;
//! - what kubectl reads nondeterministically (two keys that become the same JSON key) refused.
//!
//! This module holds the stream loop and the builder's tree (collections, spans); `values` types
//! scalars, `keys` handles mapping keys and `<<` merges, `aliases` anchors and aliases.

mod aliases;
#[cfg(test)]
mod bench;
mod keys;
mod values;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use regorus::{Rc, Value};

use super::parser::{Ev, Event, Parser};
use super::scanner::{ErrKind, Mark, Scanner, YamlError};
use super::span::{index_seg, key_seg, Blocks, Pos, SpanEntry, SpanTable, NO_KEY, ROOT};
use super::stream::{self, Part};
use super::{Issues, Limits, ParseIssue, ParsedStream, RawDoc};
use crate::finding::Severity;
use aliases::{Anchor, AnchorState, Anchored, Op, Trace};
use keys::{Ids, KeyId};
use values::json_size;
pub use values::scalar_to_value;

const TAG_PREFIX: &str = "tag:yaml.org,2002:";
const UNSUPPORTED: &str = "yaml/unsupported-construct";
const INVALID: &str = "parse/invalid-yaml";

/// Parse a YAML stream into documents. Documents before a fatal error are kept; the error is
/// reported at its position.
pub fn parse(text: &str, limits: &Limits) -> ParsedStream {
    let mut out = ParsedStream::default();
    if text.len() > u32::MAX as usize {
        // Marks hold 32-bit offsets; `manifest::load` refuses such a file before it gets here.
        out.issues.push(ParseIssue {
            rule: UNSUPPORTED,
            severity: Severity::Error,
            message: format!("a YAML text of {} bytes, over the 4 GiB tollgate can read", text.len()),
            at: Pos { line: 1, col: 0 },
            document: None,
            help: None,
        });
        out.fatal = true;
        return out;
    }
    if let Some(bad) = stream::check_chars(text) {
        out.issues.push(ParseIssue {
            rule: if bad.rejected { INVALID } else { UNSUPPORTED },
            severity: Severity::Error,
            message: bad.message(),
            at: bad.at,
            document: None,
            help: None,
        });
        out.fatal = true;
        return out;
    }
    // Files that are no Kubernetes objects (`file-schemas`) are plain YAML streams.
    let (parts, first_only, bad_separator) = if limits.yaml12 {
        (vec![Part { start: 0, end: text.len(), line: 1, region: 0, newline_at_end: false }], false, None)
    } else {
        let (parts, bad) = stream::cut(text);
        (parts, true, bad)
    };
    let mut b = Builder::new(text, limits);
    // Document indexes count `---` lines, but a first part with no document in it (comments
    // only, or nothing before the first `---`) is no document.
    let mut offset: Option<usize> = None;
    for part in parts {
        let off = match offset {
            Some(o) => o,
            None if part.region > 0 => {
                offset = Some(1);
                1
            }
            None => 0,
        };
        let index = part.region.saturating_sub(off);
        let docs_here = match parse_part(&mut b, text, &part, index, first_only) {
            Ok(n) => n,
            Err(issue) => {
                out.issues.extend(std::mem::take(&mut b.issues).finish());
                out.docs.append(&mut b.docs);
                out.issues.push(issue);
                out.fatal = true;
                return out;
            }
        };
        if offset.is_none() {
            offset = Some(if docs_here > 0 { 0 } else { 1 });
        }
    }
    out.issues.extend(std::mem::take(&mut b.issues).finish());
    out.docs.append(&mut b.docs);
    if let Some(bad) = bad_separator {
        out.issues.push(ParseIssue {
            rule: INVALID,
            severity: Severity::Error,
            message: format!(
                "invalid document separator: kubectl allows only a comment after `---`, found `{}`; it stops \
                 reading the file here",
                bad.found
            ),
            at: bad.at,
            document: None,
            help: Some("put the content on the next line".into()),
        });
        out.fatal = true;
    }
    out
}

/// Read one part of the stream into `b` (kubectl reads only its first document; a plain YAML
/// stream is one part, all of whose documents count): how many documents it had, or the issue
/// that stops the stream.
fn parse_part<'a>(
    b: &mut Builder<'a>,
    text: &'a str,
    part: &Part,
    index: usize,
    first_only: bool,
) -> Result<usize, ParseIssue> {
    let scanner = Scanner::new(text, part.start, part.end, part.newline_at_end, part.line);
    let mut parser = Parser::new(scanner);
    let mut docs_here = 0usize;
    b.doc_index = index;
    loop {
        let event = match parser.next_event() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) if first_only && docs_here > 0 => {
                b.extra_document(e.at);
                break;
            }
            Err(e) => return Err(error_issue(&e, b.doc_index, text)),
        };
        match event.ev {
            Ev::StreamStart => {}
            Ev::StreamEnd => break,
            Ev::DocStart => {
                if first_only && docs_here > 0 {
                    b.extra_document(event.start);
                    break;
                }
                // A plain YAML stream (one part) counts its documents.
                b.doc_index = if first_only { index } else { docs_here };
                b.start_document();
            }
            Ev::DocEnd => {
                b.end_document();
                docs_here += 1;
            }
            _ => b.on_event(event).map_err(|Stop(issue)| issue)?,
        }
    }
    Ok(docs_here)
}

fn pos(m: Mark) -> Pos {
    Pos { line: m.line, col: m.col }
}

fn error_issue(e: &YamlError, doc: usize, text: &str) -> ParseIssue {
    let (rule, message, help) = match e.kind {
        ErrKind::Directive => (
            INVALID,
            "a `%YAML` or `%TAG` directive: kubectl's document splitter cuts it off from its document and rejects \
             the file"
                .to_string(),
            Some("remove the directive".to_string()),
        ),
        ErrKind::Syntax => {
            let mut m = format!("invalid YAML: {}", e.problem);
            if let Some((context, at)) = e.context.filter(|(_, at)| (at.line, at.col) != (e.at.line, e.at.col)) {
                m.push_str(&format!(" ({context} at line {}, column {})", at.line, at.col + 1));
            }
            if text.as_bytes().get(e.at.byte as usize) == Some(&b'\t') || e.problem.contains("tab") {
                m.push_str(" (YAML does not allow tabs for indentation)");
            }
            (INVALID, m, None)
        }
    };
    ParseIssue { rule, severity: Severity::Error, message, at: pos(e.at), document: Some(doc), help }
}

thread_local! {
    /// Key names, each stored once while it keeps its slot (most keys repeat, in a file and
    /// across files: `name`, `image`, ...): a direct-mapped cache by a cheap hash of the name,
    /// one per thread, kept from file to file, in front of the file's own set (`Builder::interned`,
    /// std's SipHash, which was 1.3% of a full check when every name was looked up in it). Names
    /// made to share a slot only take turns in it and fall through to the set: a cheap hash in
    /// the set itself would let them make every lookup linear.
    static INTERNED: RefCell<Vec<Option<Rc<str>>>> = const { RefCell::new(Vec::new()) };
}

/// Slots of the key-name cache (`INTERNED`); a power of two.
const INTERN_SLOTS: usize = 1024;

/// A key name's slot: an FxHash-like mix of its bytes, eight at a time (names are at most 64).
fn intern_slot(name: &[u8]) -> usize {
    let mut h = name.len() as u64;
    for chunk in name.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    (h >> (64 - INTERN_SLOTS.trailing_zeros())) as usize
}

/// A fatal problem that stops the stream.
struct Stop(ParseIssue);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar,
    Seq,
    Map,
}

/// A finished node on its way to its parent.
struct Node {
    value: Value,
    entry: usize,
    kind: Kind,
    /// Decode operations go-yaml spends on it (for the alias ratio).
    units: u64,
    /// Roughly its size as JSON, aliases expanded (for the alias byte budget).
    size: u64,
    /// Collection levels in it (a scalar has none).
    height: u32,
    ids: Option<Rc<Ids>>,
    /// For a sequence that is the value of `<<`: its items as merge sources.
    merge_items: Option<Vec<MergeSrc>>,
}

struct MergeSrc {
    value: Value,
    entry: usize,
    ids: Option<Rc<Ids>>,
    is_map: bool,
}

struct PendingKey {
    name: Rc<str>,
    id: KeyId,
    at: Mark,
    merge: bool,
}

#[derive(Default)]
struct MapState {
    map: BTreeMap<Value, Value>,
    key: Option<PendingKey>,
    ids: Option<Ids>,
    /// Keys set explicitly; kept once a merge has set keys too.
    explicit: Option<HashSet<Rc<str>>>,
    merge_seen: bool,
}

enum Body {
    Seq { items: Vec<Value>, merge: Option<Vec<MergeSrc>> },
    Map(MapState),
}

struct Frame<'a> {
    entry: usize,
    anchor: Option<(&'a str, u32)>,
    flow: bool,
    units: u64,
    size: u64,
    height: u32,
    body: Body,
}

struct Builder<'a> {
    text: &'a str,
    limits: &'a Limits,
    entries: Blocks<SpanEntry>,
    names: Vec<Rc<str>>,
    stack: Vec<Frame<'a>>,
    anchors: HashMap<&'a str, Anchor>,
    generation: u32,
    root: Option<Value>,
    decoded: u64,
    decoded_by_alias: u64,
    traces: Vec<Trace>,
    doc_index: usize,
    in_doc: bool,
    alias_nodes: usize,
    alias_bytes: u64,
    /// Key names this file stored that were not in the thread's cache (`INTERNED`), each once.
    interned: HashSet<Rc<str>>,
    docs: Vec<RawDoc>,
    issues: Issues,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, limits: &'a Limits) -> Builder<'a> {
        Builder {
            text,
            limits,
            entries: Blocks::default(),
            names: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            generation: 0,
            root: None,
            decoded: 0,
            decoded_by_alias: 0,
            traces: Vec::new(),
            doc_index: 0,
            in_doc: false,
            alias_nodes: 0,
            alias_bytes: 0,
            interned: HashSet::new(),
            docs: Vec::new(),
            issues: Issues::default(),
        }
    }

    fn intern(&mut self, s: &str) -> Rc<str> {
        if s.len() > 64 {
            return Rc::from(s);
        }
        INTERNED.with_borrow_mut(|cache| {
            if cache.is_empty() {
                cache.resize(INTERN_SLOTS, None);
            }
            let Some(held) = cache.get_mut(intern_slot(s.as_bytes())) else {
                return Rc::from(s);
            };
            if let Some(r) = held.as_ref().filter(|r| ***r == *s) {
                return r.clone();
            }
            // Not cached: the file's own set keeps every name it stored once, as many names as
            // the file has (a CRD repeats thousands of property names once per version).
            let r = match self.interned.get(s) {
                Some(r) => r.clone(),
                None => {
                    let r: Rc<str> = Rc::from(s);
                    self.interned.insert(r.clone());
                    r
                }
            };
            *held = Some(r.clone());
            r
        })
    }

    fn byte(&self, m: Mark) -> u32 {
        (m.byte as usize).min(self.text.len()) as u32
    }

    fn issue(&mut self, rule: &'static str, message: String, at: Mark, help: Option<&str>) {
        self.issues.push(ParseIssue {
            rule,
            severity: Severity::Error,
            message,
            at: pos(at),
            document: Some(self.doc_index),
            help: help.map(str::to_string),
        });
    }

    fn warn(&mut self, message: String, at: Mark) {
        self.issues.push(ParseIssue {
            rule: "yaml/ambiguous-scalar",
            severity: Severity::Warning,
            message,
            at: pos(at),
            document: Some(self.doc_index),
            help: None,
        });
    }

    fn stop(&self, rule: &'static str, message: String, at: Mark, help: Option<&str>) -> Stop {
        Stop(ParseIssue {
            rule,
            severity: Severity::Error,
            message,
            at: pos(at),
            document: Some(self.doc_index),
            help: help.map(str::to_string),
        })
    }

    fn extra_document(&mut self, at: Mark) {
        self.issue(
            UNSUPPORTED,
            "a second YAML document in one part of the stream (after `...`): kubectl reads only the first document \
             between two `---` lines and silently ignores this one"
                .into(),
            at,
            Some("separate documents with a `---` line"),
        );
    }

    fn start_document(&mut self) {
        self.entries = Blocks::default();
        self.names = Vec::new();
        self.stack.clear();
        self.anchors.clear();
        self.root = None;
        self.decoded = 1; // the document node
        self.decoded_by_alias = 0;
        self.traces.clear();
        self.in_doc = true;
    }

    fn end_document(&mut self) {
        if !self.in_doc {
            return;
        }
        self.in_doc = false;
        let mut entries = std::mem::take(&mut self.entries);
        let mut names = std::mem::take(&mut self.names);
        entries.shrink_to_fit();
        names.shrink_to_fit();
        if let Some(value) = self.root.take() {
            self.docs.push(RawDoc { index: self.doc_index, value, spans: SpanTable::new(entries, names) });
        }
    }

    /// Where a new node hangs: (packed segment, key byte).
    fn placement(&mut self) -> (u32, u32) {
        match self.stack.last() {
            None => (ROOT, NO_KEY),
            Some(Frame { body: Body::Seq { items, .. }, .. }) => (index_seg(items.len()), NO_KEY),
            Some(Frame { body: Body::Map(MapState { key: Some(k), .. }), .. }) => {
                if k.merge {
                    (ROOT, NO_KEY)
                } else {
                    let (name, at) = (k.name.clone(), k.at);
                    self.names.push(name);
                    (key_seg(self.names.len() - 1), self.byte(at))
                }
            }
            Some(_) => (ROOT, NO_KEY),
        }
    }

    fn push_entry(&mut self, start: Mark, end: Mark) -> usize {
        let (seg, key) = self.placement();
        let (start, end) = (self.byte(start), self.byte(end));
        self.entries.push(SpanEntry { seg, key, start, end, subtree_end: 0 });
        self.entries.len() - 1
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame { body: Body::Map(MapState { key: None, .. }), .. }))
    }

    fn pending_merge(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame { body: Body::Map(MapState { key: Some(PendingKey { merge: true, .. }), .. }), .. })
        )
    }

    /// Stop when a node of `levels` collection levels (1 for a collection that starts here, an
    /// alias's height for an alias) would nest deeper than the limit.
    fn check_depth(&self, levels: u32, at: Mark) -> Result<(), Stop> {
        if self.stack.len() + levels as usize > self.limits.max_depth {
            return Err(self.stop(
                "parse/too-deep",
                format!("nesting deeper than {} levels", self.limits.max_depth),
                at,
                Some("flatten the document; no Kubernetes object nests this deep"),
            ));
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event<'a>) -> Result<(), Stop> {
        let (start, end) = (event.start, event.end);
        match event.ev {
            Ev::Scalar { anchor, tag, value, style, plain_implicit } => {
                let tag = tag.as_deref();
                if self.expecting_key() {
                    return self.scalar_key(&value, style, tag, plain_implicit, anchor, start);
                }
                let v = self.scalar_value(&value, style, tag, plain_implicit, start, true)?;
                self.count(Op::Node, start)?;
                let e = self.push_entry(start, end);
                self.entries[e].subtree_end = (e + 1) as u32;
                let size = json_size(&v);
                if let Some(name) = anchor {
                    self.generation += 1;
                    let key = Some(self.key_of(&value, style, tag, plain_implicit));
                    let done = Anchored {
                        value: v.clone(),
                        first: e,
                        end: e + 1,
                        kind: Kind::Scalar,
                        units: 1,
                        size,
                        height: 0,
                        ids: None,
                        key,
                    };
                    self.anchors
                        .insert(name, Anchor { generation: self.generation, state: AnchorState::Done(Rc::new(done)) });
                }
                self.attach(
                    Node {
                        value: v,
                        entry: e,
                        kind: Kind::Scalar,
                        units: 1,
                        size,
                        height: 0,
                        ids: None,
                        merge_items: None,
                    },
                    start,
                )
            }
            Ev::SeqStart { anchor, flow } => self.open_collection(true, anchor, flow, start, end),
            Ev::MapStart { anchor, flow } => self.open_collection(false, anchor, flow, start, end),
            Ev::SeqEnd | Ev::MapEnd => self.close_collection(start, end),
            Ev::Alias(name) => self.alias(name, start, end),
            Ev::StreamStart | Ev::StreamEnd | Ev::DocStart | Ev::DocEnd => Ok(()),
        }
    }

    /// A sequence or mapping starts (`is_seq`: a sequence).
    fn open_collection(
        &mut self,
        is_seq: bool,
        anchor: Option<&'a str>,
        flow: bool,
        start: Mark,
        end: Mark,
    ) -> Result<(), Stop> {
        if self.expecting_key() {
            return Err(self.stop(
                INVALID,
                format!(
                    "a {} as a mapping key: kubectl rejects it (\"invalid map key\")",
                    if is_seq { "sequence" } else { "mapping" }
                ),
                start,
                None,
            ));
        }
        self.check_depth(1, start)?;
        let merge = is_seq && self.pending_merge();
        if merge {
            self.traces.push(Trace::default());
        } else {
            self.count(Op::Node, start)?;
        }
        let e = self.push_entry(start, end);
        let anchor = self.open_anchor(anchor);
        let body = if is_seq {
            Body::Seq { items: Vec::new(), merge: merge.then(Vec::new) }
        } else {
            Body::Map(MapState::default())
        };
        self.stack.push(Frame { entry: e, anchor, flow, units: u64::from(!merge), size: 2, height: 0, body });
        Ok(())
    }

    /// The innermost collection ends: its value goes to its parent.
    fn close_collection(&mut self, start: Mark, end: Mark) -> Result<(), Stop> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        self.close(frame.entry, frame.flow, end);
        let height = frame.height + 1;
        let (value, kind, ids, merge_items) = match frame.body {
            Body::Seq { mut items, merge } => {
                if merge.is_some() {
                    self.replay_trace(start)?;
                }
                items.shrink_to_fit();
                (Value::from(items), Kind::Seq, None, merge)
            }
            Body::Map(ms) => (Value::from(ms.map), Kind::Map, ms.ids.map(Rc::new), None),
        };
        let e = frame.entry;
        let end_entry = self.entries[e].subtree_end as usize;
        self.close_anchor(
            frame.anchor,
            Anchored {
                value: value.clone(),
                first: e,
                end: end_entry,
                kind,
                units: frame.units,
                size: frame.size,
                height,
                ids: ids.clone(),
                key: None,
            },
        );
        self.attach(
            Node { value, entry: e, kind, units: frame.units, size: frame.size, height, ids, merge_items },
            start,
        )
    }

    /// Set the end of a collection: after the closing bracket for flow collections, after the
    /// last child for block collections.
    fn close(&mut self, entry: usize, flow: bool, end: Mark) {
        let n = self.entries.len();
        let e_end = if flow {
            self.byte(end)
        } else {
            let mut last_end = self.entries[entry].start;
            let mut j = entry + 1;
            while j < n {
                let c = &self.entries[j];
                last_end = last_end.max(c.end);
                j = (c.subtree_end as usize).max(j + 1);
            }
            last_end
        };
        let e = &mut self.entries[entry];
        e.end = e_end;
        e.subtree_end = n as u32;
    }

    /// Attach a finished node to its parent.
    fn attach(&mut self, node: Node, at: Mark) -> Result<(), Stop> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node.value);
            return Ok(());
        };
        frame.units += node.units;
        frame.size += node.size + 1;
        frame.height = frame.height.max(node.height);
        match &mut frame.body {
            Body::Seq { items, merge } => {
                if let Some(srcs) = merge {
                    srcs.push(MergeSrc {
                        value: node.value.clone(),
                        entry: node.entry,
                        ids: node.ids.clone(),
                        is_map: node.kind == Kind::Map,
                    });
                    if let Some(t) = self.traces.last_mut() {
                        let item = std::mem::take(&mut t.cur);
                        t.items.push(item);
                    }
                }
                items.push(node.value);
                Ok(())
            }
            Body::Map(ms) => {
                let Some(k) = ms.key.take() else {
                    return Ok(());
                };
                if k.merge {
                    self.merge(node, at)
                } else {
                    self.insert_explicit(k, node.value)
                }
            }
        }
    }

    fn map_state(&mut self) -> Option<&mut MapState> {
        match self.stack.last_mut() {
            Some(Frame { body: Body::Map(ms), .. }) => Some(ms),
            _ => None,
        }
    }
}
