//! CUE (`*.cue`) for the data it states: the subset of CUE that is concrete data — fields
//! (`key: value`, the shorthand `a: b: c: 1`, quoted labels), structs, lists, strings (multi-line
//! `"""` too), numbers, `true`, `false`, `null`, comments, a `package` clause — exported as
//! conftest exports it (cuelang's JSON: fields in the order first declared, a field declared twice
//! unified: structs merged, equal values kept, different ones a conflict; hidden `_x` fields left
//! out). No Rust implementation of CUE exists, so everything beyond data (definitions `#D`,
//! references, types such as `int`, `&`/`|` expressions, defaults, comprehensions, optional fields,
//! interpolation, imports, attributes) is refused with its place rather than evaluated
//! differently from CUE: its message starts with [`UNSUPPORTED`] (`parse/unsupported-cue`).

use std::collections::HashMap;

use super::{number, Bad, Kind, Member, Node};

/// The start of the message of a construct beyond the data subset (the loader's rule for it is
/// `parse/unsupported-cue`).
pub const UNSUPPORTED: &str = "unsupported:";

/// Deepest nesting read: a hostile file cannot overflow the stack.
const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, PartialEq)]
enum T {
    Ident(String),
    Str(String),
    Num(String),
    LBrace,
    RBrace,
    LBrack,
    RBrack,
    Colon,
    Comma,
    /// A comma the newline stands for (CUE inserts one as Go does).
    Newline,
    Minus,
    Plus,
    /// A construct beyond the data subset, described.
    Beyond(String),
    Eof,
}

#[derive(Debug, Clone)]
struct Tok {
    t: T,
    start: usize,
    end: usize,
}

fn unsupported(what: impl std::fmt::Display, at: usize) -> Bad {
    Bad::new(format!("{UNSUPPORTED} {what} is beyond the CUE tollgate reads (concrete data only)"), at)
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// The last token ends a value: a newline after it is a comma.
    ends_value: bool,
}

