//! JSON files to documents: a small strict parser (RFC 8259) that records the position of every
//! node, so JSON manifests get the same exact locations as YAML ones.

use std::collections::BTreeMap;

use regorus::Value;

use super::span::{Pos, Seg, SpanEntry, SpanTable};
use super::{Limits, ParseIssue, ParsedStream, RawDoc};
use crate::finding::Severity;

struct P<'a> {
    b: &'a [u8],
    i: usize,
    line: u32,
    col: u32,
    limits: &'a Limits,
    entries: Vec<SpanEntry>,
    issues: Vec<ParseIssue>,
}

type R<T> = Result<T, (String, Pos, &'static str)>;

impl<'a> P<'a> {
    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
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

    fn value(&mut self, seg: Seg, key: Option<Pos>, depth: usize) -> R<Value> {
        if depth > self.limits.max_depth {
            return Err((
                format!("nesting deeper than {} levels", self.limits.max_depth),
                self.pos(),
                "parse/too-deep",
            ));
        }
        let start = self.pos();
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
                        if self.b.get(self.i) != Some(&b'"') {
                            return self.err(format!("expected a string key{}", self.found()));
                        }
                        let k = self.string()?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                        let name: regorus::Rc<str> = regorus::Rc::from(k.as_str());
                        let v = self.value(Seg::Key(name.clone()), Some(kpos), depth + 1)?;
                        if map.insert(Value::String(name), v).is_some() {
                            self.issues.push(ParseIssue {
                                rule: "parse/duplicate-key",
                                severity: Severity::Error,
                                message: format!(
                                    "duplicate key `{k}`: Kubernetes keeps the last value, other tools the first"
                                ),
                                at: kpos,
                                document: Some(0),
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
                        let v = self.value(Seg::Index(items.len() as u32), None, depth + 1)?;
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
                Value::from(items)
            }
            Some(b'"') => Value::from(self.string()?.as_str()),
            Some(b't') => self.word("true", Value::from(true))?,
            Some(b'f') => self.word("false", Value::from(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return self.err(format!("expected a value{}", self.found())),
        };
        let end = self.pos();
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
        if !float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::from(i));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Ok(Value::from(u));
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
                    // Copy one UTF-8 character.
                    let rest = std::str::from_utf8(&self.b[self.i..]).unwrap_or("");
                    let ch = rest.chars().next().unwrap_or('\u{FFFD}');
                    s.push(ch);
                    for _ in 0..ch.len_utf8() {
                        self.bump();
                    }
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
    let mut p = P { b: text.as_bytes(), i: 0, line: 1, col: 0, limits, entries: Vec::new(), issues: Vec::new() };
    let mut out = ParsedStream::default();
    p.ws();
    if p.i >= p.b.len() {
        return out; // an empty file has no documents
    }
    let res = p.value(Seg::Root, None, 0).and_then(|v| {
        p.ws();
        if p.i < p.b.len() {
            p.err(format!("unexpected content after the JSON value{}", p.found()))
        } else {
            Ok(v)
        }
    });
    out.issues.append(&mut p.issues);
    match res {
        Ok(value) => out.docs.push(RawDoc { index: 0, value, spans: SpanTable { entries: p.entries } }),
        Err((message, at, rule)) => {
            out.issues.push(ParseIssue {
                rule,
                severity: Severity::Error,
                message: if rule == "parse/invalid-json" { format!("invalid JSON: {message}") } else { message },
                at,
                document: Some(0),
                help: None,
            });
            out.fatal = true;
        }
    }
    out
}
