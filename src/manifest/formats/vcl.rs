//! VCL (`*.vcl`, Varnish) as conftest gives it to policies: go-vcl's decoder into a map, read the
//! way that small parser reads it. The file is an object of block types (`backend`, `acl`, `sub`,
//! `director`, `table`), each an object of blocks by their first label; a block with assignments
//! is an object of them (`.port = "8081"` is the key `port`; a nested `.probe = {…}` keeps its
//! dot), wrapped in one object per further label; a block of bare values (an `acl`'s addresses)
//! is their array. Strings lose their quotes, and a string with a `/` in it keeps its opening one
//! (`"10.0.0.0"/8` is `"10.0.0.0"/8`, `"/health"` is `"/health`); `60s` is `60`; `x = y` at the top
//! is a key of the root. What go-vcl's decoder panics or hangs on (an assignment of an expression
//! such as `a + b`, a block without a body, a file with no block) is a `parse/invalid-vcl`
//! finding, as are a string, comment or block the file does not close. A parser of our own: no
//! crate reads VCL into conftest's shape.

use std::collections::HashMap;

use super::{Bad, Kind, Member, Members, Node};

/// Deepest nesting of blocks, parentheses and prefix operators read.
const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T {
    Illegal,
    Eof,
    Ident,
    Int,
    Percent,
    Str,
    Cidr,
    True,
    False,
    Assign,
    Match,
    Plus,
    Bang,
    Equal,
    And,
    Or,
    Comma,
    Semi,
    Colon,
    Hash,
    LineComment,
    LComment,
    RComment,
    LParen,
    RParen,
    LBrace,
    RBrace,
    If,
    Else,
    Return,
    Import,
    Table,
    Acl,
    Backend,
    Sub,
    Call,
    Director,
    /// go-vcl's empty token (a lone `/`, `*`, `|` or `&`).
    Nothing,
}

#[derive(Debug, Clone)]
struct Tok {
    t: T,
    lit: String,
    start: usize,
    end: usize,
}

fn is_letter(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.'
}

/// go-vcl's lexer, byte by byte, one token at a time (the parser looks one token ahead, so a
/// file of millions of tokens is never held as a list of them).
struct Lexer<'a> {
    text: &'a str,
    i: usize,
}

impl Lexer<'_> {
    fn next_tok(&mut self) -> Result<Tok, Bad> {
        let text = self.text;
        let b = text.as_bytes();
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        let mut i = self.i;
        while matches!(at(i), b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        let start = i;
        let c = at(i);
        let one = |t: T| (t, text.get(start..start + 1).unwrap_or("").to_string(), start + 1);
        let (t, lit, end) = match c {
            0 if i >= b.len() => return Ok(Tok { t: T::Eof, lit: String::new(), start, end: start }),
            b'=' if at(i + 1) == b'=' => (T::Equal, "==".into(), i + 2),
            b'=' => one(T::Assign),
            b':' => one(T::Colon),
            b'~' => one(T::Match),
            b',' => one(T::Comma),
            b';' => one(T::Semi),
            b'(' => one(T::LParen),
            b')' => one(T::RParen),
            b'{' => one(T::LBrace),
            b'}' => one(T::RBrace),
            b'!' => one(T::Bang),
            b'+' => one(T::Plus),
            b'#' | b'/' if c == b'#' || at(i + 1) == b'/' => {
                let from = if c == b'#' { i + 1 } else { i + 2 };
                let end = text[from..].find('\n').map_or(b.len(), |n| from + n);
                (if c == b'#' { T::Hash } else { T::LineComment }, text[from..end].trim().to_string(), end)
            }
            b'/' if at(i + 1) == b'*' => (T::LComment, "/*".into(), i + 2),
            b'*' if at(i + 1) == b'/' => (T::RComment, "*/".into(), i + 2),
            b'|' if at(i + 1) == b'|' => (T::Or, "||".into(), i + 2),
            b'&' if at(i + 1) == b'&' => (T::And, "&&".into(), i + 2),
            b'/' | b'*' | b'|' | b'&' => (T::Nothing, String::new(), i + 1),
            b'"' => {
                // Up to a `"` not followed by `/`, or a `;` (which the string swallows), as go-vcl.
                let mut j = i + 1;
                loop {
                    match at(j) {
                        _ if j >= b.len() => return Err(Bad::new("string not terminated", start)),
                        b'"' if at(j + 1) != b'/' => break,
                        b';' => break,
                        _ => j += 1,
                    }
                }
                let s = &text[i + 1..j];
                if s.contains('/') {
                    (T::Cidr, format!("\"{s}"), j + 1)
                } else {
                    (T::Str, s.to_string(), j + 1)
                }
            }
            c if is_letter(c) => {
                let mut j = i;
                while is_letter(at(j)) || at(j).is_ascii_digit() {
                    j += 1;
                }
                let w = &text[i..j];
                let t = match w {
                    "sub" => T::Sub,
                    "call" => T::Call,
                    "true" => T::True,
                    "false" => T::False,
                    "if" => T::If,
                    "else" => T::Else,
                    "return" => T::Return,
                    "table" => T::Table,
                    "import" => T::Import,
                    "acl" => T::Acl,
                    "backend" => T::Backend,
                    "director" => T::Director,
                    _ => T::Ident,
                };
                (t, w.to_string(), j)
            }
            c if c.is_ascii_digit() => {
                let mut j = i;
                while at(j).is_ascii_digit() {
                    j += 1;
                }
                if at(j) == b'%' {
                    (T::Percent, format!("{}%", &text[i..j]), j + 1)
                } else {
                    (T::Int, text[i..j].to_string(), j)
                }
            }
            _ => (T::Illegal, String::new(), i + 1),
        };
        self.i = end;
        Ok(Tok { t, lit, start, end })
    }
}

