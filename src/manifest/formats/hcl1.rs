//! HCL1 (`--parser hcl1`, `*.hcl1`) as conftest gives it to policies: hashicorp/hcl v1 decoded
//! into an empty interface. The file is an object; below the root every object (a block or
//! `key = {…}`) is an array of objects, so `provider "google" {project = "p"}` is
//! `input.provider[0].google[0].project`; blocks with the same first key gather in one array, one
//! element per block; a list is an array whose objects stay objects; numbers are integers (hex
//! and leading-zero octal too) or floats, strings are unescaped with `${…}` kept as written,
//! heredocs (`<<EOF`, `<<-EOF` dedented) end in their line feed. A small parser of our own: no
//! maintained crate reads HCL1, and the shape is the decoder's, not the grammar's.

use std::collections::{HashMap, HashSet};

use super::{number, Bad, Kind, Member, Node};

/// Deepest nesting of objects, lists and block labels read: a hostile file cannot overflow the
/// stack (the loader's own depth limit applies after, to the decoded tree).
const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Ident,
    Str,
    Heredoc,
    Number,
    Float,
    Bool,
    LBrace,
    RBrace,
    LBrack,
    RBrack,
    Comma,
    Assign,
    Eof,
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::Ident => "a name",
            Tok::Str => "a string",
            Tok::Heredoc => "a heredoc",
            Tok::Number | Tok::Float => "a number",
            Tok::Bool => "a boolean",
            Tok::LBrace => "`{`",
            Tok::RBrace => "`}`",
            Tok::LBrack => "`[`",
            Tok::RBrack => "`]`",
            Tok::Comma => "`,`",
            Tok::Assign => "`=`",
            Tok::Eof => "the end of the file",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    at: usize,
}

fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

impl<'a> Lexer<'a> {
    fn peek_char(&self, at: usize) -> Option<char> {
        self.text.get(at..).and_then(|s| s.chars().next())
    }

    fn next(&mut self) -> Result<Token, Bad> {
        loop {
            while self.at < self.b.len() && matches!(self.b[self.at], b' ' | b'\t' | b'\n' | b'\r') {
                self.at += 1;
            }
            let start = self.at;
            let Some(c) = self.peek_char(start) else {
                return Ok(Token { tok: Tok::Eof, start, end: start });
            };
            if c == '#' || (c == '/' && self.b.get(start + 1) == Some(&b'/')) {
                self.at = self.text[start..].find('\n').map_or(self.b.len(), |i| start + i);
                continue;
            }
            if c == '/' && self.b.get(start + 1) == Some(&b'*') {
                match self.text[start + 2..].find("*/") {
                    Some(i) => self.at = start + 2 + i + 2,
                    None => return Err(Bad::new("comment not terminated", start)),
                }
                continue;
            }
            let tok = if is_letter(c) {
                self.at += c.len_utf8();
                while let Some(c) = self.peek_char(self.at) {
                    if is_letter(c) || is_digit(c) || c == '-' || c == '.' {
                        self.at += c.len_utf8();
                    } else {
                        break;
                    }
                }
                match &self.text[start..self.at] {
                    "true" | "false" => Tok::Bool,
                    _ => Tok::Ident,
                }
            } else if c.is_ascii_digit()
                || (c == '-' && self.b.get(start + 1).is_some_and(u8::is_ascii_digit))
                || (c == '.' && self.b.get(start + 1).is_some_and(u8::is_ascii_digit))
            {
                self.number()?
            } else {
                self.at += c.len_utf8();
                match c {
                    '"' => {
                        self.string(start)?;
                        Tok::Str
                    }
                    '<' => {
                        self.heredoc(start)?;
                        Tok::Heredoc
                    }
                    '{' => Tok::LBrace,
                    '}' => Tok::RBrace,
                    '[' => Tok::LBrack,
                    ']' => Tok::RBrack,
                    ',' => Tok::Comma,
                    '=' => Tok::Assign,
                    _ => return Err(Bad::new(format!("unexpected character {c:?}"), start)),
                }
            };
            return Ok(Token { tok, start, end: self.at });
        }
    }

    fn digits(&mut self, radix: u32) -> usize {
        let from = self.at;
        while self.b.get(self.at).is_some_and(|d| (*d as char).is_digit(radix)) {
            self.at += 1;
        }
        self.at - from
    }