impl Lexer<'_> {
    fn next(&mut self) -> Result<Tok, Bad> {
        loop {
            let c = self.b.get(self.i).copied();
            match c {
                Some(b'\n') if self.ends_value => {
                    self.ends_value = false;
                    self.i += 1;
                    return Ok(Tok { t: T::Newline, start: self.i - 1, end: self.i });
                }
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.i += 1,
                Some(b'/') if self.b.get(self.i + 1) == Some(&b'/') => {
                    self.i = self.text[self.i..].find('\n').map_or(self.b.len(), |n| self.i + n);
                }
                _ => break,
            }
        }
        let start = self.i;
        let Some(c) = self.text[start..].chars().next() else {
            return Ok(Tok { t: T::Eof, start, end: start });
        };
        let t = match c {
            '{' => self.one(T::LBrace),
            '}' => self.one(T::RBrace),
            '[' => self.one(T::LBrack),
            ']' => self.one(T::RBrack),
            ':' => self.one(T::Colon),
            ',' => self.one(T::Comma),
            '-' => self.one(T::Minus),
            '+' => self.one(T::Plus),
            '"' => T::Str(self.string()?),
            '0'..='9' => T::Num(self.number()),
            '.' if self.b.get(start + 1).is_some_and(u8::is_ascii_digit) => T::Num(self.number()),
            '#' if self.b.get(start + 1) == Some(&b'"') => {
                return Err(unsupported("a raw string (`#\"…\"#`)", start));
            }
            c if c.is_alphabetic() || c == '_' || c == '$' || c == '#' => {
                self.i += c.len_utf8();
                while let Some(c) = self.text[self.i..].chars().next() {
                    if c.is_alphanumeric() || c == '_' || c == '$' {
                        self.i += c.len_utf8();
                    } else {
                        break;
                    }
                }
                T::Ident(self.text[start..self.i].to_string())
            }
            '\'' => return Err(unsupported("a bytes literal (`'…'`)", start)),
            '@' => return Err(unsupported("an attribute (`@…`)", start)),
            c => {
                self.i += c.len_utf8();
                let op = if self.text[start..].starts_with("...") { "...".to_string() } else { c.to_string() };
                T::Beyond(op)
            }
        };
        self.ends_value = matches!(t, T::Ident(_) | T::Str(_) | T::Num(_) | T::RBrace | T::RBrack);
        Ok(Tok { t, start, end: self.i })
    }

    fn one(&mut self, t: T) -> T {
        self.i += 1;
        t
    }

    fn number(&mut self) -> String {
        let start = self.i;
        while self.b.get(self.i).is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.')) {
            let exp = matches!(self.b[self.i], b'e' | b'E');
            self.i += 1;
            if exp && matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
        }
        self.text[start..self.i].to_string()
    }

    /// A `"…"` or `"""…"""` string, escapes decoded.
    fn string(&mut self) -> Result<String, Bad> {
        let start = self.i;
        if self.text[start..].starts_with("\"\"\"") {
            return self.multiline(start);
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.i..].chars().next() else {
                return Err(Bad::new("string not terminated", start));
            };
            self.i += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\n' => return Err(Bad::new("string not terminated (a line feed in a `\"` string)", start)),
                '\\' => out.push(self.escape()?),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, Bad> {
        let at = self.i - 1;
        let e = self.b.get(self.i).copied();
        self.i += 1;
        let bad = || Bad::new("invalid escape in a string", at);
        Ok(match e {
            Some(b'a') => '\u{7}',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'v') => '\u{b}',
            Some(b'\\') => '\\',
            Some(b'"') => '"',
            Some(b'/') => '/',
            Some(b'(') => return Err(unsupported("string interpolation (`\\(…)`)", at)),
            Some(b'u' | b'U') => {
                let n = if e == Some(b'u') { 4 } else { 8 };
                let hex = self.text.get(self.i..self.i + n).ok_or_else(bad)?;
                self.i += n;
                let code = u32::from_str_radix(hex, 16).map_err(|_| bad())?;
                char::from_u32(code).ok_or_else(bad)?
            }
            _ => return Err(bad()),
        })
    }

    /// `"""` then a line feed, lines, and `"""` on a line of its own: the closing line's
    /// indentation removed from every line, as CUE does.
    fn multiline(&mut self, start: usize) -> Result<String, Bad> {
        let body_start = start + 3;
        let rest = &self.text[body_start..];
        let Some(first_nl) = rest.find('\n') else {
            return Err(Bad::new("a `\"\"\"` string starts with a line feed", start));
        };
        if !rest[..first_nl].trim().is_empty() {
            return Err(Bad::new("a `\"\"\"` string starts with a line feed", start));
        }
        let Some(close) = rest.find("\"\"\"") else {
            return Err(Bad::new("string not terminated", start));
        };
        let body = &rest[first_nl + 1..close];
        let Some(last_nl) = body.rfind('\n') else {
            return Err(Bad::new("the closing `\"\"\"` must be on a line of its own", body_start + close));
        };
        let indent = &body[last_nl + 1..];
        if !indent.chars().all(|c| c == ' ' || c == '\t') {
            return Err(Bad::new("the closing `\"\"\"` must be on a line of its own", body_start + close));
        }
        let mut out = String::new();
        let lines: Vec<&str> = body[..last_nl].split('\n').collect();
        for (n, line) in lines.iter().enumerate() {
            let stripped = if line.trim().is_empty() {
                ""
            } else {
                line.strip_prefix(indent)
                    .ok_or_else(|| Bad::new("a line of a `\"\"\"` string is indented less than its end", start))?
            };
            if stripped.contains("\\") {
                let mut sub = Lexer { text: stripped, b: stripped.as_bytes(), i: 0, ends_value: false };
                while sub.i < stripped.len() {
                    let c = stripped[sub.i..].chars().next().unwrap_or(' ');
                    sub.i += c.len_utf8();
                    if c == '\\' {
                        out.push(sub.escape().map_err(|e| Bad::new(e.message, start))?);
                    } else {
                        out.push(c);
                    }
                }
            } else {
                out.push_str(stripped);
            }
            if n + 1 < lines.len() {
                out.push('\n');
            }
        }
        self.i = body_start + close + 3;
        Ok(out)
    }
}