/// The expressions go-vcl's decoder reads; the others are kept only as what they are.
enum Expr {
    Ident(String),
    Int(i64),
    Str(String),
    Bool(bool),
    Block {
        ty: String,
        labels: Vec<String>,
        body: Option<Vec<Stmt>>,
        start: usize,
        end: usize,
    },
    /// An operator, `if`, a grouping, an integer go-vcl cannot read: not a literal.
    Other,
}

enum Stmt {
    Assign { name: String, at: usize, value: Option<Expr>, vstart: usize, end: usize },
    Field { name: String, at: usize, value: Option<Expr>, end: usize },
    Expr(Option<Expr>, usize, usize),
    Ignored,
}

struct P<'a> {
    lex: Lexer<'a>,
    cur: Tok,
    peek: Tok,
    depth: usize,
}

impl P<'_> {
    fn cur(&self) -> &Tok {
        &self.cur
    }

    fn peek(&self) -> &Tok {
        &self.peek
    }

    fn next(&mut self) -> Result<(), Bad> {
        let t = self.lex.next_tok()?;
        self.cur = std::mem::replace(&mut self.peek, t);
        Ok(())
    }

    fn expect_peek(&mut self, t: T) -> Result<bool, Bad> {
        if self.peek().t == t {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn enter(&mut self) -> Result<(), Bad> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), self.cur().start));
        }
        Ok(())
    }

    fn program(&mut self) -> Result<Vec<Stmt>, Bad> {
        let mut out = Vec::new();
        while self.cur().t != T::Eof {
            out.push(self.statement()?);
            self.next()?;
        }
        Ok(out)
    }

    fn statement(&mut self) -> Result<Stmt, Bad> {
        let cur = self.cur().clone();
        match cur.t {
            T::Ident if self.peek().t == T::Assign => {
                self.next()?;
                self.next()?;
                let vstart = self.cur().start;
                let value = self.expression(1)?;
                let end = self.cur().end;
                if self.peek().t == T::Semi {
                    self.next()?;
                }
                Ok(Stmt::Assign { name: cur.lit, at: cur.start, value, vstart, end })
            }
            T::LComment => {
                self.next()?;
                while self.cur().t != T::RComment {
                    if self.cur().t == T::Eof {
                        return Err(Bad::new("comment not terminated", cur.start));
                    }
                    self.next()?;
                }
                Ok(Stmt::Ignored)
            }
            T::Hash | T::LineComment => Ok(Stmt::Ignored),
            T::Return => {
                if self.expect_peek(T::LParen)? {
                    self.next()?;
                    self.expression(1)?;
                    if self.expect_peek(T::RParen)? && self.peek().t == T::Semi {
                        self.next()?;
                    }
                }
                Ok(Stmt::Ignored)
            }
            T::Call => {
                self.next()?;
                self.expression(1)?;
                if self.peek().t == T::Semi {
                    self.next()?;
                }
                Ok(Stmt::Ignored)
            }
            T::Str if self.peek().t == T::Colon => {
                self.next()?;
                self.next()?;
                let value = self.expression(1)?;
                let end = self.cur().end;
                if self.peek().t == T::Comma {
                    self.next()?;
                }
                Ok(Stmt::Field { name: cur.lit, at: cur.start, value, end })
            }
            _ => {
                let e = self.expression(1)?;
                let end = self.cur().end;
                if self.peek().t == T::Semi {
                    self.next()?;
                }
                Ok(Stmt::Expr(e, cur.start, end))
            }
        }
    }

    fn precedence(t: T) -> u8 {
        match t {
            T::Equal | T::Match | T::And | T::Or => 2,
            T::Plus => 4,
            _ => 1,
        }
    }

    /// go-vcl's Pratt parser; `None` where it has no prefix for the token.
    fn expression(&mut self, prec: u8) -> Result<Option<Expr>, Bad> {
        self.enter()?;
        let cur = self.cur().clone();
        let mut left = match cur.t {
            T::Ident => Expr::Ident(cur.lit),
            // strconv.ParseInt(s, 0, 64): a leading 0 is octal; go-vcl gives nothing for `09`.
            T::Int => {
                let parsed = if cur.lit.len() > 1 && cur.lit.starts_with('0') {
                    i64::from_str_radix(&cur.lit[1..], 8)
                } else {
                    cur.lit.parse::<i64>()
                };
                parsed.map_or(Expr::Other, Expr::Int)
            }
            T::Percent | T::Str | T::Cidr => Expr::Str(cur.lit),
            T::True | T::False => Expr::Bool(cur.t == T::True),
            T::Bang => {
                self.next()?;
                self.expression(6)?;
                Expr::Other
            }
            T::LParen => {
                self.next()?;
                self.expression(1)?;
                if !self.expect_peek(T::RParen)? {
                    self.depth -= 1;
                    return Ok(None);
                }
                Expr::Other
            }
            T::If => {
                self.if_expression()?;
                Expr::Other
            }
            T::Sub | T::Acl | T::Backend | T::Director | T::Table => self.block_expression()?,
            T::LBrace => {
                let body = if self.peek().t == T::Semi { None } else { Some(self.block_statement()?) };
                Expr::Block { ty: "{".into(), labels: Vec::new(), body, start: cur.start, end: self.cur().end }
            }
            _ => {
                self.depth -= 1;
                return Ok(None);
            }
        };
        while self.peek().t != T::Semi && prec < Self::precedence(self.peek().t) {
            if !matches!(self.peek().t, T::Match | T::Plus) {
                break;
            }
            self.next()?;
            let p = Self::precedence(self.cur().t);
            self.next()?;
            self.expression(p)?;
            left = Expr::Other;
        }
        self.depth -= 1;
        Ok(Some(left))
    }

    fn if_expression(&mut self) -> Result<(), Bad> {
        if !self.expect_peek(T::LParen)? {
            return Ok(());
        }
        self.next()?;
        self.expression(1)?;
        if !self.expect_peek(T::RParen)? || !self.expect_peek(T::LBrace)? {
            return Ok(());
        }
        self.block_statement()?;
        if self.peek().t == T::Else {
            self.next()?;
            if self.expect_peek(T::LBrace)? {
                self.block_statement()?;
            }
        }
        Ok(())
    }

    fn block_expression(&mut self) -> Result<Expr, Bad> {
        let head = self.cur().clone();
        let mut labels = Vec::new();
        while !matches!(self.peek().t, T::LBrace | T::Semi) {
            // go-vcl loops for ever here at the end of the file.
            if self.peek().t == T::Eof {
                return Err(Bad::new(format!("`{}` block without a body (`{{`)", head.lit), head.start));
            }
            self.next()?;
            labels.push(self.cur().lit.clone());
        }
        let body = if self.peek().t == T::Semi {
            None
        } else {
            self.next()?;
            Some(self.block_statement()?)
        };
        Ok(Expr::Block { ty: head.lit, labels, body, start: head.start, end: self.cur().end })
    }

    /// The statements of a block, `cur` its `{`; ends with `cur` its `}`.
    fn block_statement(&mut self) -> Result<Vec<Stmt>, Bad> {
        self.enter()?;
        let open = self.cur().start;
        self.next()?;
        let mut out = Vec::new();
        while !matches!(self.cur().t, T::RBrace | T::Eof) {
            out.push(self.statement()?);
            self.next()?;
        }
        if self.cur().t == T::Eof {
            return Err(Bad::new("block not closed: expected `}`", open));
        }
        self.depth -= 1;
        Ok(out)
    }
}