    fn number(&mut self) -> Result<Tok, Bad> {
        let start = self.at;
        if self.b[self.at] == b'-' {
            self.at += 1;
        }
        if self.b[self.at..].starts_with(b"0x") || self.b[self.at..].starts_with(b"0X") {
            self.at += 2;
            if self.digits(16) == 0 {
                return Err(Bad::new("illegal hexadecimal number", start));
            }
            return Ok(Tok::Number);
        }
        self.digits(10);
        let mut float = false;
        if self.b.get(self.at) == Some(&b'.') {
            float = true;
            self.at += 1;
            self.digits(10);
        }
        if matches!(self.b.get(self.at), Some(b'e' | b'E')) {
            float = true;
            self.at += 1;
            if matches!(self.b.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.digits(10);
        }
        Ok(if float { Tok::Float } else { Tok::Number })
    }

    /// A quoted string: `"` inside `${…}` does not end it, nor does a line feed there.
    fn string(&mut self, start: usize) -> Result<(), Bad> {
        let mut braces = 0usize;
        loop {
            let Some(c) = self.peek_char(self.at) else {
                return Err(Bad::new("string not terminated", start));
            };
            self.at += c.len_utf8();
            match c {
                '\n' if braces == 0 => return Err(Bad::new("string not terminated", start)),
                '"' if braces == 0 => return Ok(()),
                '$' if braces == 0 && self.b.get(self.at) == Some(&b'{') => {
                    braces = 1;
                    self.at += 1;
                }
                '{' if braces > 0 => braces += 1,
                '}' if braces > 0 => braces -= 1,
                '\\' => {
                    if let Some(c) = self.peek_char(self.at) {
                        self.at += c.len_utf8();
                    }
                }
                _ => {}
            }
        }
    }

    /// `<<EOF` or `<<-EOF`, through the line that holds the anchor alone (its line feed included).
    fn heredoc(&mut self, start: usize) -> Result<(), Bad> {
        if self.b.get(self.at) != Some(&b'<') {
            return Err(Bad::new("a heredoc starts with `<<`", start));
        }
        self.at += 1;
        let Some(nl) = self.text[self.at..].find('\n') else {
            return Err(Bad::new("heredoc not terminated", start));
        };
        let anchor = self.text[self.at..self.at + nl].trim_end_matches('\r');
        let anchor = anchor.strip_prefix('-').unwrap_or(anchor);
        if anchor.is_empty() || !anchor.chars().all(|c| is_letter(c) || is_digit(c)) {
            return Err(Bad::new("invalid heredoc anchor", start));
        }
        let mut line = self.at + nl + 1;
        loop {
            let Some(n) = self.text[line..].find('\n') else {
                return Err(Bad::new(format!("heredoc not terminated: no line `{anchor}`"), start));
            };
            if self.text[line..line + n].trim_end_matches('\r').trim_start() == anchor {
                self.at = line + n + 1;
                return Ok(());
            }
            line += n + 1;
        }
    }
}

/// A parsed value: a literal, an object (its items) or a list.
#[derive(Debug)]
enum Val {
    Lit(Kind, usize, usize),
    Obj(Vec<Item>, usize, usize),
    List(Vec<Val>, usize, usize),
}

/// `key "label" … = value` or `key "label" … {…}`: its keys with their bytes, and its value.
#[derive(Debug)]
struct Item {
    keys: Vec<(String, usize)>,
    val: Val,
    start: usize,
    end: usize,
}

struct Parser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Token>,
}

