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

use std::collections::{BTreeMap, HashMap, HashSet};

use regorus::{Rc, Value};

use super::parser::{Ev, Event, Parser};
use super::scalar::{self, Scalar};
use super::scanner::{ErrKind, Mark, Scanner, Style, YamlError};
use super::span::{index_seg, key_seg, Blocks, Pos, SpanEntry, SpanTable, NO_KEY, ROOT};
use super::stream::{self, Part};
use super::{Issues, Limits, ParseIssue, ParsedStream, RawDoc};
use crate::finding::Severity;

const TAG_PREFIX: &str = "tag:yaml.org,2002:";
const UNSUPPORTED: &str = "yaml/unsupported-construct";
const INVALID: &str = "parse/invalid-yaml";
/// What aliases may add to a file, as JSON: this many times its size, and at least the floor.
/// Every consumer of a document (schema validation, policies, reports) may expand aliases, and
/// an alias costs a few bytes of text however big the node it names (go-yaml counts nodes only).
const ALIAS_BYTES_PER_BYTE: u64 = 4;
const ALIAS_BYTES_FLOOR: u64 = 16 << 20;

/// Parse a YAML stream into documents. Documents before a fatal error are kept; the error is
/// reported at its position.
pub fn parse(text: &str, limits: &Limits) -> ParsedStream {
    let mut out = ParsedStream::default();
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
                Err(e) => {
                    out.issues.extend(std::mem::take(&mut b.issues).finish());
                    out.docs.append(&mut b.docs);
                    out.issues.push(error_issue(&e, b.doc_index, text));
                    out.fatal = true;
                    return out;
                }
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
                _ => {
                    if let Err(Stop(issue)) = b.on_event(event) {
                        out.issues.extend(std::mem::take(&mut b.issues).finish());
                        out.docs.append(&mut b.docs);
                        out.issues.push(issue);
                        out.fatal = true;
                        return out;
                    }
                }
            }
        }
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
            if text.as_bytes().get(e.at.byte) == Some(&b'\t') || e.problem.contains("tab") {
                m.push_str(" (YAML does not allow tabs for indentation)");
            }
            (INVALID, m, None)
        }
    };
    ParseIssue { rule, severity: Severity::Error, message, at: pos(e.at), document: Some(doc), help }
}

/// A fatal problem that stops the stream.
struct Stop(ParseIssue);

/// How go-yaml identifies a key before sigs.k8s.io/yaml turns it into a string: two keys that
/// become the same string but are different keys to go-yaml (`1` and `"1"`) both reach the
/// conversion, and which one kubectl keeps is random.
#[derive(Debug, Clone, Copy)]
enum KeyId {
    Str,
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl KeyId {
    fn same(self, other: KeyId) -> bool {
        match (self, other) {
            (KeyId::Str, KeyId::Str) => true,
            (KeyId::Int(a), KeyId::Int(b)) => a == b,
            (KeyId::Float(a), KeyId::Float(b)) => a == b,
            (KeyId::Bool(a), KeyId::Bool(b)) => a == b,
            _ => false,
        }
    }

    fn describe(self, name: &str) -> String {
        match self {
            KeyId::Str => format!("the string `{name}`"),
            KeyId::Int(i) => format!("the integer {i}"),
            KeyId::Float(f) => format!("the float {f}"),
            KeyId::Bool(b) => format!("the boolean {b}"),
        }
    }
}

/// A scalar as a mapping key, or why kubectl refuses it: (rule, message).
type KeyResult = Result<(Rc<str>, KeyId), (&'static str, String)>;

/// Keys of a mapping that are no strings to go-yaml (most mappings have none).
type Ids = HashMap<Rc<str>, KeyId>;

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

/// An anchored node, for its aliases.
struct Anchored {
    value: Value,
    first: usize,
    end: usize,
    kind: Kind,
    units: u64,
    size: u64,
    height: u32,
    ids: Option<Rc<Ids>>,
    /// For a scalar: what it is as a mapping key.
    key: Option<KeyResult>,
}

enum AnchorState {
    /// The node is still being read: an alias to it is a self-reference.
    Open,
    Done(Rc<Anchored>),
}

struct Anchor {
    generation: u32,
    state: AnchorState,
}

/// One step of go-yaml's decode count: a node, or an alias and the nodes it expands to.
#[derive(Clone, Copy)]
enum Op {
    Node,
    Alias(u64),
}

/// A `<<` sequence: go-yaml decodes its items last to first, so their counts are replayed so.
#[derive(Default)]
struct Trace {
    items: Vec<Vec<Op>>,
    cur: Vec<Op>,
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
    /// Key names of the file, each stored once (most keys repeat: `name`, `image`, ...).
    interned: HashSet<Rc<str>>,
    docs: Vec<RawDoc>,
    issues: Issues,
}

/// go-yaml's allowed share of decode operations that come from aliases (`allowedAliasRatio`).
fn allowed_alias_ratio(decoded: u64) -> f64 {
    const LOW: f64 = 400_000.0;
    const HIGH: f64 = 4_000_000.0;
    let d = decoded as f64;
    if d <= LOW {
        0.99
    } else if d >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((d - LOW) / (HIGH - LOW))
    }
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
        if let Some(r) = self.interned.get(s) {
            return r.clone();
        }
        let r: Rc<str> = Rc::from(s);
        self.interned.insert(r.clone());
        r
    }