/// What go-vcl's traversal makes of a body.
#[derive(Default)]
struct Content {
    attrs: Vec<(String, usize, Node)>,
    attr_index: HashMap<String, usize>,
    blocks: Vec<Block>,
    flats: Vec<Flat>,
}

/// A bare value of a body; a `{…}` among them is go-vcl's internal block, which only matters
/// where the values are what policies see.
enum Flat {
    Value(Node),
    Block(usize),
}

struct Block {
    ty: String,
    labels: Vec<String>,
    body: Content,
    start: usize,
    end: usize,
}

fn set_attr(c: &mut Content, name: String, at: usize, value: Node) {
    match c.attr_index.get(&name) {
        Some(&i) => c.attrs[i] = (name, at, value),
        None => {
            c.attr_index.insert(name.clone(), c.attrs.len());
            c.attrs.push((name, at, value));
        }
    }
}

fn literal(e: &Expr, start: usize, end: usize) -> Option<Node> {
    let kind = match e {
        Expr::Ident(s) | Expr::Str(s) => Kind::Str(s.clone()),
        Expr::Int(n) => Kind::Int(*n),
        Expr::Bool(b) => Kind::Bool(*b),
        _ => return None,
    };
    Some(Node::new(kind, start, end))
}

fn body_of(body: Option<Vec<Stmt>>, at: usize) -> Result<Content, Bad> {
    match body {
        Some(stmts) => content(stmts),
        None => Err(Bad::new("a block without a body (conftest's VCL decoder fails on it)", at)),
    }
}

