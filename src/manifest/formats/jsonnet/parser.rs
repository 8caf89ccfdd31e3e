//! The Jsonnet parser: tokens into the expression tree the evaluator walks, each expression with
//! the bytes it spans (evaluation errors and manifested values point there). Nesting is capped, so
//! a hostile file cannot overflow the stack while it is parsed.

use std::rc::Rc;

use super::super::Bad;
use super::lexer::{Tok, Token};
use super::LIMIT;

/// Deepest nesting of expressions the parser follows.
pub const MAX_NESTING: usize = 500;

pub type P = Rc<Expr>;

/// An expression and where it is.
#[derive(Debug)]
pub struct Expr {
    pub kind: E,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vis {
    Inherit,
    Hidden,
    Visible,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Plus,
    Not,
    BitNot,
}

/// A function's parameter: name and default.
#[derive(Debug)]
pub struct Param {
    pub name: Rc<str>,
    pub default: Option<P>,
}

/// `local name = body` (a function `local f(x) = e` is a bind of a function).
#[derive(Debug)]
pub struct Bind {
    pub name: Rc<str>,
    pub body: P,
}

/// A field name: fixed, or computed (`[e]`).
#[derive(Debug)]
pub enum FieldName {
    Fixed(Rc<str>),
    Computed(P),
}

#[derive(Debug)]
pub struct Field {
    pub name: FieldName,
    pub plus: bool,
    pub vis: Vis,
    pub body: P,
    /// The byte of the field's name.
    pub at: usize,
}

/// `for x in e` or `if e` of a comprehension.
#[derive(Debug)]
pub enum Spec {
    For(Rc<str>, P),
    If(P),
}

#[derive(Debug)]
pub struct ObjBody {
    pub locals: Rc<[Bind]>,
    pub asserts: Vec<(P, Option<P>)>,
    pub fields: Vec<Field>,
}

#[derive(Debug)]
pub enum E {
    Null,
    True,
    False,
    SelfRef,
    Dollar,
    Num(f64),
    Str(Rc<str>),
    Var(Rc<str>),
    Arr(Vec<P>),
    ArrComp(P, Vec<Spec>),
    Obj(Rc<ObjBody>),
    /// `{ locals, [k]: v for ... }`: the locals, key, value, visibility/plus and the specs.
    ObjComp {
        locals: Rc<[Bind]>,
        key: P,
        plus: bool,
        value: P,
        specs: Vec<Spec>,
    },
    Index(P, P),
    SuperIndex(P),
    InSuper(P),
    Slice(P, Option<P>, Option<P>, Option<P>),
    Call(P, Vec<P>, Vec<(Rc<str>, P)>),
    Local(Rc<[Bind]>, P),
    If(P, P, Option<P>),
    Func(Rc<[Param]>, P),
    Assert(P, Option<P>, P),
    Error(P),
    Bin(BinOp, P, P),
    Un(UnOp, P),
    /// `import`, `importstr`, `importbin`: never read.
    Import(&'static str),
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    depth: usize,
}

/// The expression a file is.
pub fn parse(toks: &[Token]) -> Result<P, Bad> {
    let mut p = Parser { toks, i: 0, depth: 0 };
    let e = p.expr()?;
    if p.peek() != &Tok::Eof {
        return Err(p.unexpected("end of file"));
    }
    Ok(e)
}

fn mk(kind: E, start: usize, end: usize) -> P {
    Rc::new(Expr { kind, start, end })
}

/// Binding power of a binary operator (higher binds tighter).
fn binop(t: &Tok) -> Option<(BinOp, u8)> {
    let op = match t {
        Tok::Op(o) => *o,
        Tok::Ident(s) if s == "in" => "in",
        _ => return None,
    };
    Some(match op {
        "*" => (BinOp::Mul, 12),
        "/" => (BinOp::Div, 12),
        "%" => (BinOp::Mod, 12),
        "+" => (BinOp::Add, 11),
        "-" => (BinOp::Sub, 11),
        "<<" => (BinOp::Shl, 10),
        ">>" => (BinOp::Shr, 10),
        "<" => (BinOp::Lt, 9),
        "<=" => (BinOp::Le, 9),
        ">" => (BinOp::Gt, 9),
        ">=" => (BinOp::Ge, 9),
        "in" => (BinOp::In, 9),
        "==" => (BinOp::Eq, 8),
        "!=" => (BinOp::Ne, 8),
        "&" => (BinOp::BitAnd, 7),
        "^" => (BinOp::BitXor, 6),
        "|" => (BinOp::BitOr, 5),
        "&&" => (BinOp::And, 4),
        "||" => (BinOp::Or, 3),
        _ => return None,
    })
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("({s})"),
        Tok::Num(n) => format!("({n})"),
        Tok::Str(_) => "(STRING)".to_string(),
        Tok::Op(o) => format!("\"{o}\""),
        Tok::Eof => "end of file".to_string(),
    }
}

fn keyword(s: &str) -> bool {
    matches!(
        s,
        "assert"
            | "else"
            | "error"
            | "false"
            | "for"
            | "function"
            | "if"
            | "import"
            | "importstr"
            | "importbin"
            | "in"
            | "local"
            | "null"
            | "tailstrict"
            | "then"
            | "self"
            | "super"
            | "true"
    )
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].tok
    }

    fn tok(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn start(&self) -> usize {
        self.tok().start
    }

    fn prev_end(&self) -> usize {
        if self.i == 0 {
            0
        } else {
            self.toks[self.i - 1].end
        }
    }

    fn bump(&mut self) -> Token {
        let t = self.tok().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == kw)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self, what: &str) -> Bad {
        Bad::new(format!("STATIC ERROR: expected {what} but got {}", describe(self.peek())), self.start())
    }

    fn expect_op(&mut self, op: &str) -> Result<(), Bad> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("token {op}")))
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), Bad> {
        if self.is_kw(kw) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.unexpected(kw))
        }
    }

    fn ident(&mut self) -> Result<Rc<str>, Bad> {
        match self.peek() {
            Tok::Ident(s) if !keyword(s) => {
                let s: Rc<str> = Rc::from(s.as_str());
                self.i += 1;
                Ok(s)
            }
            _ => Err(self.unexpected("an identifier")),
        }
    }

    fn enter(&mut self) -> Result<(), Bad> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Bad::new(format!("{LIMIT}nesting deeper than {MAX_NESTING} levels"), self.start()));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<P, Bad> {
        self.enter()?;
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    fn binary(&mut self, min: u8) -> Result<P, Bad> {
        let before = self.depth;
        let r = self.binary_chain(min);
        self.depth = before;
        r
    }

    /// A left-nested chain `a + b + c`: each link one level deeper in the tree, so counted.
    fn binary_chain(&mut self, min: u8) -> Result<P, Bad> {
        let mut lhs = self.unary()?;
        while let Some((op, bp)) = binop(self.peek()) {
            if bp <= min {
                break;
            }
            self.i += 1;
            // `e in super`
            if op == BinOp::In && self.is_kw("super") {
                let end = self.bump().end;
                let start = lhs.start;
                lhs = mk(E::InSuper(lhs), start, end);
                continue;
            }
            self.enter()?;
            let rhs = self.binary(bp)?;
            let (start, end) = (lhs.start, rhs.end);
            lhs = mk(E::Bin(op, lhs, rhs), start, end);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<P, Bad> {
        let start = self.start();
        let op = match self.peek() {
            Tok::Op("-") => Some(UnOp::Neg),
            Tok::Op("+") => Some(UnOp::Plus),
            Tok::Op("!") => Some(UnOp::Not),
            Tok::Op("~") => Some(UnOp::BitNot),
            _ => None,
        };
        if let Some(op) = op {
            self.i += 1;
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            let e = e?;
            let end = e.end;
            return Ok(mk(E::Un(op, e), start, end));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<P, Bad> {
        let before = self.depth;
        let r = self.postfix_chain();
        self.depth = before;
        r
    }

    fn postfix_chain(&mut self) -> Result<P, Bad> {
        let mut e = self.primary()?;
        loop {
            let start = e.start;
            if self.eat_op(".") {
                let at = self.start();
                let name = self.ident()?;
                let end = self.prev_end();
                e = mk(E::Index(e, mk(E::Str(name), at, end)), start, end);
            } else if self.is_op("[") {
                self.i += 1;
                e = self.index_or_slice(e)?;
            } else if self.eat_op("(") {
                let (pos, named) = self.args()?;
                let end = self.prev_end();
                if self.is_kw("tailstrict") {
                    self.i += 1;
                }
                e = mk(E::Call(e, pos, named), start, end);
            } else if self.is_op("{") {
                // `e { ... }` is `e + { ... }`.
                let o = self.primary()?;
                let end = o.end;
                e = mk(E::Bin(BinOp::Add, e, o), start, end);
            } else {
                return Ok(e);
            }
            self.enter()?;
        }
    }

    fn index_or_slice(&mut self, e: P) -> Result<P, Bad> {
        let start = e.start;
        let mut parts: [Option<P>; 3] = [None, None, None];
        let mut n = 0;
        let mut slice = false;
        loop {
            if self.eat_op("]") {
                break;
            }
            if self.eat_op(":") {
                slice = true;
                n += 1;
            } else if self.eat_op("::") {
                slice = true;
                n += 2;
            } else if n < 3 && parts[n].is_none() {
                parts[n] = Some(self.expr()?);
            } else {
                return Err(self.unexpected("token ]"));
            }
            if n > 2 {
                return Err(self.unexpected("token ]"));
            }
        }
        let end = self.prev_end();
        let [a, b, c] = parts;
        if slice {
            return Ok(mk(E::Slice(e, a, b, c), start, end));
        }
        match a {
            Some(i) => Ok(mk(E::Index(e, i), start, end)),
            None => Err(Bad::new("STATIC ERROR: empty index", end.saturating_sub(1))),
        }
    }

    /// Call arguments after `(`, through `)`.
    #[allow(clippy::type_complexity)]
    fn args(&mut self) -> Result<(Vec<P>, Vec<(Rc<str>, P)>), Bad> {
        let mut pos = Vec::new();
        let mut named = Vec::new();
        while !self.eat_op(")") {
            let is_named = matches!(self.peek(), Tok::Ident(s) if !keyword(s))
                && matches!(self.toks.get(self.i + 1).map(|t| &t.tok), Some(Tok::Op("=")));
            if is_named {
                let name = self.ident()?;
                self.i += 1;
                named.push((name, self.expr()?));
            } else {
                if !named.is_empty() {
                    return Err(Bad::new("STATIC ERROR: positional argument after a named argument", self.start()));
                }
                pos.push(self.expr()?);
            }
            if !self.eat_op(",") {
                self.expect_op(")")?;
                break;
            }
        }
        Ok((pos, named))
    }

    fn params(&mut self) -> Result<Rc<[Param]>, Bad> {
        self.expect_op("(")?;
        let mut out: Vec<Param> = Vec::new();
        while !self.eat_op(")") {
            let at = self.start();
            let name = self.ident()?;
            if out.iter().any(|p| p.name == name) {
                return Err(Bad::new(format!("STATIC ERROR: duplicate parameter: {name}"), at));
            }
            let default = if self.eat_op("=") { Some(self.expr()?) } else { None };
            out.push(Param { name, default });
            if !self.eat_op(",") {
                self.expect_op(")")?;
                break;
            }
        }
        Ok(out.into())
    }

    /// `name = e` or `name(params) = e`.
    fn bind(&mut self) -> Result<Bind, Bad> {
        let name = self.ident()?;
        if self.is_op("(") {
            let start = self.start();
            let params = self.params()?;
            self.expect_op("=")?;
            let body = self.expr()?;
            let end = body.end;
            return Ok(Bind { name, body: mk(E::Func(params, body), start, end) });
        }
        self.expect_op("=")?;
        Ok(Bind { name, body: self.expr()? })
    }

    fn primary(&mut self) -> Result<P, Bad> {
        let t = self.bump();
        let (start, end) = (t.start, t.end);
        let kind = match t.tok {
            Tok::Num(n) => E::Num(n),
            Tok::Str(s) => E::Str(Rc::from(s)),
            Tok::Op("(") => {
                let e = self.expr()?;
                self.expect_op(")")?;
                return Ok(e);
            }
            Tok::Op("$") => E::Dollar,
            Tok::Op("[") => return self.array(start),
            Tok::Op("{") => return self.object(start),
            Tok::Ident(s) => match s.as_str() {
                "null" => E::Null,
                "true" => E::True,
                "false" => E::False,
                "self" => E::SelfRef,
                "super" => {
                    if self.eat_op(".") {
                        let at = self.start();
                        let name = self.ident()?;
                        let e = mk(E::Str(name), at, self.prev_end());
                        E::SuperIndex(e)
                    } else if self.eat_op("[") {
                        let e = self.expr()?;
                        self.expect_op("]")?;
                        E::SuperIndex(e)
                    } else {
                        return Err(Bad::new("STATIC ERROR: expected . or [ after super", end));
                    }
                }
                "local" => {
                    let mut binds: Vec<Bind> = Vec::new();
                    loop {
                        let at = self.start();
                        let b = self.bind()?;
                        if binds.iter().any(|x| x.name == b.name) {
                            return Err(Bad::new(format!("STATIC ERROR: duplicate local var: {}", b.name), at));
                        }
                        binds.push(b);
                        if !self.eat_op(",") {
                            break;
                        }
                    }
                    self.expect_op(";")?;
                    let body = self.expr()?;
                    let end = body.end;
                    return Ok(mk(E::Local(binds.into(), body), start, end));
                }
                "if" => {
                    let c = self.expr()?;
                    self.expect_kw("then")?;
                    let a = self.expr()?;
                    let b = if self.is_kw("else") {
                        self.i += 1;
                        Some(self.expr()?)
                    } else {
                        None
                    };
                    let end = b.as_ref().map_or(a.end, |b| b.end);
                    return Ok(mk(E::If(c, a, b), start, end));
                }
                "function" => {
                    let params = self.params()?;
                    let body = self.expr()?;
                    let end = body.end;
                    return Ok(mk(E::Func(params, body), start, end));
                }
                "assert" => {
                    let c = self.expr()?;
                    let m = if self.eat_op(":") { Some(self.expr()?) } else { None };
                    self.expect_op(";")?;
                    let body = self.expr()?;
                    let end = body.end;
                    return Ok(mk(E::Assert(c, m, body), start, end));
                }
                "error" => {
                    let e = self.expr()?;
                    let end = e.end;
                    return Ok(mk(E::Error(e), start, end));
                }
                "import" | "importstr" | "importbin" => {
                    let kw = match s.as_str() {
                        "import" => "import",
                        "importstr" => "importstr",
                        _ => "importbin",
                    };
                    let e = self.tok().clone();
                    if !matches!(e.tok, Tok::Str(_)) {
                        return Err(Bad::new(format!("STATIC ERROR: computed imports are not allowed: {kw}"), e.start));
                    }
                    self.i += 1;
                    return Ok(mk(E::Import(kw), start, e.end));
                }
                _ if keyword(&s) => {
                    return Err(Bad::new(format!("STATIC ERROR: unexpected: ({s}) while parsing terminal"), start))
                }
                _ => E::Var(Rc::from(s)),
            },
            other => {
                return Err(Bad::new(
                    format!("STATIC ERROR: unexpected: {} while parsing terminal", describe(&other)),
                    start,
                ))
            }
        };
        Ok(mk(kind, start, self.prev_end().max(end)))
    }

    fn array(&mut self, start: usize) -> Result<P, Bad> {
        let mut items = Vec::new();
        loop {
            if self.eat_op("]") {
                return Ok(mk(E::Arr(items), start, self.prev_end()));
            }
            let e = self.expr()?;
            if self.is_kw("for") {
                if !items.is_empty() {
                    return Err(Bad::new("STATIC ERROR: comprehension after elements", self.start()));
                }
                let specs = self.specs()?;
                self.expect_op("]")?;
                return Ok(mk(E::ArrComp(e, specs), start, self.prev_end()));
            }
            items.push(e);
            if !self.eat_op(",") {
                self.expect_op("]")?;
                return Ok(mk(E::Arr(items), start, self.prev_end()));
            }
        }
    }

    /// `for x in e` then any `for`/`if`, up to the closing bracket.
    fn specs(&mut self) -> Result<Vec<Spec>, Bad> {
        let mut out = Vec::new();
        loop {
            if self.is_kw("for") {
                self.i += 1;
                let name = self.ident()?;
                self.expect_kw("in")?;
                out.push(Spec::For(name, self.expr()?));
            } else if self.is_kw("if") {
                self.i += 1;
                out.push(Spec::If(self.expr()?));
            } else {
                return Ok(out);
            }
        }
    }

    fn object(&mut self, start: usize) -> Result<P, Bad> {
        let mut locals: Vec<Bind> = Vec::new();
        let mut asserts = Vec::new();
        let mut fields: Vec<Field> = Vec::new();
        loop {
            if self.eat_op("}") {
                break;
            }
            if self.is_kw("local") {
                self.i += 1;
                locals.push(self.bind()?);
            } else if self.is_kw("assert") {
                self.i += 1;
                let c = self.expr()?;
                let m = if self.eat_op(":") { Some(self.expr()?) } else { None };
                asserts.push((c, m));
            } else {
                let f = self.field()?;
                if self.is_kw("for") {
                    let FieldName::Computed(key) = f.name else {
                        return Err(Bad::new("STATIC ERROR: object comprehension needs a computed field name", f.at));
                    };
                    if !fields.is_empty() || !asserts.is_empty() {
                        return Err(Bad::new("STATIC ERROR: object comprehension can only have one field", f.at));
                    }
                    if f.vis != Vis::Inherit {
                        return Err(Bad::new("STATIC ERROR: object comprehensions cannot have hidden fields", f.at));
                    }
                    let specs = self.specs()?;
                    // Locals may also follow the field.
                    while self.eat_op(",") {
                        if self.is_kw("local") {
                            self.i += 1;
                            locals.push(self.bind()?);
                        } else {
                            break;
                        }
                    }
                    self.expect_op("}")?;
                    let e = E::ObjComp { locals: locals.into(), key, plus: f.plus, value: f.body, specs };
                    return Ok(mk(e, start, self.prev_end()));
                }
                if let FieldName::Fixed(n) = &f.name {
                    if fields.iter().any(|g| matches!(&g.name, FieldName::Fixed(m) if m == n)) {
                        return Err(Bad::new(format!("STATIC ERROR: duplicate field: {n}"), f.at));
                    }
                }
                fields.push(f);
            }
            if !self.eat_op(",") {
                self.expect_op("}")?;
                break;
            }
        }
        let body = ObjBody { locals: locals.into(), asserts, fields };
        Ok(mk(E::Obj(Rc::new(body)), start, self.prev_end()))
    }

    fn field(&mut self) -> Result<Field, Bad> {
        let at = self.start();
        let name = match self.peek() {
            Tok::Ident(s) if !keyword(s) => FieldName::Fixed(Rc::from(s.as_str())),
            Tok::Str(s) => FieldName::Fixed(Rc::from(s.as_str())),
            Tok::Op("[") => {
                self.i += 1;
                let e = self.expr()?;
                self.expect_op("]")?;
                FieldName::Computed(e)
            }
            _ => return Err(self.unexpected("a field name")),
        };
        if let FieldName::Fixed(_) = name {
            self.i += 1;
        }
        // A method: `f(x):: body`.
        let params = if self.is_op("(") { Some((self.start(), self.params()?)) } else { None };
        let (plus, vis) = match self.peek() {
            Tok::Op(":") => (false, Vis::Inherit),
            Tok::Op("::") => (false, Vis::Hidden),
            Tok::Op(":::") => (false, Vis::Visible),
            Tok::Op("+:") => (true, Vis::Inherit),
            Tok::Op("+::") => (true, Vis::Hidden),
            Tok::Op("+:::") => (true, Vis::Visible),
            _ => return Err(self.unexpected("token :")),
        };
        self.i += 1;
        if plus && params.is_some() {
            return Err(Bad::new("STATIC ERROR: cannot use +: syntax sugar in a method", at));
        }
        let body = self.expr()?;
        let body = match params {
            Some((pstart, ps)) => {
                let end = body.end;
                mk(E::Func(ps, body), pstart, end)
            }
            None => body,
        };
        Ok(Field { name, plus, vis, body, at })
    }
}

/// go-jsonnet's static checks, before anything is evaluated: every variable is bound, and `self`,
/// `super` and `$` are used inside an object. Without them a mistake in a field nothing reads (a
/// hidden one) would pass where conftest fails on the file.
pub fn check(e: &P) -> Result<(), Bad> {
    let mut scope: Vec<Rc<str>> = vec![Rc::from("std")];
    Checker { scope: &mut scope, in_object: false }.expr(e)
}

struct Checker<'s> {
    scope: &'s mut Vec<Rc<str>>,
    in_object: bool,
}

impl Checker<'_> {
    fn with<T>(&mut self, names: impl IntoIterator<Item = Rc<str>>, f: impl FnOnce(&mut Self) -> T) -> T {
        let n = self.scope.len();
        self.scope.extend(names);
        let r = f(self);
        self.scope.truncate(n);
        r
    }

    fn object<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let was = self.in_object;
        self.in_object = true;
        let r = f(self);
        self.in_object = was;
        r
    }

    fn opt(&mut self, e: &Option<P>) -> Result<(), Bad> {
        e.as_ref().map_or(Ok(()), |e| self.expr(e))
    }

    /// A comprehension's specs, each seeing the variables of those before it, then `body`.
    fn specs(&mut self, specs: &[Spec], body: &mut dyn FnMut(&mut Self) -> Result<(), Bad>) -> Result<(), Bad> {
        let Some((first, rest)) = specs.split_first() else { return body(self) };
        match first {
            Spec::For(name, e) => {
                self.expr(e)?;
                self.with([name.clone()], |c| c.specs(rest, body))
            }
            Spec::If(e) => {
                self.expr(e)?;
                self.specs(rest, body)
            }
        }
    }

    fn expr(&mut self, e: &P) -> Result<(), Bad> {
        let outside = |what: &str| Bad::new(format!("STATIC ERROR: can't use {what} outside of an object."), e.start);
        match &e.kind {
            E::Null | E::True | E::False | E::Num(_) | E::Str(_) | E::Import(_) => Ok(()),
            E::SelfRef if !self.in_object => Err(outside("self")),
            E::Dollar if !self.in_object => Err(outside("$")),
            E::SelfRef | E::Dollar => Ok(()),
            E::Var(name) => {
                if self.scope.iter().rev().any(|n| n == name) {
                    Ok(())
                } else {
                    Err(Bad::new(format!("STATIC ERROR: Unknown variable: {name}"), e.start))
                }
            }
            E::Arr(items) => items.iter().try_for_each(|i| self.expr(i)),
            E::ArrComp(body, specs) => self.specs(specs, &mut |c| c.expr(body)),
            E::Obj(body) => {
                for f in &body.fields {
                    if let FieldName::Computed(k) = &f.name {
                        self.expr(k)?;
                    }
                }
                let names: Vec<Rc<str>> = body.locals.iter().map(|b| b.name.clone()).collect();
                self.with(names, |c| {
                    c.object(|c| {
                        body.locals.iter().try_for_each(|b| c.expr(&b.body))?;
                        body.asserts.iter().try_for_each(|(a, m)| {
                            c.expr(a)?;
                            c.opt(m)
                        })?;
                        body.fields.iter().try_for_each(|f| c.expr(&f.body))
                    })
                })
            }
            E::ObjComp { locals, key, value, specs, .. } => self.specs(specs, &mut |c| {
                c.expr(key)?;
                let names: Vec<Rc<str>> = locals.iter().map(|b| b.name.clone()).collect();
                c.with(names, |c| {
                    c.object(|c| {
                        locals.iter().try_for_each(|b| c.expr(&b.body))?;
                        c.expr(value)
                    })
                })
            }),
            E::Index(a, b) | E::Bin(_, a, b) => {
                self.expr(a)?;
                self.expr(b)
            }
            E::SuperIndex(x) | E::InSuper(x) => {
                if !self.in_object {
                    return Err(outside("super"));
                }
                self.expr(x)
            }
            E::Slice(a, x, y, z) => {
                self.expr(a)?;
                self.opt(x)?;
                self.opt(y)?;
                self.opt(z)
            }
            E::Call(f, pos, named) => {
                self.expr(f)?;
                pos.iter().try_for_each(|a| self.expr(a))?;
                named.iter().try_for_each(|(_, a)| self.expr(a))
            }
            E::Local(binds, body) => {
                let names: Vec<Rc<str>> = binds.iter().map(|b| b.name.clone()).collect();
                self.with(names, |c| {
                    binds.iter().try_for_each(|b| c.expr(&b.body))?;
                    c.expr(body)
                })
            }
            E::If(a, b, x) => {
                self.expr(a)?;
                self.expr(b)?;
                self.opt(x)
            }
            E::Func(params, body) => {
                let names: Vec<Rc<str>> = params.iter().map(|p| p.name.clone()).collect();
                self.with(names, |c| {
                    params.iter().try_for_each(|p| c.opt(&p.default))?;
                    c.expr(body)
                })
            }
            E::Assert(a, m, body) => {
                self.expr(a)?;
                self.opt(m)?;
                self.expr(body)
            }
            E::Error(x) | E::Un(_, x) => self.expr(x),
        }
    }
}