/// A value being built: a struct keeps its fields in the order first declared.
enum V {
    Struct(Vec<(String, usize, V)>, HashMap<String, usize>, usize, usize),
    List(Vec<V>, usize, usize),
    Scalar(Kind, usize, usize),
}

impl V {
    fn start(&self) -> usize {
        match self {
            V::Struct(_, _, s, _) | V::List(_, s, _) | V::Scalar(_, s, _) => *s,
        }
    }
}

/// CUE's unification of two concrete values.
fn unify(a: V, b: V, key: &str) -> Result<V, Bad> {
    match (a, b) {
        (V::Struct(mut fields, mut index, s, e), V::Struct(more, _, _, e2)) => {
            for (k, at, v) in more {
                add(&mut fields, &mut index, k, at, v)?;
            }
            Ok(V::Struct(fields, index, s, e.max(e2)))
        }
        (V::List(xs, s, e), V::List(ys, s2, _)) => {
            if xs.len() != ys.len() {
                return Err(Bad::new(
                    format!("conflicting values for `{key}`: lists of {} and {} elements", xs.len(), ys.len()),
                    s2,
                ));
            }
            let items = xs.into_iter().zip(ys).map(|(x, y)| unify(x, y, key)).collect::<Result<_, _>>()?;
            Ok(V::List(items, s, e))
        }
        (V::Scalar(x, s, e), V::Scalar(y, s2, _)) => {
            let same = match (&x, &y) {
                (Kind::Int(a), Kind::Float(b)) | (Kind::Float(b), Kind::Int(a)) => (*a as f64) == *b,
                (Kind::Float(a), Kind::Float(b)) => a == b,
                (Kind::Int(a), Kind::Int(b)) => a == b,
                (Kind::Str(a), Kind::Str(b)) => a == b,
                (Kind::Bool(a), Kind::Bool(b)) => a == b,
                (Kind::Null, Kind::Null) => true,
                _ => false,
            };
            if !same {
                return Err(Bad::new(format!("conflicting values for `{key}`"), s2));
            }
            Ok(V::Scalar(x, s, e))
        }
        (_, b) => Err(Bad::new(format!("conflicting values for `{key}` (of different kinds)"), b.start())),
    }
}

fn add(
    fields: &mut Vec<(String, usize, V)>,
    index: &mut HashMap<String, usize>,
    k: String,
    at: usize,
    v: V,
) -> Result<(), Bad> {
    match index.get(&k) {
        Some(&i) => {
            let old = std::mem::replace(&mut fields[i].2, V::Scalar(Kind::Null, 0, 0));
            fields[i].2 = unify(old, v, &k)?;
        }
        None => {
            index.insert(k.clone(), fields.len());
            fields.push((k, at, v));
        }
    }
    Ok(())
}

struct P<'a> {
    lex: Lexer<'a>,
    cur: Tok,
    peek: Tok,
    depth: usize,
}