fn content(stmts: Vec<Stmt>) -> Result<Content, Bad> {
    let mut c = Content::default();
    for s in stmts {
        match s {
            Stmt::Assign { name, at, value, vstart, end } => match value {
                Some(Expr::Block { body, start: bs, end: be, .. }) => {
                    let body = body_of(body, bs)?;
                    c.blocks.push(Block { ty: name, labels: Vec::new(), body, start: bs, end: be });
                }
                Some(e) => match literal(&e, vstart, end) {
                    Some(v) => set_attr(&mut c, name, at, v),
                    None => {
                        return Err(Bad::new(
                            format!(
                                "`{name}` is not assigned a literal (conftest's VCL decoder fails on an expression)"
                            ),
                            vstart,
                        ))
                    }
                },
                None => {
                    return Err(Bad::new(
                        format!("`{name}` is assigned nothing it can read (conftest's VCL decoder fails on it)"),
                        vstart,
                    ))
                }
            },
            Stmt::Field { name, at, value, end } => {
                let v = match value {
                    Some(Expr::Str(s)) => Node::new(Kind::Str(s), at, end),
                    _ => Node::new(Kind::Null, at, end),
                };
                set_attr(&mut c, name, at, v);
            }
            Stmt::Expr(Some(Expr::Block { ty, labels, body, start, end }), ..) => {
                let body = body_of(body, start)?;
                if ty == "{" {
                    c.flats.push(Flat::Block(start));
                } else {
                    c.blocks.push(Block { ty, labels, body, start, end });
                }
            }
            Stmt::Expr(Some(e @ (Expr::Str(_) | Expr::Int(_) | Expr::Bool(_))), start, end) => {
                // go-vcl keeps strings, CIDRs, booleans and integers (not percentages) as values.
                if let Some(v) = literal(&e, start, end) {
                    c.flats.push(Flat::Value(v));
                }
            }
            _ => {}
        }
    }
    Ok(c)
}

