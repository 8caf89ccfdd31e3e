//! YAML streams to documents: walks saphyr-parser events once, building the regorus value the
//! way kubectl reads it (YAML 1.1 scalars, `<<` merges, aliases) and the span table beside it.

use std::collections::{BTreeMap, HashMap};

use regorus::Value;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::scalar::{self, Scalar};
use super::span::{Pos, Seg, SpanEntry, SpanTable};
use super::{Limits, ParseIssue, ParsedStream, RawDoc};
use crate::finding::Severity;

fn pos(m: saphyr_parser::Marker) -> Pos {
    Pos { line: m.line() as u32, col: m.col() as u32 }
}

/// Spaces added at the start of lines (1-based line -> count) to get past indentation checks
/// that libyaml (and so kubectl) does not make; positions are mapped back through it.
type Patches = HashMap<u32, u32>;

fn unpatch(p: Pos, patches: &Patches) -> Pos {
    match patches.get(&p.line) {
        Some(&k) => Pos { line: p.line, col: p.col.saturating_sub(k) },
        None => p,
    }
}

struct PendingKey {
    name: regorus::Rc<str>,
    at: Pos,
    merge: bool,
}

enum Frame {
    Seq {
        entry: usize,
        items: Vec<Value>,
        anchor: usize,
        flow: bool,
    },
    Map {
        entry: usize,
        map: BTreeMap<Value, Value>,
        key: Option<PendingKey>,
        merges: Vec<(Value, usize)>,
        anchor: usize,
        flow: bool,
    },
}

struct Anchor {
    value: Value,
    first: usize,
    end: usize,
    /// Set when the anchored node is a scalar usable as a mapping key.
    key: Option<regorus::Rc<str>>,
}

/// A fatal problem that stops the stream.
struct Stop(ParseIssue);

struct Builder<'a> {
    limits: &'a Limits,
    patches: &'a Patches,
    entries: Vec<SpanEntry>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    alias_nodes: usize,
    root: Option<Value>,
    doc_index: usize,
    issues: Vec<ParseIssue>,
    /// The (patched) text being parsed, and a forward-only cursor into it (char index, byte
    /// index): events arrive in text order, so finding a quoted scalar's bytes costs O(n) in all.
    text: &'a str,
    cursor: (usize, usize),
}

fn tag_is(tag: &Option<std::borrow::Cow<'_, Tag>>, suffix: &str) -> bool {
    match tag {
        Some(t) => (t.handle == "tag:yaml.org,2002:" || t.handle == "!!") && t.suffix == suffix,
        None => false,
    }
}

impl<'a> Builder<'a> {
    fn issue(&mut self, rule: &'static str, severity: Severity, message: String, at: Pos) {
        self.issues.push(ParseIssue { rule, severity, message, at, document: Some(self.doc_index), help: None });
    }

    fn stop(&self, rule: &'static str, message: String, at: Pos, help: Option<String>) -> Stop {
        Stop(ParseIssue { rule, severity: Severity::Error, message, at, document: Some(self.doc_index), help })
    }