impl Parser<'_> {
    fn scan(&mut self) -> Result<Token, Bad> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next(),
        }
    }

    fn peek(&mut self) -> Result<Token, Bad> {
        let t = self.scan()?;
        self.peeked = Some(t);
        Ok(t)
    }

    fn text(&self, t: Token) -> &str {
        &self.lex.text[t.start..t.end]
    }

    /// The items of an object body, up to `}` (`in_object`) or the end of the file.
    fn object_list(&mut self, in_object: bool, depth: usize) -> Result<Vec<Item>, Bad> {
        let mut items = Vec::new();
        loop {
            let t = self.peek()?;
            match t.tok {
                Tok::Eof if !in_object => return Ok(items),
                Tok::Eof => return Err(Bad::new("object not closed: expected `}`", t.start)),
                Tok::RBrace if in_object => return Ok(items),
                _ => {}
            }
            items.push(self.object_item(depth)?);
            if self.peek()?.tok == Tok::Comma {
                self.scan()?;
            }
        }
    }

    fn object_item(&mut self, depth: usize) -> Result<Item, Bad> {
        let mut keys = Vec::new();
        loop {
            let t = self.scan()?;
            match t.tok {
                Tok::Ident => keys.push((self.text(t).to_string(), t.start)),
                Tok::Str => keys.push((unquote(self.text(t), t.start)?, t.start)),
                Tok::Assign if keys.len() == 1 => {
                    let val = self.value(depth + 1)?;
                    return Ok(Item { start: keys[0].1, end: val_end(&val), keys, val });
                }
                Tok::Assign if keys.is_empty() => return Err(Bad::new("`=` without a key", t.start)),
                Tok::Assign => return Err(Bad::new("a key with labels must be followed by `{`, not `=`", t.start)),
                Tok::LBrace if !keys.is_empty() => {
                    // Each label nests one level deeper in what policies see.
                    let val = self.object(t, depth + keys.len())?;
                    return Ok(Item { start: keys[0].1, end: val_end(&val), keys, val });
                }
                _ => {
                    return Err(Bad::new(
                        match keys.last() {
                            Some((k, _)) => format!("key `{k}` must be followed by `=` or `{{`, not {}", t.tok.name()),
                            None => format!("expected a key, found {}", t.tok.name()),
                        },
                        t.start,
                    ))
                }
            }
        }
    }

    /// An object after its `{`.
    fn object(&mut self, open: Token, depth: usize) -> Result<Val, Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), open.start));
        }
        let items = self.object_list(true, depth)?;
        let close = self.scan()?;
        Ok(Val::Obj(items, open.start, close.end))
    }

    fn value(&mut self, depth: usize) -> Result<Val, Bad> {
        let t = self.scan()?;
        match t.tok {
            Tok::LBrace => self.object(t, depth),
            Tok::LBrack => self.list(t, depth),
            Tok::Number | Tok::Float | Tok::Bool | Tok::Str | Tok::Heredoc => self.literal(t),
            _ => Err(Bad::new(format!("expected a value, found {}", t.tok.name()), t.start)),
        }
    }

    fn list(&mut self, open: Token, depth: usize) -> Result<Val, Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), open.start));
        }
        let mut items = Vec::new();
        let mut need_comma = false;
        loop {
            let t = self.scan()?;
            if need_comma && !matches!(t.tok, Tok::Comma | Tok::RBrack) {
                return Err(Bad::new(format!("expected `,` or `]` in a list, found {}", t.tok.name()), t.start));
            }
            match t.tok {
                Tok::Number | Tok::Float | Tok::Bool | Tok::Str | Tok::Heredoc => {
                    items.push(self.literal(t)?);
                    need_comma = true;
                }
                Tok::Comma => need_comma = false,
                Tok::LBrace => {
                    items.push(self.object(t, depth + 1)?);
                    need_comma = true;
                }
                // hashicorp/hcl does not ask for a comma after a nested list.
                Tok::LBrack => items.push(self.list(t, depth + 1)?),
                Tok::RBrack => return Ok(Val::List(items, open.start, t.end)),
                _ => return Err(Bad::new(format!("unexpected {} in a list", t.tok.name()), t.start)),
            }
        }
    }

    fn literal(&self, t: Token) -> Result<Val, Bad> {
        let text = self.text(t);
        let kind = match t.tok {
            Tok::Bool => Kind::Bool(text == "true"),
            Tok::Number => Kind::Int(go_int(text).ok_or_else(|| Bad::new(format!("invalid integer {text}"), t.start))?),
            Tok::Float => match text.parse::<f64>() {
                Ok(f) if f.is_finite() => number(f),
                _ => return Err(Bad::new(format!("invalid number {text}"), t.start)),
            },
            Tok::Str => Kind::Str(unquote(text, t.start)?),
            _ => Kind::Str(heredoc_value(text)),
        };
        Ok(Val::Lit(kind, t.start, t.end))
    }
}

fn val_end(v: &Val) -> usize {
    match v {
        Val::Lit(_, _, e) | Val::Obj(_, _, e) | Val::List(_, _, e) => *e,
    }
}