fn by_type(blocks: Vec<Block>) -> Vec<(String, Vec<Block>)> {
    let mut out: Vec<(String, Vec<Block>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for b in blocks {
        match index.get(&b.ty) {
            Some(&i) => out[i].1.push(b),
            None => {
                index.insert(b.ty.clone(), out.len());
                out.push((b.ty.clone(), vec![b]));
            }
        }
    }
    out
}

fn wrap(mut v: Node, labels: &[String], start: usize, end: usize) -> Node {
    for l in labels {
        v = Node::new(Kind::Obj(vec![Member { key: l.clone(), at: start, value: v }]), start, end);
    }
    v
}

/// go-vcl's `decodeBlockToMap`: attributes without their dots, nested blocks by type (one: its
/// object; several: an array of them, each wrapped in its labels); bare values dropped.
fn block_to_map(body: Content, start: usize, end: usize) -> Node {
    let mut members = Members::default();
    for (name, at, v) in body.attrs {
        members.set(Member { key: name.trim_matches('.').to_string(), at, value: v });
    }
    for (ty, blocks) in by_type(body.blocks) {
        let at = blocks[0].start;
        let value = if blocks.len() == 1 {
            let b = blocks.into_iter().next().map(|b| block_to_map(b.body, b.start, b.end));
            b.unwrap_or(Node::new(Kind::Null, at, at))
        } else {
            let (s, e) = (at, blocks.last().map_or(at, |b| b.end));
            let items = blocks
                .into_iter()
                .map(|b| wrap(block_to_map(b.body, b.start, b.end), &b.labels, b.start, b.end))
                .collect();
            Node::new(Kind::Arr(items), s, e)
        };
        members.set(Member { key: ty, at, value });
    }
    Node::new(Kind::Obj(members.into_vec()), start, end)
}

/// Parse a VCL file into the map conftest's VCL parser gives.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut lex = Lexer { text, i: 0 };
    let cur = lex.next_tok()?;
    let peek = lex.next_tok()?;
    let mut p = P { lex, cur, peek, depth: 0 };
    let stmts = p.program()?;
    let root = content(stmts)?;
    if root.attrs.is_empty() && root.blocks.is_empty() {
        return Err(Bad::new("no block or assignment (conftest's VCL decoder fails on such a file)", 0));
    }
    let mut members = Members::default();
    for (name, at, v) in root.attrs {
        members.set(Member { key: name, at, value: v });
    }
    for (ty, blocks) in by_type(root.blocks) {
        let (s, e) = (blocks[0].start, blocks.last().map_or(0, |b| b.end));
        let mut inner = Members::default();
        for b in blocks {
            let first = b.labels.first().cloned().unwrap_or_default();
            let value = if !b.body.attrs.is_empty() || !b.body.blocks.is_empty() {
                if b.labels.is_empty() {
                    return Err(Bad::new(
                        format!("a `{ty}` block without a name (conftest's VCL decoder fails on it)"),
                        b.start,
                    ));
                }
                let labels = b.labels[1..].to_vec();
                wrap(block_to_map(b.body, b.start, b.end), &labels, b.start, b.end)
            } else {
                let mut items = Vec::with_capacity(b.body.flats.len());
                for f in b.body.flats {
                    match f {
                        Flat::Value(v) => items.push(v),
                        Flat::Block(at) => {
                            return Err(Bad::new(
                                "a `{…}` entry among a block's values (conftest gives policies go-vcl's internal block for it)",
                                at,
                            ))
                        }
                    }
                }
                Node::new(Kind::Arr(items), b.start, b.end)
            };
            inner.set(Member { key: first, at: b.start, value });
        }
        members.set(Member { key: ty, at: s, value: Node::new(Kind::Obj(inner.into_vec()), s, e) });
    }
    Ok(Node::new(Kind::Obj(members.into_vec()), 0, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        super::super::json_of(parse(text))
    }

    #[test]
    fn shape_as_go_vcl_decodes_it() {
        let text = r#"# Varnish
vcl = 4;
backend app {
    .host = "127.0.0.1";
    .port = "8081";
    .connect_timeout = 60s;
    .max_connections = 800;
    .probe = {
        .url = "/health";
        .interval = 5s;
    }
}
acl purge {
    "127.0.0.1";
    "10.0.0.0"/8;
    !"10.0.0.1";
}
sub vcl_recv {
    if (req.method == "PURGE") {
        return (synth(405));
    }
    set req.backend_hint = app;
}
"#;
        assert_eq!(
            json(text),
            serde_json::json!({
                "vcl": 4,
                "backend": {"app": {"host": "127.0.0.1", "port": "8081", "connect_timeout": 60,
                                     "max_connections": 800, ".probe": {"url": "\"/health", "interval": 5}}},
                "acl": {"purge": ["127.0.0.1", "\"10.0.0.0\"/8"]},
                "sub": {"vcl_recv": {"req.backend_hint": "app"}}
            })
        );
    }

    #[test]
    fn what_go_vcl_fails_on_is_an_error_with_a_place() {
        assert_eq!(parse("backend a {\n  .port = \"1\";\n").expect_err("unclosed").at, 10);
        assert_eq!(parse("sub x {\n  set a = b + \"c\";\n}\n").expect_err("expression").at, 18);
        assert_eq!(parse("acl x {\n \"a\";\n}\nbackend b").expect_err("no body").at, 16);
        assert_eq!(parse("x = \"abc").expect_err("string").at, 4);
        assert!(parse("# only a comment\n").is_err());
        assert!(parse("backend b;\n").is_err());
        let deep = format!("x = {}1", "!".repeat(100_000));
        assert!(parse(&deep).expect_err("deep").message.contains("nesting"));
    }
}