    /// Where a new value node hangs: (seg, key start).
    fn placement(&self) -> (Seg, Option<Pos>) {
        match self.stack.last() {
            None => (Seg::Root, None),
            Some(Frame::Seq { items, .. }) => (Seg::Index(items.len() as u32), None),
            Some(Frame::Map { key: Some(k), .. }) => (Seg::Key(k.name.clone()), Some(k.at)),
            Some(Frame::Map { key: None, .. }) => (Seg::Root, None),
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn push_entry(&mut self, start: Pos, end: Pos) -> usize {
        let (seg, key) = self.placement();
        self.entries.push(SpanEntry { seg, key, start, end, subtree_end: 0 });
        self.entries.len() - 1
    }

    /// Copy the entries of a subtree to the end of the table; returns the new root index.
    fn copy_subtree(&mut self, first: usize, end: usize) -> usize {
        let base = self.entries.len();
        for i in first..end {
            let mut e = self.entries[i].clone();
            e.subtree_end = (e.subtree_end as usize - first + base) as u32;
            self.entries.push(e);
        }
        base
    }

    fn check_depth(&self, at: Pos) -> Result<(), Stop> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.stop(
                "parse/too-deep",
                format!("nesting deeper than {} levels", self.limits.max_depth),
                at,
                Some("flatten the document; no Kubernetes object nests this deep".into()),
            ));
        }
        Ok(())
    }

    /// Attach a finished value node (entry `entry`) to its parent.
    fn attach(
        &mut self,
        value: Value,
        entry: usize,
        anchor: usize,
        key_text: Option<regorus::Rc<str>>,
    ) -> Result<(), Stop> {
        if anchor != 0 {
            let end = self.entries[entry].subtree_end as usize;
            self.anchors.insert(anchor, Anchor { value: value.clone(), first: entry, end, key: key_text });
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, merges, .. }) => {
                let Some(k) = key.take() else {
                    return Ok(());
                };
                if k.merge {
                    merges.push((value, entry));
                } else {
                    let name = k.name.clone();
                    if map.insert(Value::String(k.name), value).is_some() {
                        let at = k.at;
                        self.issue(
                            "parse/duplicate-key",
                            Severity::Error,
                            format!("duplicate key `{name}`: Kubernetes keeps the last value, other tools the first"),
                            at,
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn scalar_value(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: &Option<std::borrow::Cow<'_, Tag>>,
        at: Pos,
        json: bool,
    ) -> Value {
        let plain = style == ScalarStyle::Plain;
        if tag_is(tag, "str") || (!plain && tag.is_none()) {
            return Value::from(text);
        }
        if tag.is_some() && !tag_is(tag, "int") && !tag_is(tag, "float") && !tag_is(tag, "bool") && !tag_is(tag, "null")
        {
            // Unknown tags: the value is taken as written.
            return Value::from(text);
        }
        let s = if json {
            json_scalar(text)
        } else if self.limits.yaml12 {
            scalar::resolve_yaml12(text)
        } else {
            scalar::resolve_yaml11(text)
        };
        if plain && !json && !self.limits.yaml12 && self.limits.lint_ambiguous {
            if let Some((k8s, y12)) = scalar::ambiguity(text) {
                self.issue(
                    "yaml/ambiguous-scalar",
                    Severity::Warning,
                    format!(
                        "`{text}` is read as {} by Kubernetes (YAML 1.1) but as {} by YAML 1.2 tools; quote it to say which you mean",
                        scalar::describe(&k8s, text),
                        scalar::describe(&y12, text)
                    ),
                    at,
                );
            }
        }
        scalar_to_value(s, text)
    }

    /// The position just after the closing quote of the quoted scalar that starts at `start`.
    /// saphyr's span for a quoted scalar runs on over trailing blanks and a comment; the
    /// finding must underline the value only.
    fn quoted_end(&mut self, start: saphyr_parser::Marker) -> Option<Pos> {
        let (mut ci, mut bi) = self.cursor;
        if start.index() < ci {
            (ci, bi) = (0, 0);
        }
        let rest = self.text.get(bi..)?;
        let mut chars = rest.char_indices();
        while ci < start.index() {
            let (_, c) = chars.next()?;
            bi += c.len_utf8();
            ci += 1;
        }
        self.cursor = (ci, bi);
        let body = self.text.get(bi..)?;
        let mut it = body.chars().peekable();
        let quote = *it.peek()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        it.next();
        let (mut line, mut col) = (start.line() as u32, start.col() as u32 + 1);
        let step = |c: char, line: &mut u32, col: &mut u32| {
            if c == '\n' {
                *line += 1;
                *col = 0;
            } else {
                *col += 1;
            }
        };
        while let Some(c) = it.next() {
            step(c, &mut line, &mut col);
            if quote == '"' && c == '\\' {
                let e = it.next()?;
                step(e, &mut line, &mut col);
            } else if c == quote {
                if quote == '\'' && it.peek() == Some(&'\'') {
                    it.next();
                    col += 1;
                } else {
                    return Some(Pos { line, col });
                }
            }
        }
        None
    }

    fn on_event(&mut self, ev: Event<'_>, span: Span) -> Result<(), Stop> {
        let start = unpatch(pos(span.start), self.patches);
        let mut end = unpatch(pos(span.end), self.patches);
        if let Event::Scalar(_, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, ..) = &ev {
            if let Some(e) = self.quoted_end(span.start) {
                end = unpatch(e, self.patches);
            }
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                if self.expecting_key() {
                    let key: regorus::Rc<str> = if style == ScalarStyle::Plain && tag.is_none() {
                        let resolved = if self.limits.yaml12 {
                            scalar::resolve_yaml12(&text)
                        } else {
                            scalar::resolve_yaml11(&text)
                        };
                        match resolved {
                            // sigs.k8s.io/yaml turns non-string keys into their string form.
                            Scalar::Bool(b) => {
                                if self.limits.lint_ambiguous
                                    && !self.limits.yaml12
                                    && text != "true"
                                    && text != "false"
                                {
                                    self.issue(
                                        "yaml/ambiguous-scalar",
                                        Severity::Warning,
                                        format!("key `{text}` is read as `{b}` by Kubernetes (YAML 1.1); quote it to keep the name"),
                                        start,
                                    );
                                }
                                regorus::Rc::from(b.to_string().as_str())
                            }
                            Scalar::Null if text.is_empty() || text == "~" => regorus::Rc::from("null"),
                            _ => regorus::Rc::from(text.as_ref()),
                        }
                    } else {
                        regorus::Rc::from(text.as_ref())
                    };
                    let merge = style == ScalarStyle::Plain && &*text == "<<";
                    if anchor != 0 {
                        self.anchors.insert(
                            anchor,
                            Anchor { value: Value::String(key.clone()), first: 0, end: 0, key: Some(key.clone()) },
                        );
                    }
                    if let Some(Frame::Map { key: k, .. }) = self.stack.last_mut() {
                        *k = Some(PendingKey { name: key, at: start, merge });
                    }
                    return Ok(());
                }
                let value = self.scalar_value(&text, style, &tag, start, false);
                let e = self.push_entry(start, end);
                self.entries[e].subtree_end = (e + 1) as u32;
                let key_text = Some(regorus::Rc::from(text.as_ref()));
                self.attach(value, e, anchor, key_text)?;
            }
            Event::SequenceStart(anchor, _tag) => {
                if self.expecting_key() {
                    return Err(self.stop(
                        "parse/invalid-yaml",
                        "a sequence cannot be a mapping key".into(),
                        start,
                        None,
                    ));
                }
                self.check_depth(start)?;
                let e = self.push_entry(start, end);
                self.stack.push(Frame::Seq {
                    entry: e,
                    items: Vec::new(),
                    anchor,
                    flow: span.end.index() > span.start.index(),
                });
            }
            Event::MappingStart(anchor, _tag) => {
                if self.expecting_key() {
                    return Err(self.stop(
                        "parse/invalid-yaml",
                        "a mapping cannot be a mapping key".into(),
                        start,
                        None,
                    ));
                }
                self.check_depth(start)?;
                let e = self.push_entry(start, end);
                self.stack.push(Frame::Map {
                    entry: e,
                    map: BTreeMap::new(),
                    key: None,
                    merges: Vec::new(),
                    anchor,
                    flow: span.end.index() > span.start.index(),
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { entry, items, anchor, flow }) = self.stack.pop() {
                    self.close(entry, flow, end);
                    self.attach(Value::from(items), entry, anchor, None)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { entry, mut map, merges, anchor, flow, .. }) = self.stack.pop() {
                    for (mv, me) in merges {
                        self.merge_into(&mut map, &mv, me, start)?;
                    }
                    self.close(entry, flow, end);
                    self.attach(Value::from(map), entry, anchor, None)?;
                }
            }
            Event::Alias(id) => {
                let Some(a) = self.anchors.get(&id) else {
                    return Err(self.stop("parse/invalid-yaml", "alias to an unknown anchor".into(), start, None));
                };
                if self.expecting_key() {
                    let Some(k) = a.key.clone() else {
                        return Err(self.stop(
                            "parse/invalid-yaml",
                            "an alias used as a mapping key must name a scalar".into(),
                            start,
                            None,
                        ));
                    };
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(PendingKey { merge: false, name: k, at: start });
                    }
                    return Ok(());
                }
                let (value, first, aend) = (a.value.clone(), a.first, a.end);
                self.alias_nodes += aend.saturating_sub(first).max(1);
                if self.alias_nodes > self.limits.alias_budget {
                    return Err(self.stop(
                        "parse/alias-budget",
                        format!(
                            "aliases expand to more than {} nodes (a \"billion laughs\" document?)",
                            self.limits.alias_budget
                        ),
                        start,
                        Some("write the repeated content out, or use fewer nested aliases".into()),
                    ));
                }
                let (seg, key) = self.placement();
                let root = if aend > first {
                    self.copy_subtree(first, aend)
                } else {
                    self.entries.push(SpanEntry { seg: Seg::Root, key: None, start, end, subtree_end: 0 });
                    let i = self.entries.len() - 1;
                    self.entries[i].subtree_end = (i + 1) as u32;
                    i
                };
                // The alias node itself is located at its use site; its children keep the
                // positions of the anchored definition.
                let e = &mut self.entries[root];
                e.seg = seg;
                e.key = key;
                e.start = start;
                e.end = end;
                self.attach(value, root, 0, None)?;
            }
            Event::DocumentStart(_) | Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Set the end of a collection: after the closing bracket for flow collections, after the
    /// last child for block collections.
    fn close(&mut self, entry: usize, flow: bool, end: Pos) {
        let n = self.entries.len();
        let e_end = if flow {
            end
        } else {
            // The last direct child ends last; walk to it.
            let mut last_end = self.entries[entry].start;
            let mut j = entry + 1;
            while j < n {
                let c = &self.entries[j];
                if c.end > last_end {
                    last_end = c.end;
                }
                j = (c.subtree_end as usize).max(j + 1);
            }
            last_end
        };
        let e = &mut self.entries[entry];
        e.end = e_end;
        e.subtree_end = n as u32;
    }

    fn merge_into(&mut self, map: &mut BTreeMap<Value, Value>, mv: &Value, me: usize, at: Pos) -> Result<(), Stop> {
        // Sources: one mapping, or a sequence of mappings (earlier ones win).
        let mut sources: Vec<(Value, usize)> = Vec::new();
        match mv {
            Value::Object(_) => sources.push((mv.clone(), me)),
            Value::Array(items) => {
                let end = self.entries[me].subtree_end as usize;
                let mut j = me + 1;
                let mut i = 0;
                while j < end {
                    if let Some(v) = items.get(i) {
                        sources.push((v.clone(), j));
                    }
                    i += 1;
                    j = (self.entries[j].subtree_end as usize).max(j + 1);
                }
            }
            _ => {
                return Err(self.stop(
                    "parse/invalid-yaml",
                    "the value of a `<<` merge key must be a mapping or a list of mappings".into(),
                    at,
                    None,
                ))
            }
        }
        for (src, se) in sources {
            let Ok(obj) = src.as_object() else {
                return Err(self.stop(
                    "parse/invalid-yaml",
                    "the value of a `<<` merge key must be a mapping or a list of mappings".into(),
                    at,
                    None,
                ));
            };
            for (k, v) in obj.iter() {
                if map.contains_key(k) {
                    continue;
                }
                map.insert(k.clone(), v.clone());
                // Copy the span subtree of this member so pointers into merged keys resolve.
                let end = self.entries[se].subtree_end as usize;
                let mut j = se + 1;
                while j < end {
                    let c_end = (self.entries[j].subtree_end as usize).max(j + 1);
                    let is = matches!((&self.entries[j].seg, k), (Seg::Key(a), Value::String(b)) if **a == **b);
                    if is {
                        self.copy_subtree(j, c_end);
                        break;
                    }
                    j = c_end;
                }
            }
        }
        Ok(())
    }
}

/// A JSON-style reading (used for flow scalars in `.json` files parsed as YAML; kept for parity).
fn json_scalar(text: &str) -> Scalar {
    match text {
        "true" => Scalar::Bool(true),
        "false" => Scalar::Bool(false),
        "null" => Scalar::Null,
        _ => scalar::resolve_yaml12(text),
    }
}

/// Turn a resolved scalar into a regorus value.
pub fn scalar_to_value(s: Scalar, text: &str) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::from(b),
        Scalar::Int(i) => Value::from(i),
        Scalar::UInt(u) => Value::from(u),
        Scalar::Float(f) if f.is_finite() => Value::from(f),
        Scalar::Float(_) | Scalar::Str => Value::from(text),
    }
}

/// Parse a YAML stream into documents. Documents before a fatal error are kept; the error is
/// reported at its position.
///
/// saphyr enforces YAML 1.2 indentation rules inside flow collections and multi-line quoted
/// scalars that libyaml, go-yaml (kubectl) and PyYAML do not: a closing `]` at the parent's
/// indentation, or a quoted scalar's continuation lines indented less than its key. Indentation
/// there carries no meaning (flow whitespace and quoted-scalar line prefixes are dropped), so on
/// such an error the offending lines are indented further and the stream parsed again, with
/// positions mapped back to the original text.
pub fn parse(text: &str, limits: &Limits) -> ParsedStream {
    let first = parse_once(text, limits, &Patches::new());
    let mut patches = Patches::new();
    let mut cur_err = indent_error_lines(&first, text);
    let mut tries = 0;
    while let Some(lines) = cur_err {
        tries += 1;
        if tries > 24 {
            break;
        }
        for l in lines {
            let k = patches.entry(l).or_insert(0);
            *k = if *k == 0 { 2 } else { *k * 2 };
            if *k > 256 {
                return first;
            }
        }
        let patched = apply_patches(text, &patches);
        let next = parse_once(&patched, limits, &patches);
        if !next.fatal || indent_error_lines(&next, &patched).is_none() {
            if next.fatal {
                return first;
            }
            return next;
        }
        cur_err = indent_error_lines(&next, &patched);
    }
    first
}

fn apply_patches(text: &str, patches: &Patches) -> String {
    let mut out = String::with_capacity(text.len() + patches.values().sum::<u32>() as usize);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(&k) = patches.get(&(i as u32 + 1)) {
            out.extend(std::iter::repeat_n(' ', k as usize));
        }
        out.push_str(line);
    }
    out
}

/// The lines to indent when the stream failed on one of saphyr's extra indentation checks.
fn indent_error_lines(p: &ParsedStream, text: &str) -> Option<Vec<u32>> {
    if !p.fatal {
        return None;
    }
    let issue = p.issues.last()?;
    let msg = issue.message.as_str();
    if msg.contains("invalid indentation in quoted scalar") {
        // The error points at the scalar's start: indent every continuation line up to the
        // closing quote.
        let start_line = issue.at.line;
        let line_text = text.lines().nth(start_line.checked_sub(1)? as usize)?;
        let quote = line_text.chars().nth(issue.at.col as usize)?;
        if quote != '\'' && quote != '"' {
            return None;
        }
        let mut lines = Vec::new();
        let mut ln = start_line;
        let mut rest: String = line_text.chars().skip(issue.at.col as usize + 1).collect();
        loop {
            if closes(&rest, quote) {
                break;
            }
            ln += 1;
            rest = text.lines().nth(ln as usize - 1)?.to_string();
            lines.push(ln);
            if lines.len() > 10_000 {
                return None;
            }
        }
        return (!lines.is_empty()).then_some(lines);
    }
    if msg.ends_with("invalid YAML: invalid indentation") || msg.contains("invalid indentation in flow construct") {
        return Some(vec![issue.at.line]);
    }
    None
}

/// Whether a quoted scalar that continues on this line closes on it.
fn closes(rest: &str, quote: char) -> bool {
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek() == Some(&'\'') {
                chars.next();
            } else {
                return true;
            }
        }
    }
    false
}