impl P<'_> {
    fn bump(&mut self) -> Result<Tok, Bad> {
        let next = self.lex.next()?;
        let peek = std::mem::replace(&mut self.peek, next);
        Ok(std::mem::replace(&mut self.cur, peek))
    }

    fn skip_commas(&mut self) -> Result<(), Bad> {
        while matches!(self.cur.t, T::Comma | T::Newline) {
            self.bump()?;
        }
        Ok(())
    }

    fn beyond(&self, t: &Tok) -> Bad {
        match &t.t {
            T::Ident(w) if w.starts_with('#') || w.starts_with("_#") => {
                unsupported(format!("the definition `{w}`"), t.start)
            }
            T::Ident(w) if matches!(w.as_str(), "for" | "if" | "let") => {
                unsupported(format!("a comprehension or `{w}` clause"), t.start)
            }
            T::Ident(w) if w == "import" => unsupported("an import", t.start),
            T::Ident(w) => unsupported(format!("the reference or type `{w}`"), t.start),
            T::Beyond(op) if op == "..." => unsupported("an open list or struct (`...`)", t.start),
            T::Beyond(op) if op == "?" || op == "!" => {
                unsupported(format!("an optional or required field (`{op}`)"), t.start)
            }
            T::Beyond(op) => unsupported(format!("the expression operator `{op}`"), t.start),
            T::Plus => unsupported("the expression operator `+`", t.start),
            T::Minus => unsupported("the expression operator `-`", t.start),
            T::Eof => Bad::new("unexpected end of the file", t.start),
            other => Bad::new(format!("unexpected {}", describe(other)), t.start),
        }
    }

    /// Fields up to `}` (`closing`) or the end of the file.
    fn fields(&mut self, closing: bool, start: usize) -> Result<V, Bad> {
        let mut fields = Vec::new();
        let mut index = HashMap::new();
        loop {
            self.skip_commas()?;
            match self.cur.t {
                T::RBrace if closing => {
                    let end = self.cur.end;
                    self.bump()?;
                    return Ok(V::Struct(fields, index, start, end));
                }
                T::Eof if !closing => return Ok(V::Struct(fields, index, start, self.cur.end)),
                T::Eof => return Err(Bad::new("struct not closed: expected `}`", start)),
                _ => {}
            }
            let (key, at, value, hidden) = self.field()?;
            if !hidden {
                add(&mut fields, &mut index, key, at, value)?;
            }
            match self.cur.t {
                T::Comma | T::Newline | T::Eof => {}
                T::RBrace if closing => {}
                _ => return Err(self.beyond(&self.cur.clone())),
            }
        }
    }

    /// `label: value`, or `a: b: value` (a struct of one field): the label, its byte, the value and
    /// whether the field is hidden (`_x`, which CUE leaves out of its JSON).
    fn field(&mut self) -> Result<(String, usize, V, bool), Bad> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), self.cur.start));
        }
        let label = self.bump()?;
        let (key, hidden) = match &label.t {
            T::Ident(w) if w.starts_with('#') || w.starts_with("_#") => return Err(self.beyond(&label)),
            T::Ident(w) if matches!(w.as_str(), "for" | "if" | "let" | "import") => return Err(self.beyond(&label)),
            T::Ident(w) => (w.clone(), w.starts_with('_')),
            T::Str(s) => (s.clone(), false),
            T::LBrack => return Err(unsupported("a pattern constraint (`[…]: …`)", label.start)),
            T::LBrace => return Err(unsupported("an embedded struct", label.start)),
            _ => return Err(self.beyond(&label)),
        };
        if self.cur.t != T::Colon {
            return Err(match &self.cur.t {
                T::Beyond(op) if op == "?" || op == "!" || op == "=" => self.beyond(&self.cur.clone()),
                T::Comma | T::Newline | T::Eof | T::RBrace => {
                    unsupported(format!("the embedded value `{key}` (a field needs `:`)"), label.start)
                }
                _ => Bad::new(format!("expected `:` after `{key}`"), self.cur.start),
            });
        }
        self.bump()?;
        let value = if matches!(self.cur.t, T::Ident(_) | T::Str(_)) && self.peek.t == T::Colon {
            let start = self.cur.start;
            let (k, at, v, hidden) = self.field()?;
            let end = self.lex.i;
            let mut fields = Vec::new();
            let mut index = HashMap::new();
            if !hidden {
                add(&mut fields, &mut index, k, at, v)?;
            }
            V::Struct(fields, index, start, end)
        } else {
            self.value()?
        };
        self.depth -= 1;
        Ok((key, label.start, value, hidden))
    }

    fn value(&mut self) -> Result<V, Bad> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), self.cur.start));
        }
        let t = self.bump()?;
        let v = match t.t {
            T::Str(s) => V::Scalar(Kind::Str(s), t.start, t.end),
            T::Num(ref n) => V::Scalar(parse_number(n, false, t.start)?, t.start, t.end),
            T::Minus if matches!(self.cur.t, T::Num(_)) => {
                let n = self.bump()?;
                let T::Num(text) = &n.t else { return Err(self.beyond(&t)) };
                V::Scalar(parse_number(text, true, n.start)?, t.start, n.end)
            }
            T::Ident(ref w) if w == "true" || w == "false" => V::Scalar(Kind::Bool(w == "true"), t.start, t.end),
            T::Ident(ref w) if w == "null" => V::Scalar(Kind::Null, t.start, t.end),
            T::LBrace => self.fields(true, t.start)?,
            T::LBrack => self.list(t.start)?,
            _ => return Err(self.beyond(&t)),
        };
        // A value followed by an operator is an expression (`int & >0`, `"a" | "b"`, `*1 | 2`).
        if let T::Beyond(_) | T::Plus | T::Minus = self.cur.t {
            return Err(self.beyond(&self.cur.clone()));
        }
        self.depth -= 1;
        Ok(v)
    }

    fn list(&mut self, start: usize) -> Result<V, Bad> {
        let mut items = Vec::new();
        loop {
            self.skip_commas()?;
            if self.cur.t == T::RBrack {
                let end = self.cur.end;
                self.bump()?;
                return Ok(V::List(items, start, end));
            }
            if self.cur.t == T::Eof {
                return Err(Bad::new("list not closed: expected `]`", start));
            }
            items.push(self.value()?);
            match self.cur.t {
                T::Comma | T::Newline | T::RBrack => {}
                T::Eof => return Err(Bad::new("list not closed: expected `]`", start)),
                _ => return Err(self.beyond(&self.cur.clone())),
            }
        }
    }
}