    fn byte(&self, m: Mark) -> u32 {
        m.byte.min(self.text.len()) as u32
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

    /// Count decode operations as go-yaml does, and stop where it stops ("excessive aliasing").
    fn count(&mut self, op: Op, at: Mark) -> Result<(), Stop> {
        if let Some(t) = self.traces.last_mut() {
            t.cur.push(op);
            return Ok(());
        }
        self.apply(op, at)
    }

    fn apply(&mut self, op: Op, at: Mark) -> Result<(), Stop> {
        match op {
            Op::Node => self.decoded += 1,
            Op::Alias(units) => {
                self.decoded += 1 + units;
                self.decoded_by_alias += units;
            }
        }
        let (d, a) = (self.decoded, self.decoded_by_alias);
        if a > 100 && d > 1000 && a as f64 / d as f64 > allowed_alias_ratio(d) {
            return Err(self.stop(
                "parse/alias-budget",
                "aliases make up more of this document than kubectl allows (\"document contains excessive aliasing\"); \
                 kubectl rejects it"
                    .into(),
                at,
                Some("write the repeated content out, or use fewer aliases"),
            ));
        }
        Ok(())
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

    fn open_anchor(&mut self, anchor: Option<&'a str>) -> Option<(&'a str, u32)> {
        let name = anchor?;
        self.generation += 1;
        self.anchors.insert(name, Anchor { generation: self.generation, state: AnchorState::Open });
        Some((name, self.generation))
    }

    /// Record a finished anchored node, unless its name was taken by another node meanwhile
    /// (go-yaml keeps the latest definition of a name).
    fn close_anchor(&mut self, anchor: Option<(&'a str, u32)>, done: Anchored) {
        let Some((name, generation)) = anchor else {
            return;
        };
        if let Some(a) = self.anchors.get_mut(name) {
            if a.generation == generation {
                a.state = AnchorState::Done(Rc::new(done));
            }
        }
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
            Ev::SeqStart { anchor, flow } | Ev::MapStart { anchor, flow } => {
                let is_seq = matches!(event.ev, Ev::SeqStart { .. });
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
            Ev::SeqEnd | Ev::MapEnd => {
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
            Ev::Alias(name) => self.alias(name, start, end),
            Ev::StreamStart | Ev::StreamEnd | Ev::DocStart | Ev::DocEnd => Ok(()),
        }
    }

    fn replay_trace(&mut self, at: Mark) -> Result<(), Stop> {
        let Some(mut t) = self.traces.pop() else {
            return Ok(());
        };
        if !t.cur.is_empty() {
            t.items.push(std::mem::take(&mut t.cur));
        }
        for item in t.items.into_iter().rev() {
            for op in item {
                self.count(op, at)?;
            }
        }
        Ok(())
    }

    fn alias(&mut self, name: &'a str, start: Mark, end: Mark) -> Result<(), Stop> {
        let target = match self.anchors.get(name) {
            None => {
                return Err(self.stop(INVALID, format!("alias `*{name}` to an unknown anchor (kubectl rejects it)"), start, None))
            }
            Some(Anchor { state: AnchorState::Open, .. }) => {
                return Err(self.stop(
                    INVALID,
                    format!("alias `*{name}` inside the node anchored `&{name}`: kubectl rejects it (\"anchor value contains itself\")"),
                    start,
                    None,
                ))
            }
            Some(Anchor { state: AnchorState::Done(a), .. }) => a.clone(),
        };
        if self.expecting_key() {
            let key = match &target.key {
                None => {
                    return Err(self.stop(
                        INVALID,
                        format!("alias `*{name}` to a collection used as a mapping key: kubectl rejects it (\"invalid map key\")"),
                        start,
                        None,
                    ))
                }
                Some(Err((rule, message))) => return Err(self.stop(rule, message.clone(), start, None)),
                Some(Ok(k)) => k.clone(),
            };
            self.count(Op::Alias(target.units), start)?;
            if let Some(Frame { units, size, body: Body::Map(ms), .. }) = self.stack.last_mut() {
                *units += 1 + target.units;
                *size += key.0.len() as u64 + 3;
                ms.key = Some(PendingKey { name: key.0, id: key.1, at: start, merge: false });
            }
            return Ok(());
        }
        self.alias_nodes += (target.end - target.first).max(1);
        if self.alias_nodes > self.limits.alias_budget {
            return Err(self.stop(
                "parse/alias-budget",
                format!(
                    "aliases expand to more than {} nodes (a \"billion laughs\" document?)",
                    self.limits.alias_budget
                ),
                start,
                Some("write the repeated content out, or use fewer nested aliases"),
            ));
        }
        self.alias_bytes += target.size;
        let byte_budget = ALIAS_BYTES_FLOOR.max(ALIAS_BYTES_PER_BYTE * self.text.len() as u64);
        if self.alias_bytes > byte_budget {
            return Err(self.stop(
                "parse/alias-budget",
                format!(
                    "aliases expand to more than {} MiB of data ({} times the file, at least {} MiB)",
                    byte_budget >> 20,
                    ALIAS_BYTES_PER_BYTE,
                    ALIAS_BYTES_FLOOR >> 20
                ),
                start,
                Some("write the repeated content out, or alias smaller nodes"),
            ));
        }
        if target.height > 0 {
            self.check_depth(target.height, start)?;
        }
        self.count(Op::Alias(target.units), start)?;
        let root = if target.kind == Kind::Scalar {
            let e = self.push_entry(start, end);
            self.entries[e].subtree_end = (e + 1) as u32;
            e
        } else {
            // The alias node itself is located at its use site; its children keep the positions
            // of the anchored definition.
            let (seg, key) = self.placement();
            let root = self.copy_subtree(target.first, target.end);
            let (s, e) = (self.byte(start), self.byte(end));
            let r = &mut self.entries[root];
            r.seg = seg;
            r.key = key;
            r.start = s;
            r.end = e;
            root
        };
        self.attach(
            Node {
                value: target.value.clone(),
                entry: root,
                kind: target.kind,
                units: 1 + target.units,
                size: target.size,
                height: target.height,
                ids: target.ids.clone(),
                merge_items: None,
            },
            start,
        )
    }

    /// Copy the entries of a (finished) subtree to the end of the table; returns the new root.
    fn copy_subtree(&mut self, first: usize, end: usize) -> usize {
        let base = self.entries.len();
        for i in first..end.min(base) {
            let mut e = self.entries[i];
            e.subtree_end = (e.subtree_end as usize).saturating_sub(first) as u32 + base as u32;
            self.entries.push(e);
        }
        if self.entries.len() == base {
            self.entries.push(SpanEntry { seg: ROOT, key: NO_KEY, start: 0, end: 0, subtree_end: (base + 1) as u32 });
        }
        base
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

    fn insert_explicit(&mut self, k: PendingKey, value: Value) -> Result<(), Stop> {
        let Some(ms) = self.map_state() else {
            return Ok(());
        };
        let key = Value::String(k.name.clone());
        let mut duplicate = false;
        let mut clash: Option<KeyId> = None;
        if ms.map.contains_key(&key) {
            let explicit_before = ms.explicit.as_ref().is_none_or(|set| set.contains(&k.name));
            let old = ms.ids.as_ref().and_then(|ids| ids.get(&k.name)).copied().unwrap_or(KeyId::Str);
            if explicit_before {
                duplicate = true;
            } else if !old.same(k.id) {
                clash = Some(old);
            }
        }
        ms.map.insert(key, value);
        set_id(ms, &k.name, k.id);
        if let Some(set) = &mut ms.explicit {
            set.insert(k.name.clone());
        }
        if let Some(old) = clash {
            return Err(self.ambiguous(&k.name, old, k.id, k.at));
        }
        if duplicate {
            self.issue(
                "parse/duplicate-key",
                format!("duplicate key `{}`: Kubernetes keeps the last value, other tools the first", k.name),
                k.at,
                None,
            );
        }
        Ok(())
    }

    fn ambiguous(&self, name: &str, a: KeyId, b: KeyId, at: Mark) -> Stop {
        self.stop(
            UNSUPPORTED,
            format!(
                "{} and {} are different keys to kubectl's YAML reader but the same JSON key `{name}`; which value \
                 kubectl keeps is random",
                a.describe(name),
                b.describe(name)
            ),
            at,
            Some("write the key once"),
        )
    }

    /// Apply the value of a `<<` key: a mapping, an alias to one, or a sequence of those (applied
    /// last to first, so the first wins). Every merged key overwrites what the mapping has so far.
    fn merge(&mut self, node: Node, at: Mark) -> Result<(), Stop> {
        let bad = || {
            "the value of `<<` must be a mapping, an alias to one, or a sequence of those: kubectl rejects \
                      this (\"map merge requires map or sequence of maps\")"
        };
        let mut sources: Vec<(Value, usize, Option<Rc<Ids>>)> = Vec::new();
        match (node.kind, node.merge_items) {
            (Kind::Map, _) => sources.push((node.value, node.entry, node.ids)),
            (Kind::Seq, Some(items)) => {
                if items.iter().any(|s| !s.is_map) {
                    return Err(self.stop(INVALID, bad().into(), at, None));
                }
                for s in items.into_iter().rev() {
                    sources.push((s.value, s.entry, s.ids));
                }
            }
            _ => return Err(self.stop(INVALID, bad().into(), at, None)),
        }
        // The members' spans move from the merge value to the mapping.
        let mut moved: Vec<SpanEntry> = Vec::new();
        for (_, entry, _) in &sources {
            self.members(*entry, &mut moved);
        }
        self.entries.truncate(node.entry);
        let base = self.entries.len() as u32;
        for mut e in moved {
            e.subtree_end += base;
            self.entries.push(e);
        }
        let Some(ms) = self.map_state() else {
            return Ok(());
        };
        if ms.explicit.is_none() {
            ms.explicit = Some(ms.map.keys().filter_map(|k| k.as_string().ok().cloned()).collect());
        }
        let mut clash: Option<(Rc<str>, KeyId, KeyId)> = None;
        for (value, _, ids) in sources {
            let Ok(src) = value.as_object() else {
                continue;
            };
            for (k, v) in src.iter() {
                let Ok(name) = k.as_string() else {
                    continue;
                };
                let id = ids.as_ref().and_then(|i| i.get(name)).copied().unwrap_or(KeyId::Str);
                if ms.map.contains_key(k) && clash.is_none() {
                    let old = ms.ids.as_ref().and_then(|i| i.get(name)).copied().unwrap_or(KeyId::Str);
                    if !old.same(id) {
                        clash = Some((name.clone(), old, id));
                    }
                }
                ms.map.insert(k.clone(), v.clone());
                set_id(ms, name, id);
            }
        }
        if let Some((name, a, b)) = clash {
            return Err(self.ambiguous(&name, a, b, at));
        }
        Ok(())
    }

    /// Append the direct children of `entry` (whole subtrees, in order) to `out`, with their
    /// `subtree_end` relative to the start of `out`.
    fn members(&self, entry: usize, out: &mut Vec<SpanEntry>) {
        let Some(e) = self.entries.get(entry) else {
            return;
        };
        let end = (e.subtree_end as usize).min(self.entries.len());
        let mut j = entry + 1;
        while j < end {
            let sub_end = (self.entries[j].subtree_end as usize).clamp(j + 1, end);
            let base = out.len();
            for i in j..sub_end {
                let mut c = self.entries[i];
                c.subtree_end = (c.subtree_end as usize - j + base) as u32;
                out.push(c);
            }
            j = sub_end;
        }
    }

    fn scalar_key(
        &mut self,
        text: &str,
        style: Style,
        tag: Option<&str>,
        plain_implicit: bool,
        anchor: Option<&'a str>,
        at: Mark,
    ) -> Result<(), Stop> {
        let merge = text == "<<" && (plain_implicit || tag == Some("tag:yaml.org,2002:merge"));
        if let Some(name) = anchor {
            // An anchored key can be used as a value or a key elsewhere.
            let value = self.scalar_value(text, style, tag, plain_implicit, at, false);
            let key = Some(self.key_of(text, style, tag, plain_implicit));
            self.generation += 1;
            if let Ok(value) = value {
                let size = json_size(&value);
                let done =
                    Anchored { value, first: 0, end: 0, kind: Kind::Scalar, units: 1, size, height: 0, ids: None, key };
                self.anchors
                    .insert(name, Anchor { generation: self.generation, state: AnchorState::Done(Rc::new(done)) });
            }
        }
        if merge {
            // go-yaml does not decode a merge key itself.
            let Some(Frame { body: Body::Map(ms), .. }) = self.stack.last_mut() else {
                return Ok(());
            };
            let again = std::mem::replace(&mut ms.merge_seen, true);
            ms.key = Some(PendingKey { name: Rc::from("<<"), id: KeyId::Str, at, merge: true });
            if again {
                self.issue(
                    "parse/duplicate-key",
                    "a second `<<` merge key in this mapping: kubectl applies both, in order, other tools only one"
                        .into(),
                    at,
                    Some("merge several mappings with one `<<: [*a, *b]`"),
                );
            }
            return Ok(());
        }
        let (name, id) = match self.key_of(text, style, tag, plain_implicit) {
            Ok(k) => k,
            Err((rule, message)) => return Err(self.stop(rule, message, at, None)),
        };
        if plain_implicit && tag.is_none() && !self.limits.yaml12 && self.limits.lint_ambiguous {
            if let KeyId::Bool(b) = id {
                if text != "true" && text != "false" {
                    self.warn(
                        format!("key `{text}` is read as `{b}` by Kubernetes (YAML 1.1); quote it to keep the name"),
                        at,
                    );
                }
            }
        }
        self.count(Op::Node, at)?;
        if let Some(Frame { units, size, body: Body::Map(ms), .. }) = self.stack.last_mut() {
            *units += 1;
            *size += name.len() as u64 + 3;
            ms.key = Some(PendingKey { name, id, at, merge: false });
        }
        Ok(())
    }

    /// What a scalar is as a mapping key once sigs.k8s.io/yaml made it a string.
    fn key_of(&mut self, text: &str, style: Style, tag: Option<&str>, plain_implicit: bool) -> KeyResult {
        if self.limits.yaml12 {
            // Not read by kubectl: keys as YAML 1.2 tools read them.
            let name = match (plain_implicit && tag.is_none(), scalar::resolve_yaml12(text)) {
                (true, Scalar::Bool(b)) => b.to_string(),
                (true, Scalar::Null) if text.is_empty() || text == "~" => "null".to_string(),
                _ => text.to_string(),
            };
            return Ok((self.intern(&name), KeyId::Str));
        }
        match resolve(text, style, tag, plain_implicit, false) {
            Err(e) => Err(e),
            Ok(Resolved::Str) => Ok((self.intern(text), KeyId::Str)),
            Ok(Resolved::Binary(s)) => Ok((self.intern(&s), KeyId::Str)),
            Ok(Resolved::Scalar(s)) => match s {
                Scalar::Str => Ok((self.intern(text), KeyId::Str)),
                Scalar::Null => Err((INVALID, format!("a null key (`{text}`): kubectl rejects it (\"unsupported map key\")"))),
                Scalar::Bool(b) => Ok((self.intern(if b { "true" } else { "false" }), KeyId::Bool(b))),
                Scalar::Int(i) => Ok((self.intern(&i.to_string()), KeyId::Int(i))),
                Scalar::UInt(_) => Err((
                    INVALID,
                    format!("an integer key over 9223372036854775807 (`{text}`): kubectl rejects it (\"unsupported map key\")"),
                )),
                Scalar::Float(f) if f == 0.0 && f.is_sign_negative() => Err((
                    UNSUPPORTED,
                    format!("the key `{text}` is negative zero, which kubectl's reader treats as the same key as 0"),
                )),
                Scalar::Float(f) => Ok((self.intern(&scalar::go_float_key(f)), KeyId::Float(f))),
            },
        }
    }

    /// A scalar's value; `lint`: warn where YAML 1.1 and 1.2 read it differently.
    fn scalar_value(
        &mut self,
        text: &str,
        style: Style,
        tag: Option<&str>,
        plain_implicit: bool,
        at: Mark,
        lint: bool,
    ) -> Result<Value, Stop> {
        let resolved = match resolve(text, style, tag, plain_implicit, self.limits.yaml12) {
            Ok(r) => r,
            Err((rule, message)) => return Err(self.stop(rule, message, at, None)),
        };
        let s = match resolved {
            Resolved::Str => return Ok(Value::from(text)),
            Resolved::Binary(s) => return Ok(Value::from(s.as_str())),
            Resolved::Scalar(s) => s,
        };
        if lint && plain_implicit && tag.is_none() && !self.limits.yaml12 && self.limits.lint_ambiguous {
            if let Some((k8s, y12)) = scalar::ambiguity(text) {
                self.warn(
                    format!(
                        "`{text}` is read as {} by Kubernetes (YAML 1.1) but as {} by YAML 1.2 tools; quote it to say which you mean",
                        scalar::describe(&k8s, text),
                        scalar::describe(&y12, text)
                    ),
                    at,
                );
            }
        }
        match s {
            Scalar::Float(f) if !f.is_finite() => {
                if self.limits.yaml12 {
                    return Ok(Value::from(text));
                }
                Err(self.stop(
                    INVALID,
                    format!(
                        "`{text}` is a float that JSON cannot hold: kubectl rejects the file (\"unsupported value\")"
                    ),
                    at,
                    Some("quote it to make it a string"),
                ))
            }
            s => Ok(scalar_to_value(s, text)),
        }
    }
}

/// A scalar's size as JSON, roughly.
fn json_size(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.len() as u64 + 2,
        _ => 8,
    }
}

fn set_id(ms: &mut MapState, name: &Rc<str>, id: KeyId) {
    match id {
        KeyId::Str => {
            if let Some(ids) = &mut ms.ids {
                ids.remove(name);
            }
        }
        other => {
            ms.ids.get_or_insert_with(HashMap::new).insert(name.clone(), other);
        }
    }
}

enum Resolved {
    /// The text as written.
    Str,
    /// A `!!binary` value decoded.
    Binary(String),
    Scalar(Scalar),
}

/// A scalar's type the way go-yaml v2 decodes it into an `interface{}`: quoted and block scalars
/// without a tag are strings; plain ones are typed (YAML 1.1); a tag of the core schema must
/// match what the text resolves to (`!!float` also takes an integer); `!!binary` is base64;
/// other tags (`!foo`, `!`, `!!map` on a scalar) leave a string.
fn resolve(
    text: &str,
    _style: Style,
    tag: Option<&str>,
    plain_implicit: bool,
    yaml12: bool,
) -> Result<Resolved, (&'static str, String)> {
    let typed = |t: &str| if yaml12 { scalar::resolve_yaml12(t) } else { scalar::resolve_yaml11(t) };
    let Some(tag) = tag else {
        return Ok(if plain_implicit { Resolved::Scalar(typed(text)) } else { Resolved::Str });
    };
    let Some(short) = tag.strip_prefix(TAG_PREFIX) else {
        return Ok(Resolved::Str);
    };
    let mismatch = |what: &str| {
        Err((INVALID, format!("`!!{short}` on `{text}`, which is {}: kubectl rejects it (\"cannot decode\")", what)))
    };
    match short {
        "str" => Ok(Resolved::Str),
        "binary" => match base64_std(text) {
            Some(bytes) => Ok(Resolved::Binary(go_string(&bytes))),
            None => Err((INVALID, "`!!binary` value that is not valid base64: kubectl rejects it".into())),
        },
        "timestamp" => Err((
            UNSUPPORTED,
            format!("`!!timestamp` on `{text}`: tollgate does not read timestamps the way kubectl's reader does"),
        )),
        "int" | "float" | "bool" | "null" => {
            let s = typed(text);
            let ok = matches!(
                (short, &s),
                ("int", Scalar::Int(_) | Scalar::UInt(_))
                    | ("float", Scalar::Float(_))
                    | ("bool", Scalar::Bool(_))
                    | ("null", Scalar::Null)
            );
            if ok {
                return Ok(Resolved::Scalar(s));
            }
            match (short, s) {
                ("float", Scalar::Int(i)) => Ok(Resolved::Scalar(Scalar::Float(i as f64))),
                ("float", Scalar::UInt(u)) => Ok(Resolved::Scalar(Scalar::Float(u as f64))),
                (_, other) => mismatch(&scalar::describe(&other, text)),
            }
        }
        // `!!merge`, `!!seq`, `!!map`, `!!set`, ... on a scalar: go-yaml keeps the text.
        _ => Ok(Resolved::Str),
    }
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet; line feeds and carriage
/// returns are skipped.
fn base64_std(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    if digits.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(digits.len() / 4 * 3);
    let quads = digits.len() / 4;
    for (q, chunk) in digits.chunks(4).enumerate() {
        let last = q + 1 == quads;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Bytes as Go's JSON encoder writes a string: each byte that does not start a valid UTF-8
/// sequence becomes U+FFFD.
fn go_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or(""));
                out.push('\u{FFFD}');
                rest = &rest[good + 1..];
            }
        }
    }
}

/// Turn a resolved scalar into a regorus value. Integers beyond int64 are floats, as kubectl's
/// JSON decoding makes them.
pub fn scalar_to_value(s: Scalar, text: &str) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::from(b),
        Scalar::Int(i) => Value::from(i),
        Scalar::UInt(u) => Value::from(u as f64),
        Scalar::Float(f) if f.is_finite() => Value::from(f),
        Scalar::Float(_) | Scalar::Str => Value::from(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_go() {
        assert_eq!(base64_std("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64_std("aGVs\nbG8=\n"), Some(b"hello".to_vec()));
        assert_eq!(base64_std(""), Some(Vec::new()));
        assert_eq!(base64_std("aGVsbG8"), None);
        assert_eq!(base64_std("aG=sbG8="), None);
        assert_eq!(go_string(&[0xFF, b'a', 0xE2, 0x82]), "\u{FFFD}a\u{FFFD}\u{FFFD}");
    }
}