fn parse_once(text: &str, limits: &Limits, patches: &Patches) -> ParsedStream {
    let mut out = ParsedStream::default();
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        limits,
        patches,
        entries: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        doc_index: 0,
        issues: Vec::new(),
        text,
        cursor: (0, 0),
    };
    let mut in_doc = false;
    loop {
        let next = parser.next_event();
        let (ev, span) = match next {
            None => break,
            Some(Ok(x)) => x,
            Some(Err(e)) => {
                let at = unpatch(pos(*e.marker()), patches);
                let info = e.info().to_string();
                let (rule, message) = classify_scan_error(&info, text, at);
                out.issues.append(&mut b.issues);
                out.issues.push(ParseIssue {
                    rule,
                    severity: Severity::Error,
                    message,
                    at,
                    document: Some(b.doc_index),
                    help: None,
                });
                out.fatal = true;
                return out;
            }
        };
        match ev {
            Event::DocumentStart(_) => {
                in_doc = true;
                b.entries = Vec::new();
                b.stack.clear();
                b.anchors.clear();
                b.root = None;
            }
            Event::DocumentEnd => {
                if in_doc {
                    let entries = std::mem::take(&mut b.entries);
                    if let Some(value) = b.root.take() {
                        out.docs.push(RawDoc { index: b.doc_index, value, spans: SpanTable { entries } });
                    }
                    b.doc_index += 1;
                    in_doc = false;
                }
            }
            Event::StreamEnd => {
                out.issues.append(&mut b.issues);
                return out;
            }
            ev => {
                if let Err(Stop(issue)) = b.on_event(ev, span) {
                    out.issues.append(&mut b.issues);
                    out.issues.push(issue);
                    out.fatal = true;
                    return out;
                }
            }
        }
    }
    out.issues.append(&mut b.issues);
    out
}

fn classify_scan_error(info: &str, text: &str, at: Pos) -> (&'static str, String) {
    let line = text.lines().nth((at.line.max(1) - 1) as usize).unwrap_or("");
    if info.contains("recursion limit") {
        return ("parse/too-deep", "nesting too deep for the YAML parser".into());
    }
    if info.contains("tab") || line.starts_with('\t') {
        return ("parse/invalid-yaml", format!("invalid YAML: {info} (YAML does not allow tabs for indentation)"));
    }
    ("parse/invalid-yaml", format!("invalid YAML: {info}"))
}