fn val_start(v: &Val) -> usize {
    match v {
        Val::Lit(_, s, _) | Val::Obj(_, s, _) | Val::List(_, s, _) => *s,
    }
}

/// An integer as Go's `strconv.ParseInt(s, 0, 64)` reads the scanner's numbers: `0x` hex, a
/// leading `0` octal.
fn go_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    let v = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if neg { -v } else { v }).ok()
}

/// A quoted string's value: escapes as Go's, the text of `${…}` kept as written.
fn unquote(quoted: &str, at: usize) -> Result<String, Bad> {
    let inner = &quoted[1..quoted.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '$' && inner[i + 1..].starts_with('{') {
            out.push('$');
            let mut depth = 0usize;
            for (_, c) in chars.by_ref() {
                out.push(c);
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let bad = || Bad::new("invalid escape in a string", at + 1 + i);
        let Some((_, e)) = chars.next() else { return Err(bad()) };
        let simple = match e {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (radix, n) = match e {
            '0'..='7' => (8, 2),
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            _ => return Err(bad()),
        };
        let mut digits = String::new();
        if radix == 8 {
            digits.push(e);
        }
        for _ in 0..n {
            match chars.next() {
                Some((_, d)) if d.is_digit(radix) => digits.push(d),
                _ => return Err(bad()),
            }
        }
        let code = u32::from_str_radix(&digits, radix).map_err(|_| bad())?;
        if radix == 8 || e == 'x' {
            // Go's `\NNN` and `\xNN` are bytes; one of 0x80 or more alone is no UTF-8.
            if code > 0x7f {
                return Err(Bad::new("a byte escape above \\x7f is not UTF-8", at + 1 + i));
            }
        }
        out.push(char::from_u32(code).ok_or_else(bad)?);
    }
    Ok(out)
}

/// A heredoc's value as hashicorp/hcl gives it: the lines between the anchors, line feed
/// included; `<<-` removes the anchor line's indentation from every line when they all have it
/// (else the text is kept with trailing white space trimmed).
fn heredoc_value(text: &str) -> String {
    let Some(first) = text.find('\n') else { return String::new() };
    let body_and_anchor = &text[first + 1..text.len() - 1];
    let last_nl = body_and_anchor.rfind('\n');
    let (body, anchor_line) = match last_nl {
        Some(i) => (&body_and_anchor[..=i], &body_and_anchor[i + 1..]),
        None => ("", body_and_anchor),
    };
    if !text[2..].starts_with('-') {
        return body.to_string();
    }
    let prefix = &anchor_line[..anchor_line.len() - anchor_line.trim_start().len()];
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    if lines.iter().all(|l| l.starts_with(prefix)) {
        lines.iter().map(|l| &l[prefix.len()..]).collect()
    } else {
        format!("{}{prefix}", body).trim_end().to_string()
    }
}

/// What the decoder builds: hashicorp/hcl decodes into `interface{}`, and what it made first
/// decides how a later item with the same key adds to it (an object gains keys, a list items).
enum Out {
    Map(Map, usize, usize),
    /// A `[]map[string]interface{}`: its items are decoded as objects.
    MapSlice(Vec<Out>, usize, usize),
    /// A `[]interface{}` (a list).
    AnySlice(Vec<Out>, usize, usize),
    Lit(Kind, usize, usize),
}

#[derive(Default)]
struct Map {
    members: Vec<(String, usize, Out)>,
    index: HashMap<String, usize>,
}

/// The node the decoder reads: an item list (after the first keys some items had were consumed),
/// an object, a single item (with consumed keys), a list or a literal.
#[derive(Clone)]
enum Src<'a> {
    Items(Vec<(&'a Item, usize)>),
    Obj(&'a [Item], usize, usize),
    Item(&'a Item, usize),
    Val(&'a Val),
}

impl Src<'_> {
    fn span(&self) -> (usize, usize) {
        match self {
            Src::Items(v) => (
                v.first().map_or(0, |(i, k)| i.keys.get(*k).map_or(i.start, |x| x.1)),
                v.last().map_or(0, |(i, _)| i.end),
            ),
            Src::Obj(_, s, e) => (*s, *e),
            Src::Item(i, _) => (i.start, i.end),
            Src::Val(v) => (val_start(v), val_end(v)),
        }
    }
}

fn of_val(v: &Val) -> Src<'_> {
    match v {
        Val::Obj(items, s, e) => Src::Obj(items, *s, *e),
        _ => Src::Val(v),
    }
}

fn decode_interface(src: Src<'_>, top_is_slice: bool, depth: usize) -> Result<Out, Bad> {
    let (start, end) = src.span();
    if depth > MAX_DEPTH * 2 {
        return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), start));
    }
    match src {
        Src::Items(_) | Src::Obj(..) if top_is_slice => decode_map(src, Map::default(), depth),
        Src::Items(_) | Src::Obj(..) => decode_slice(src, Out::MapSlice(Vec::new(), start, end), depth),
        Src::Val(Val::List(..)) => decode_slice(src, Out::AnySlice(Vec::new(), start, end), depth),
        Src::Val(Val::Lit(k, s, e)) => Ok(Out::Lit(k.clone(), *s, *e)),
        Src::Val(Val::Obj(items, s, e)) => decode_interface(Src::Obj(items, *s, *e), top_is_slice, depth),
        Src::Item(..) => Err(Bad::new("an item where a value was expected", start)),
    }
}

fn decode_into(src: Src<'_>, old: Option<Out>, depth: usize) -> Result<Out, Bad> {
    match old {
        None | Some(Out::Lit(..)) => decode_interface(src, false, depth + 1),
        Some(Out::Map(m, ..)) => decode_map(src, m, depth + 1),
        Some(slice) => decode_slice(src, slice, depth + 1),
    }
}

fn decode_map(src: Src<'_>, mut map: Map, depth: usize) -> Result<Out, Bad> {
    let (start, end) = src.span();
    let items: Vec<(&Item, usize)> = match src {
        Src::Items(v) => v,
        Src::Obj(items, ..) => items.iter().map(|i| (i, 0)).collect(),
        Src::Item(i, k) => vec![(i, k)],
        Src::Val(Val::Obj(items, ..)) => items.iter().map(|i| (i, 0)).collect(),
        Src::Val(_) => return Err(Bad::new("an object was expected here (another item with this key is one)", start)),
    };
    // The items by their next key compared as Go's EqualFold, gathered once: a filter per key over
    // every item was quadratic in a file of 100,000 labelled blocks.
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    if items.iter().any(|(i, k)| i.keys.len() > k + 1) {
        for (n, (i, k)) in items.iter().enumerate() {
            if let Some((key, _)) = i.keys.get(*k) {
                groups.entry(key.to_lowercase()).or_default().push(n);
            }
        }
    }
    // hashicorp/hcl skips a key it has filtered (by its exact text; here as EqualFold compares, so
    // that case variants of one key cannot make the filtering quadratic either).
    let mut done: HashSet<String> = HashSet::new();
    for &(item, skip) in &items {
        let Some((key, at)) = item.keys.get(skip) else {
            return Err(Bad::new("a block without labels among blocks of this type with labels", item.start));
        };
        let lower = key.to_lowercase();
        if done.contains(&lower) {
            continue;
        }
        let val = if item.keys.len() - skip > 1 {
            let group = groups.get(&lower).map(Vec::as_slice).unwrap_or(&[]);
            let filtered = group.iter().map(|&n| (items[n].0, items[n].1 + 1)).collect();
            done.insert(lower);
            Src::Items(filtered)
        } else {
            of_val(&item.val)
        };
        let old = map.index.get(key).map(|&i| std::mem::replace(&mut map.members[i].2, Out::Lit(Kind::Null, 0, 0)));
        let out = decode_into(val, old, depth)?;
        match map.index.get(key) {
            Some(&i) => map.members[i].2 = out,
            None => {
                map.index.insert(key.clone(), map.members.len());
                map.members.push((key.clone(), *at, out));
            }
        }
    }
    Ok(Out::Map(map, start, end))
}

fn decode_slice(src: Src<'_>, slice: Out, depth: usize) -> Result<Out, Bad> {
    let (start, end) = src.span();
    let elems: Vec<Src> = match &src {
        Src::Items(v) => v.iter().map(|&(i, k)| Src::Item(i, k)).collect(),
        Src::Obj(..) => vec![src.clone()],
        Src::Val(Val::List(vals, ..)) => vals.iter().map(of_val).collect(),
        Src::Val(Val::Obj(items, s, e)) => vec![Src::Obj(items, *s, *e)],
        _ => return Err(Bad::new("a list or object was expected here (another item with this key is one)", start)),
    };
    let (maps, mut items, s0) = match slice {
        Out::MapSlice(v, s, _) => (true, v, s),
        Out::AnySlice(v, s, _) => (false, v, s),
        _ => return Err(Bad::new("internal: not a list", start)),
    };
    for e in elems {
        items.push(if maps {
            decode_map(e, Map::default(), depth + 1)?
        } else {
            decode_interface(e, true, depth + 1)?
        });
    }
    let s = if items.len() > 1 { s0.min(start) } else { start };
    Ok(if maps { Out::MapSlice(items, s, end) } else { Out::AnySlice(items, s, end) })
}

fn to_node(out: Out) -> Node {
    match out {
        Out::Map(m, s, e) => Node::new(
            Kind::Obj(m.members.into_iter().map(|(key, at, v)| Member { key, at, value: to_node(v) }).collect()),
            s,
            e,
        ),
        Out::MapSlice(v, s, e) | Out::AnySlice(v, s, e) => {
            Node::new(Kind::Arr(v.into_iter().map(to_node).collect()), s, e)
        }
        Out::Lit(k, s, e) => Node::new(k, s, e),
    }
}

/// Parse an HCL1 file into the object hashicorp/hcl decodes it to.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut p = Parser { lex: Lexer { text, b: text.as_bytes(), at: 0 }, peeked: None };
    if p.peek()?.tok == Tok::LBrace {
        return Err(Bad::new("HCL's JSON form is not read as HCL1 (name the file .json)", p.peek()?.start));
    }
    let items = p.object_list(false, 0)?;
    let root = decode_interface(Src::Obj(&items, 0, text.len()), true, 0)?;
    Ok(to_node(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        super::super::json_of(parse(text))
    }

    #[test]
    fn shape_as_hashicorp_hcl_decodes_it() {
        let text = r#"
provider "google" {
  project = "p" # comment
  version = "2.5.0"
}
resource "a" "x" { n = 1 }
resource "a" "y" {
  f = 1.5
  h = 0x10
  o = 010
  m = { k = "v" }
  l = [1, "two", {z = true}, [3]]
  inner { q = -2 }
  inner { q = 3 }
}
s = "a\tb ${var.x["k"]}\u00e9"
top = 1
top = 2
"#;
        assert_eq!(
            json(text),
            serde_json::json!({
                "provider": [{"google": [{"project": "p", "version": "2.5.0"}]}],
                "resource": [
                    {"a": [{"x": [{"n": 1}]}]},
                    {"a": [{"y": [{"f": 1.5, "h": 16, "o": 8, "m": [{"k": "v"}],
                                    "l": [1, "two", {"z": true}, [3]],
                                    "inner": [{"q": -2}, {"q": 3}]}]}]}
                ],
                "s": "a\tb ${var.x[\"k\"]}é",
                "top": 2
            })
        );
    }

    #[test]
    fn heredocs() {
        assert_eq!(json("a = <<EOF\nx\n  y\nEOF\n")["a"], "x\n  y\n");
        assert_eq!(json("a = <<-EOF\n    x\n      y\n    EOF\n")["a"], "x\n  y\n");
    }

    #[test]
    fn bad_input_has_a_place() {
        assert_eq!(parse("a = 1\nb = \n").expect_err("no value").at, 11);
        assert_eq!(parse("a \"b\" = 1\n").expect_err("labels with =").at, 6);
        assert_eq!(parse("x {\n a = 1\n").expect_err("unclosed").at, 11);
        assert_eq!(parse("a = \"x\n").expect_err("unterminated").at, 4);
        assert_eq!(parse("a = [1 2]").expect_err("no comma").at, 7);
        assert_eq!(parse("a = 1\nb\n").expect_err("a bare key").at, 8);
        assert!(parse("a = <<EOF\nx\n").is_err());
        assert!(parse("a = 0x\n").is_err());
        assert!(parse("a = \"\\q\"\n").is_err());
        let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).expect_err("deep").message.contains("nesting"));
        let labels = format!("a {} {{}}", "b ".repeat(100_000));
        assert!(parse(&labels).expect_err("deep").message.contains("nesting"));
    }
}
