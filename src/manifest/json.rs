//! JSON files to documents: a small strict parser (RFC 8259) that records the position of every
//! node, so JSON manifests get the same exact locations as YAML ones. A stream of JSON values one
//! after the other is read as one document each, as kubectl reads a stream that starts with `{`.

use std::collections::BTreeMap;

use regorus::Value;

use super::span::{index_seg, key_seg, Blocks, Pos, SpanEntry, SpanTable, NO_KEY, ROOT};
use super::{Issues, Limits, ParseIssue, ParsedStream, RawDoc};
use crate::finding::Severity;

struct P<'a> {
    b: &'a [u8],
    i: usize,
    line: u32,
    col: u32,
    limits: &'a Limits,
    entries: Blocks<SpanEntry>,
    names: Vec<regorus::Rc<str>>,
    issues: Issues,
    doc: usize,
    /// Key names of the file, each stored once.
    interned: std::collections::HashSet<regorus::Rc<str>>,
}

type R<T> = Result<T, (String, Pos, &'static str)>;

impl<'a> P<'a> {
    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
    }

    fn intern(&mut self, s: &str) -> regorus::Rc<str> {
        if s.len() > 64 {
            return regorus::Rc::from(s);
        }
        if let Some(r) = self.interned.get(s) {
            return r.clone();
        }
        let r: regorus::Rc<str> = regorus::Rc::from(s);
        self.interned.insert(r.clone());
        r
    }

    fn bump(&mut self) {
        if let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            if c == b'\n' {
                self.line += 1;
                self.col = 0;
            } else if c & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
    }

    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn err<T>(&self, msg: impl Into<String>) -> R<T> {
        Err((msg.into(), self.pos(), "parse/invalid-json"))
    }

    fn expect(&mut self, c: u8) -> R<()> {
        if self.b.get(self.i) == Some(&c) {
            self.bump();
            Ok(())
        } else {
            self.err(format!("expected `{}`{}", c as char, self.found()))
        }
    }

    fn found(&self) -> String {
        match self.b.get(self.i) {
            None => ", found the end of the file".into(),
            Some(_) => {
                let rest = std::str::from_utf8(&self.b[self.i..]).unwrap_or("");
                match rest.chars().next() {
                    Some(ch) => format!(", found `{ch}`"),
                    None => String::new(),
                }
            }
        }
    }

    fn value(&mut self, seg: u32, key: u32, depth: usize) -> R<Value> {
        if depth > self.limits.max_depth {
            return Err((
                format!("nesting deeper than {} levels", self.limits.max_depth),
                self.pos(),
                "parse/too-deep",
            ));
        }
        let start = self.i as u32;
        let idx = self.entries.len();
        self.entries.push(SpanEntry { seg, key, start, end: start, subtree_end: 0 });
        let v = match self.b.get(self.i) {
            Some(b'{') => {
                self.bump();
                let mut map = BTreeMap::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.bump();
                } else {
                    loop {
                        self.ws();
                        let kpos = self.pos();
                        let kbyte = self.i as u32;
                        if self.b.get(self.i) != Some(&b'"') {
                            return self.err(format!("expected a string key{}", self.found()));
                        }
                        let k = self.string()?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                        let name = self.intern(&k);
                        self.names.push(name.clone());
                        let v = self.value(key_seg(self.names.len() - 1), kbyte, depth + 1)?;
                        if map.insert(Value::String(name), v).is_some() {
                            self.issues.push(ParseIssue {
                                rule: "parse/duplicate-key",
                                severity: Severity::Error,
                                message: format!(
                                    "duplicate key `{k}`: Kubernetes keeps the last value, other tools the first"
                                ),
                                at: kpos,
                                document: Some(self.doc),
                                help: None,
                            });
                        }
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.bump(),
                            Some(b'}') => {
                                self.bump();
                                break;
                            }
                            _ => return self.err(format!("expected `,` or `}}`{}", self.found())),
                        }
                    }
                }
                Value::from(map)
            }
            Some(b'[') => {
                self.bump();
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.bump();
                } else {
                    loop {
                        self.ws();
                        let v = self.value(index_seg(items.len()), NO_KEY, depth + 1)?;
                        items.push(v);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.bump(),
                            Some(b']') => {
                                self.bump();
                                break;
                            }
                            _ => return self.err(format!("expected `,` or `]`{}", self.found())),
                        }
                    }
                }
                items.shrink_to_fit();
                Value::from(items)
            }
            Some(b'"') => Value::from(self.string()?.as_str()),
            Some(b't') => self.word("true", Value::from(true))?,
            Some(b'f') => self.word("false", Value::from(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return self.err(format!("expected a value{}", self.found())),
        };
        let end = self.i as u32;
        let n = self.entries.len() as u32;
        let e = &mut self.entries[idx];
        e.end = end;
        e.subtree_end = n;
        Ok(v)
    }

    fn word(&mut self, w: &str, v: Value) -> R<Value> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            for _ in 0..w.len() {
                self.bump();
            }
            Ok(v)
        } else {
            self.err(format!("expected a value{}", self.found()))
        }
    }

    fn number(&mut self) -> R<Value> {
        let st = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while matches!(p.b.get(p.i), Some(b'0'..=b'9')) {
                p.bump();
            }
            p.i - s
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.bump();
        }
        let int_start = self.i;
        if digits(self) == 0 {
            return self.err("invalid number");
        }
        if self.b[int_start] == b'0' && self.i - int_start > 1 {
            return self.err("invalid number: leading zeros are not allowed in JSON");
        }
        let mut float = false;
        if self.b.get(self.i) == Some(&b'.') {
            float = true;
            self.bump();
            if digits(self) == 0 {
                return self.err("invalid number: expected digits after `.`");
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            float = true;
            self.bump();
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.bump();
            }
            if digits(self) == 0 {
                return self.err("invalid number: expected exponent digits");
            }
        }
        let text = std::str::from_utf8(&self.b[st..self.i]).unwrap_or("0");
        // kubectl decodes a number to an int64 when it is one, else to a float64 (so integers
        // beyond int64 lose their last digits there too).
        if !float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::from(i));
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::from(f)),
            _ => self.err("number out of range"),
        }
    }

    fn string(&mut self) -> R<String> {
        self.bump(); // opening quote
        let mut s = String::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return self.err("unterminated string");
            };
            match c {
                b'"' => {
                    self.bump();
                    return Ok(s);
                }
                b'\\' => {
                    self.bump();
                    let Some(&e) = self.b.get(self.i) else {
                        return self.err("unterminated string");
                    };
                    self.bump();
                    match e {
                        b'"' => s.push('"'),
                        b'\\' => s.push('\\'),
                        b'/' => s.push('/'),
                        b'b' => s.push('\u{8}'),
                        b'f' => s.push('\u{c}'),
                        b'n' => s.push('\n'),
                        b'r' => s.push('\r'),
                        b't' => s.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if self.b.get(self.i) == Some(&b'\\') && self.b.get(self.i + 1) == Some(&b'u') {
                                    self.bump();
                                    self.bump();
                                    let lo = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return self.err("invalid surrogate pair in \\u escape");
                                    }
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    return self.err("lone surrogate in \\u escape");
                                }
                            } else {
                                hi
                            };
                            match char::from_u32(cp) {
                                Some(ch) => s.push(ch),
                                None => return self.err("invalid \\u escape"),
                            }
                        }
                        _ => return self.err("invalid escape in string"),
                    }
                }
                0..=0x1F => return self.err("control character in string (escape it)"),
                _ => {
                    // Copy the run of plain characters up to the next quote, backslash or control
                    // character at once (the text is valid UTF-8 and the run ends at an ASCII byte).
                    let st = self.i;
                    let mut j = st;
                    while let Some(&c) = self.b.get(j) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        j += 1;
                    }
                    s.push_str(std::str::from_utf8(&self.b[st..j]).unwrap_or("\u{FFFD}"));
                    let chars = self.b[st..j].iter().filter(|&&c| c & 0xC0 != 0x80).count();
                    self.i = j;
                    self.col += chars as u32;
                }
            }
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(d) = self.b.get(self.i).and_then(|c| (*c as char).to_digit(16)) else {
                return self.err("invalid \\u escape");
            };
            v = v * 16 + d;
            self.bump();
        }
        Ok(v)
    }
}