fn describe(t: &T) -> String {
    match t {
        T::Ident(w) => format!("`{w}`"),
        T::Str(_) => "a string".into(),
        T::Num(n) => format!("the number {n}"),
        T::LBrace => "`{`".into(),
        T::RBrace => "`}`".into(),
        T::LBrack => "`[`".into(),
        T::RBrack => "`]`".into(),
        T::Colon => "`:`".into(),
        T::Comma => "`,`".into(),
        T::Newline => "the end of the line".into(),
        T::Minus => "`-`".into(),
        T::Plus => "`+`".into(),
        T::Beyond(op) => format!("`{op}`"),
        T::Eof => "the end of the file".into(),
    }
}

/// A CUE number literal: decimal (with `_`), `0x`, `0o`, `0b`, or a float; SI multipliers are
/// beyond the subset.
fn parse_number(text: &str, neg: bool, at: usize) -> Result<Kind, Bad> {
    let clean = text.replace('_', "");
    let bad = || Bad::new(format!("invalid number {text}"), at);
    let radix = |p: &str| clean.strip_prefix(p);
    let int = if let Some(h) = radix("0x").or_else(|| radix("0X")) {
        Some(i128::from_str_radix(h, 16).map_err(|_| bad())?)
    } else if let Some(o) = radix("0o") {
        Some(i128::from_str_radix(o, 8).map_err(|_| bad())?)
    } else if let Some(b) = radix("0b") {
        Some(i128::from_str_radix(b, 2).map_err(|_| bad())?)
    } else if clean.bytes().all(|c| c.is_ascii_digit()) {
        if clean.len() > 1 && clean.starts_with('0') {
            return Err(Bad::new(format!("invalid number {text} (a leading zero; octal is 0o…)"), at));
        }
        clean.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        let i = if neg { -i } else { i };
        return Ok(match i64::try_from(i) {
            Ok(n) => Kind::Int(n),
            Err(_) => Kind::Float(i as f64),
        });
    }
    if clean.ends_with(|c: char| c.is_ascii_alphabetic()) && !clean.ends_with(['e', 'E']) {
        return Err(unsupported(format!("the number with a multiplier `{text}`"), at));
    }
    let f: f64 = clean.parse().map_err(|_| bad())?;
    if !f.is_finite() {
        return Err(bad());
    }
    Ok(number(if neg { -f } else { f }))
}

