//! Loaders for the input formats other than YAML and JSON, each shaped as conftest's parser
//! shapes `input`: every loader builds a [`Node`] tree with byte spans, and [`finish`] turns it
//! into the value policies see plus its span table, so findings on these files get a line and
//! column like YAML findings do.

pub mod cue;
pub mod cyclonedx;
pub mod cyclonedx_xml;
pub mod dockerfile;
pub mod dotenv;
pub mod edn;
pub mod hcl1;
pub mod hcl2;
pub mod hocon;
pub mod ignore;
pub mod ini;
pub mod jsonc;
pub mod jsonnet;
pub mod properties;
pub mod spdx;
pub mod textproto;
pub mod toml;
pub mod vcl;
pub mod xml;

use std::collections::{BTreeMap, HashMap};

use regorus::Value;

use super::span::{index_seg, key_seg, Blocks, Pos, SpanEntry, SpanTable, NO_KEY, ROOT};
use super::{Limits, ParseIssue, ParsedStream, RawDoc};
use crate::finding::Severity;
use crate::source::format::Format;

/// One node of a loaded document: its value and the bytes it spans.
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// A node's value; an object keeps its members in file order with the byte where each key is.
#[derive(Debug, Clone)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<Node>),
    Obj(Vec<Member>),
}

/// A member of an object: its key, where the key is, and its value.
#[derive(Debug, Clone)]
pub struct Member {
    pub key: String,
    pub at: usize,
    pub value: Node,
}

impl Node {
    pub fn new(kind: Kind, start: usize, end: usize) -> Node {
        Node { kind, start, end }
    }

    pub fn str(s: impl Into<String>, start: usize, end: usize) -> Node {
        Node::new(Kind::Str(s.into()), start, end)
    }
}

/// The members of an object being read, a key set again replacing its value (the last one wins,
/// as in go-ini, gotenv and magiconair/properties), found through an index: a scan per key was
/// quadratic in a file of 100,000 keys.
#[derive(Default)]
pub struct Members {
    list: Vec<Member>,
    index: HashMap<String, usize>,
}

impl Members {
    pub fn set(&mut self, m: Member) {
        match self.index.get(&m.key) {
            Some(&i) => self.list[i] = m,
            None => {
                self.index.insert(m.key.clone(), self.list.len());
                self.list.push(m);
            }
        }
    }

    pub fn into_vec(self) -> Vec<Member> {
        self.list
    }
}

/// A parse error at a byte of the text.
#[derive(Debug)]
pub struct Bad {
    pub message: String,
    pub at: usize,
}

impl Bad {
    pub fn new(message: impl Into<String>, at: usize) -> Bad {
        Bad { message: message.into(), at }
    }
}

/// Parse `text` as `format` (not YAML or JSON, which have their own parsers).
pub fn parse(format: Format, text: &str, limits: &Limits) -> ParsedStream {
    let (rule, parsed) = match format {
        Format::Dockerfile => ("parse/invalid-dockerfile", dockerfile::parse(text)),
        Format::Toml => ("parse/invalid-toml", toml::parse(text)),
        Format::Hcl2 => ("parse/invalid-hcl2", hcl2::parse(text)),
        Format::Ini => ("parse/invalid-ini", ini::parse(text)),
        Format::Dotenv => ("parse/invalid-dotenv", dotenv::parse(text)),
        Format::Properties => ("parse/invalid-properties", properties::parse(text)),
        Format::Ignore => ("parse/invalid-ignore", ignore::parse(text)),
        Format::Xml => ("parse/invalid-xml", xml::parse(text, limits.max_depth)),
        Format::Spdx => ("parse/invalid-spdx", spdx::parse(text)),
        Format::Jsonc => return jsonc::parse(text, limits),
        Format::CycloneDx => return cyclonedx::parse(text, limits),
        Format::Textproto => return textproto::parse(text),
        Format::Hcl1 => ("parse/invalid-hcl1", hcl1::parse(text)),
        Format::Edn => ("parse/invalid-edn", edn::parse(text)),
        Format::Vcl => ("parse/invalid-vcl", vcl::parse(text)),
        Format::Hocon => ("parse/invalid-hocon", hocon::parse(text)),
        Format::Cue => match cue::parse(text) {
            Err(b) if b.message.starts_with(cue::UNSUPPORTED) => ("parse/unsupported-cue", Err(b)),
            r => ("parse/invalid-cue", r),
        },
        Format::Jsonnet => match jsonnet::parse(text, limits.max_depth) {
            Err(b) if b.message.starts_with(jsonnet::LIMIT) => ("parse/jsonnet-limit", Err(b)),
            r => ("parse/invalid-jsonnet", r),
        },
        Format::Yaml | Format::Json => return ParsedStream::default(),
    };
    stream(format, rule, parsed, text, limits)
}