/// Parse a JSON file into one document.
pub fn parse(text: &str, limits: &Limits) -> ParsedStream {
    parse_values(text, limits, false)
}

/// Parse a stream of JSON values (white space between them), one document each, as kubectl reads a
/// stream that starts with `{`.
pub fn parse_stream(text: &str, limits: &Limits) -> ParsedStream {
    parse_values(text, limits, true)
}

fn parse_values(text: &str, limits: &Limits, stream: bool) -> ParsedStream {
    let mut p = P {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        col: 0,
        limits,
        entries: Blocks::default(),
        names: Vec::new(),
        issues: Issues::default(),
        doc: 0,
        interned: std::collections::HashSet::new(),
    };
    let mut out = ParsedStream::default();
    loop {
        p.ws();
        if p.i >= p.b.len() {
            break;
        }
        if p.doc > 0 && !stream {
            let err: R<()> = p.err(format!("unexpected content after the JSON value{}", p.found()));
            out.issues = std::mem::take(&mut p.issues).finish();
            if let Err((message, at, rule)) = err {
                out.issues.push(ParseIssue {
                    rule,
                    severity: Severity::Error,
                    message: format!("invalid JSON: {message}"),
                    at,
                    document: Some(0),
                    help: None,
                });
            }
            out.fatal = true;
            return out;
        }
        let res = p.value(ROOT, NO_KEY, 0);
        match res {
            Ok(value) => {
                let mut spans = SpanTable::new(std::mem::take(&mut p.entries), std::mem::take(&mut p.names));
                spans.entries.shrink_to_fit();
                spans.names.shrink_to_fit();
                out.docs.push(RawDoc { index: p.doc, value, spans });
                p.doc += 1;
            }
            Err((message, at, rule)) => {
                out.issues = std::mem::take(&mut p.issues).finish();
                out.issues.push(ParseIssue {
                    rule,
                    severity: Severity::Error,
                    message: if rule == "parse/invalid-json" { format!("invalid JSON: {message}") } else { message },
                    at,
                    document: Some(p.doc),
                    help: None,
                });
                out.fatal = true;
                return out;
            }
        }
    }
    out.issues = p.issues.finish();
    out
}