fn to_node(v: V) -> Node {
    match v {
        V::Struct(fields, _, s, e) => Node::new(
            Kind::Obj(fields.into_iter().map(|(key, at, v)| Member { key, at, value: to_node(v) }).collect()),
            s,
            e,
        ),
        V::List(items, s, e) => Node::new(Kind::Arr(items.into_iter().map(to_node).collect()), s, e),
        V::Scalar(k, s, e) => Node::new(k, s, e),
    }
}

/// Parse a CUE file of concrete data into the object cuelang exports.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut lex = Lexer { text, b: text.as_bytes(), i: 0, ends_value: false };
    let cur = lex.next()?;
    let peek = lex.next()?;
    let mut p = P { lex, cur, peek, depth: 0 };
    p.skip_commas()?;
    if p.cur.t == T::Ident("package".into()) && matches!(p.peek.t, T::Ident(_)) {
        p.bump()?;
        p.bump()?;
    }
    let root = p.fields(false, 0)?;
    Ok(to_node(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        super::super::json_of(parse(text))
    }

    #[test]
    fn data_as_cue_exports_it() {
        let text = "package k8s\n\n// a comment\napiVersion: \"apps/v1\"\nmetadata: name: \"web\"\nmetadata: labels: app: \"web\"\nspec: {\n\treplicas: 3\n\tratio: -1.5e2, big: 0x10\n\tlist: [1, \"two\",\n\t\t{a: true}, null,]\n\t\"quoted-key\": 1_000\n\t_hidden: 1\n}\ntext: \"\"\"\n\tline one\n\t  line \\\"two\\\"\n\t\"\"\"\n";
        assert_eq!(
            json(text),
            serde_json::json!({
                "apiVersion": "apps/v1",
                "metadata": {"name": "web", "labels": {"app": "web"}},
                "spec": {"replicas": 3, "ratio": -150, "big": 16, "list": [1, "two", {"a": true}, null], "quoted-key": 1000},
                "text": "line one\n  line \"two\""
            })
        );
        assert_eq!(json("a: 1\na: 1\n"), serde_json::json!({"a": 1}));
    }

    #[test]
    fn beyond_data_is_unsupported_at_its_place() {
        let un = |t: &str| {
            let e = parse(t).expect_err("unsupported");
            assert!(e.message.starts_with(UNSUPPORTED), "{t}: {e:?}");
            e.at
        };
        assert_eq!(un("#D: {a: int}\n"), 0);
        assert_eq!(un("a: int\n"), 3);
        assert_eq!(un("a: 1 & >0\n"), 5);
        assert_eq!(un("a: *1 | 2\n"), 3);
        assert_eq!(un("a: b\nb: 1\n"), 3);
        assert_eq!(un("a?: 1\n"), 1);
        assert_eq!(un("a: [1, ...]\n"), 7);
        assert_eq!(un("a: \"x\\(b)\"\n"), 5);
        assert_eq!(un("import \"strings\"\n"), 0);
        assert_eq!(un("a: [for x in [1] {x}]\n"), 4);
        assert_eq!(un("a: 1Ki\n"), 3);
        let bad = parse("a: 1\na: 2\n").expect_err("conflict");
        assert_eq!((bad.at, bad.message.as_str()), (8, "conflicting values for `a`"));
        assert_eq!(parse("a: {b: 1\n").expect_err("unclosed").at, 3);
        assert_eq!(parse("a: \"x\n").expect_err("unterminated").at, 3);
        let deep = format!("a: {}", "[".repeat(100_000));
        assert!(parse(&deep).expect_err("deep").message.contains("nesting"));
        let chain = format!("{}1", "a: ".repeat(100_000));
        assert!(parse(&chain).expect_err("deep").message.contains("nesting"));
    }
}