/// A loader's result as the parsed stream of its file: one document, or the loader's error at its
/// place under `rule`.
pub fn stream(
    format: Format,
    rule: &'static str,
    parsed: Result<Node, Bad>,
    text: &str,
    limits: &Limits,
) -> ParsedStream {
    let mut out = ParsedStream::default();
    let issue = |rule: &'static str, message: String, at: usize| ParseIssue {
        rule,
        severity: Severity::Error,
        message,
        at: pos_of(text, at),
        document: Some(0),
        help: None,
    };
    match parsed {
        Ok(root) => match finish(root, limits.max_depth) {
            Ok((value, spans)) => out.docs.push(RawDoc { index: 0, value, spans }),
            Err(at) => {
                out.issues.push(issue(
                    "parse/too-deep",
                    format!("nesting deeper than {} levels", limits.max_depth),
                    at,
                ));
                out.fatal = true;
            }
        },
        Err(bad) => {
            out.issues.push(issue(rule, format!("invalid {}: {}", format.name(), bad.message), bad.at));
            out.fatal = true;
        }
    }
    out
}

/// A file that could not be read: one error at a byte of it.
pub fn failed(rule: &'static str, message: String, text: &str, at: usize) -> ParsedStream {
    let issue =
        ParseIssue { rule, severity: Severity::Error, message, at: pos_of(text, at), document: Some(0), help: None };
    ParsedStream { docs: Vec::new(), issues: vec![issue], fatal: true }
}

/// The parser's position (1-based line, 0-based column in characters) of a byte.
pub fn pos_of(text: &str, byte: usize) -> Pos {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    let before = &text[..byte];
    let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos { line, col: text[line_start..byte].chars().count() as u32 }
}

/// The JSON of what a loader's tree gives policies (unit tests of the loaders).
#[cfg(test)]
pub(crate) fn json_of(parsed: Result<Node, Bad>) -> serde_json::Value {
    let (v, _) = finish(parsed.expect("parses"), 100).expect("shallow");
    serde_json::to_value(&v).expect("json")
}

/// The value and span table of a tree: entries in pre-order, as the YAML and JSON parsers make
/// them. `Err` with the byte of the first node nested deeper than `max_depth`.
pub fn finish(root: Node, max_depth: usize) -> Result<(Value, SpanTable), usize> {
    let mut b = Builder { entries: Blocks::default(), names: Vec::new(), max_depth };
    let value = b.node(root, ROOT, NO_KEY, 0)?;
    Ok((value, SpanTable::new(b.entries, b.names)))
}

struct Builder {
    entries: Blocks<SpanEntry>,
    names: Vec<regorus::Rc<str>>,
    max_depth: usize,
}

impl Builder {
    fn node(&mut self, node: Node, seg: u32, key: u32, depth: usize) -> Result<Value, usize> {
        if depth > self.max_depth {
            return Err(node.start);
        }
        let idx = self.entries.len();
        let (start, end) = (node.start as u32, node.end as u32);
        self.entries.push(SpanEntry { seg, key, start, end, subtree_end: 0 });
        let value = match node.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::from(b),
            Kind::Int(i) => Value::from(i),
            Kind::Float(f) => Value::from(f),
            Kind::Str(s) => Value::from(s.as_str()),
            Kind::Arr(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    out.push(self.node(item, index_seg(i), NO_KEY, depth + 1)?);
                }
                Value::from(out)
            }
            Kind::Obj(members) => {
                let mut map = BTreeMap::new();
                for m in members {
                    let name: regorus::Rc<str> = regorus::Rc::from(m.key.as_str());
                    self.names.push(name.clone());
                    let v = self.node(m.value, key_seg(self.names.len() - 1), m.at as u32, depth + 1)?;
                    map.insert(Value::String(name), v);
                }
                Value::from(map)
            }
        };
        let n = self.entries.len() as u32;
        let e = &mut self.entries[idx];
        e.subtree_end = n;
        Ok(value)
    }
}

/// A number as Go's `strconv.ParseFloat` reads it (conftest's INI loader types values so), kept an
/// integer when it is one. `None`: not a number.
pub fn go_float(s: &str) -> Option<Kind> {
    // Decimal only: Go reads hexadecimal floats only with a `p` exponent and `_` only after a base
    // prefix; `Inf` and `NaN` it reads, but conftest then fails to encode them, so they stay text.
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let plain = t.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !plain || !t.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let f = s.parse::<f64>().ok().filter(|f| f.is_finite())?;
    Some(number(f))
}

/// A float as a JSON number decodes in conftest (float64), an integer kept an integer.
pub fn number(f: f64) -> Kind {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Kind::Int(f as i64)
    } else {
        Kind::Float(f)
    }
}

/// Go's `strconv.ParseBool`.
pub fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The lines of a text with the byte each starts at (a `\r` before the `\n` is not part of the
/// line).
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').map(move |l| {
        let start = at;
        at += l.len();
        let l = l.strip_suffix('\n').unwrap_or(l);
        (start, l.strip_suffix('\r').unwrap_or(l))
    })
}
