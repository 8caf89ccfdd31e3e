//! HCL2 native syntax read into the small tree the conversion needs: attributes and blocks with
//! their spans, and of each expression its span and, when hcl2json renders it as a value (a
//! literal, a string, a template, an array or object of them), that value; any other expression
//! is only its span (its source text becomes `${…}`).
//!
//! The grammar is the one `hcl-edit` 0.10 parsed before this reader replaced it, rule for rule, so
//! the same files are accepted with the same spans and values: where whitespace may hold newlines
//! (after an array, a function call or a `for` object, and inside brackets), which `-` starts a
//! negative number, what ends a heredoc (a `<<-` heredoc is dedented as Terraform does it).
//! Scannerless, as HCL's templates need (what a character means depends on whether it is inside
//! `"…"`, `${…}` or a heredoc). A failed rule either gives way to the next alternative
//! (`Fail::Back`) or ends the parse at a byte (`Fail::Cut`), as `hcl-edit`'s did, so a bad file is
//! reported where it was.
//! Nesting is bounded (64 levels of expressions, templates and blocks; 128 chained binary
//! operators), so no input overflows the stack, and every rule moves forward or gives way after a
//! bounded look-ahead, so time is linear in the input.

use super::text::{flush_heredoc, Num};

/// An expression: its bytes and what the conversion needs of it.
#[derive(Debug)]
pub struct Ex {
    pub v: V,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug)]
pub enum V {
    Null,
    Bool(bool),
    Num(Num),
    /// A quoted string with no interpolation or directive.
    Str(String),
    /// A quoted template.
    Template(Vec<El>),
    /// A heredoc's template (a `<<-` one's indentation stripped).
    Heredoc(Vec<El>),
    Arr(Vec<Ex>),
    Obj(Vec<(Key, Ex)>),
    /// A traversal (`a.b`, `a[0]`, `a.*`), kept apart because an object key renders it bare.
    Traversal,
    /// `-` or `!` applied to an expression term.
    Neg(Box<Ex>),
    Not(Box<Ex>),
    /// A variable, alone (an object key renders it as its name).
    Var,
    /// Anything else: a call, an operation, a conditional, a `for`, parentheses.
    Other,
}

/// A part of a template.
#[derive(Debug)]
pub enum El {
    Lit(String),
    Interp(Ex),
    /// A `%{if}` or `%{for}` directive with its bytes (rendered as written).
    Dir(usize, usize),
}

/// An object key: a bare name, or an expression.
#[derive(Debug)]
pub enum Key {
    Ident(String, usize),
    Expr(Ex),
}

impl Key {
    pub fn start(&self) -> usize {
        match self {
            Key::Ident(_, at) => *at,
            Key::Expr(e) => e.start,
        }
    }
}

/// An attribute or a block of a body.
#[derive(Debug)]
pub enum Structure {
    Attr {
        key: String,
        key_at: usize,
        start: usize,
        end: usize,
        value: Ex,
    },
    Block {
        ident: String,
        ident_at: usize,
        labels: Vec<(String, usize)>,
        start: usize,
        end: usize,
        body: Vec<Structure>,
    },
}

/// Why a rule did not match: it gives way to the next alternative, or the parse ends at a byte.
#[derive(Debug)]
pub enum Fail {
    Back,
    Cut(usize, String),
}

type R<T> = Result<T, Fail>;

/// The deepest nesting of expressions, templates and blocks (an attribute's value itself not
/// counted), as `hcl-edit`'s.
const MAX_NESTING: usize = 64;
/// The most binary operators on a path through one expression, as `hcl-edit`'s.
const MAX_OPERATORS: usize = 128;

/// Parse a file into its body. `Err`: the byte where it stops being HCL2 and why.
/// An error at the end of the file is placed on its last byte, as `hcl-edit` placed it.
pub fn parse_body(text: &str) -> Result<Vec<Structure>, (usize, String)> {
    let mut p = P { s: text, b: text.as_bytes(), pos: 0, depth: 0, ops: 0, last_close: text.rfind("*/") };
    let last = text.len().saturating_sub(1);
    match p.body() {
        Ok(body) if p.pos == text.len() => Ok(body),
        Ok(_) | Err(Fail::Back) => Err((
            p.pos.min(last),
            "not an attribute or a block (an unterminated string, bracket or expression?)".into(),
        )),
        Err(Fail::Cut(at, message)) => Err((at.min(last), message)),
    }
}

fn cut<T>(at: usize, message: impl Into<String>) -> R<T> {
    Err(Fail::Cut(at, message.into()))
}

fn is_id_start(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic() || c == '_'
    } else {
        unicode_ident::is_xid_start(c)
    }
}

fn is_id_continue(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    } else {
        unicode_ident::is_xid_continue(c)
    }
}

/// Where a literal of a template ends besides `${` and `%{`.
#[derive(Clone, Copy)]
enum Lit<'d> {
    /// `"…"`: at `"` and `\` (an escape).
    Quoted,
    /// A heredoc: at a line ending, optional spaces and the delimiter.
    Heredoc(&'d str),
    /// A directive's body.
    Plain,
}

struct P<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
    /// The binary operators on the deepest path of the expression being read.
    ops: usize,
    /// The last `*/`: an inline comment opening after it is unterminated without a search, so a
    /// file of many unterminated `/*` stays linear.
    last_close: Option<usize>,
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(self.pos + i).copied()
    }

    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn starts(&self, t: &str) -> bool {
        self.b.get(self.pos..).is_some_and(|r| r.starts_with(t.as_bytes()))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, t: &str) -> bool {
        if self.starts(t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }

    fn char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The next two characters, if there are two (`hcl-edit` looks two ahead to choose a rule
    /// and takes none when fewer are left).
    fn two(&self) -> Option<(char, char)> {
        let mut it = self.rest().chars();
        Some((it.next()?, it.next()?))
    }

    fn expect(&mut self, c: u8) -> R<()> {
        if self.eat(c) {
            Ok(())
        } else {
            cut(self.pos, format!("expected `{}`", c as char))
        }
    }

    fn expect_str(&mut self, t: &str) -> R<()> {
        if self.eat_str(t) {
            Ok(())
        } else {
            cut(self.pos, format!("expected `{t}`"))
        }
    }

    // ---- whitespace and comments ----

    fn inline_comment(&mut self) -> bool {
        if !self.starts("/*") {
            return false;
        }
        let from = self.pos + 2;
        if self.last_close.is_none_or(|c| c < from) {
            return false;
        }
        match self.s.get(from..).and_then(|r| r.find("*/")) {
            Some(i) => {
                self.pos = from + i + 2;
                true
            }
            None => false,
        }
    }

    /// Spaces, tabs and `/* */` comments, on one line.
    fn sp(&mut self) {
        loop {
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
            if !self.inline_comment() {
                return;
            }
        }
    }

    /// To the end of the line (a `\r` alone there fails, as winnow's `till_line_ending`).
    fn till_line_ending(&mut self) -> bool {
        let rest = &self.b[self.pos..];
        match rest.iter().position(|&c| c == b'\n' || c == b'\r') {
            None => {
                self.pos = self.b.len();
                true
            }
            Some(i) => {
                if rest[i] == b'\r' && rest.get(i + 1) != Some(&b'\n') {
                    return false;
                }
                self.pos += i;
                true
            }
        }
    }

    /// A `#` or `//` comment.
    fn line_comment(&mut self) -> bool {
        let cp = self.pos;
        let ok = (self.eat(b'#') || self.eat_str("//")) && self.till_line_ending();
        if !ok {
            self.pos = cp;
        }
        ok
    }

    /// Whitespace with newlines, and comments.
    fn ws(&mut self) {
        loop {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                self.pos += 1;
            }
            if !(self.line_comment() || self.inline_comment()) {
                return;
            }
        }
    }

    fn ws_or_sp(&mut self, nl: bool) {
        if nl {
            self.ws()
        } else {
            self.sp()
        }
    }

    fn line_ending(&mut self) -> bool {
        self.eat(b'\n') || self.eat_str("\r\n")
    }

    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let mut chars = self.rest().char_indices();
        match chars.next() {
            Some((_, c)) if is_id_start(c) => {}
            _ => return None,
        }
        let len = chars.find(|&(_, c)| !is_id_continue(c)).map_or(self.s.len() - start, |(i, _)| i);
        self.pos = start + len;
        self.s.get(start..self.pos)
    }

    fn cut_ident(&mut self) -> R<&'a str> {
        match self.ident() {
            Some(id) => Ok(id),
            None => cut(self.pos, "expected an identifier"),
        }
    }

    /// Run `f` one nesting level deeper, its binary operators counted on their own path.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.depth >= MAX_NESTING {
            return cut(self.pos, format!("nested deeper than {MAX_NESTING} levels"));
        }
        self.depth += 1;
        let r = self.op_scope(f);
        self.depth -= 1;
        r
    }

    fn op_scope<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let outer = self.ops;
        self.ops = 0;
        let r = f(self);
        self.ops = outer.max(self.ops);
        r
    }

    // ---- structure ----

    fn body(&mut self) -> R<Vec<Structure>> {
        let mut out = Vec::new();
        let mut keys: std::collections::HashSet<&'a str> = std::collections::HashSet::new();
        loop {
            let cp = self.pos;
            self.ws();
            match self.structure(&mut keys) {
                Ok(s) => out.push(s),
                Err(Fail::Back) => {
                    self.pos = cp;
                    break;
                }
                Err(e) => return Err(e),
            }
            self.sp();
            self.line_comment();
            if !(self.line_ending() || self.pos == self.b.len()) {
                return cut(self.pos, "expected a newline after an attribute or a block");
            }
        }
        self.ws();
        Ok(out)
    }

    fn structure(&mut self, keys: &mut std::collections::HashSet<&'a str>) -> R<Structure> {
        let start = self.pos;
        let Some(ident) = self.ident() else { return Err(Fail::Back) };
        self.sp();
        match self.peek() {
            Some(b'=') => {
                if !keys.insert(ident) {
                    return cut(start, format!("attribute `{ident}` redefined"));
                }
                let value = self.attribute_expr()?;
                Ok(Structure::Attr { key: ident.to_string(), key_at: start, start, end: self.pos, value })
            }
            Some(b'{') => {
                let body = self.block_body()?;
                let ident = ident.to_string();
                Ok(Structure::Block { ident, ident_at: start, labels: Vec::new(), start, end: self.pos, body })
            }
            Some(_) if self.peek() == Some(b'"') || self.char().is_some_and(is_id_start) => {
                let mut labels = Vec::new();
                loop {
                    let at = self.pos;
                    if self.peek() == Some(b'"') {
                        match self.string() {
                            Ok(s) => labels.push((s, at)),
                            Err(Fail::Back) => {
                                self.pos = at;
                                break;
                            }
                            Err(e) => return Err(e),
                        }
                    } else if let Some(id) = self.ident() {
                        labels.push((id.to_string(), at));
                    } else {
                        break;
                    }
                    self.sp();
                }
                let body = self.block_body()?;
                let ident = ident.to_string();
                Ok(Structure::Block { ident, ident_at: start, labels, start, end: self.pos, body })
            }
            Some(_) => cut(self.pos, "expected `=`, `{`, a label or an identifier"),
            None => Err(Fail::Back),
        }
    }

    fn attribute_expr(&mut self) -> R<Ex> {
        self.expect(b'=')?;
        self.sp();
        self.root_expr()
    }

    fn block_body(&mut self) -> R<Vec<Structure>> {
        self.nested(|p| {
            p.expect(b'{')?;
            let cp = p.pos;
            p.sp();
            p.line_comment();
            let body = if p.line_ending() {
                p.body()?
            } else {
                // A one-line block: at most one attribute.
                p.pos = cp;
                p.sp();
                let mut body = Vec::new();
                let start = p.pos;
                if let Some(key) = p.ident() {
                    p.sp();
                    match p.attribute_expr() {
                        Ok(value) => {
                            body.push(Structure::Attr {
                                key: key.to_string(),
                                key_at: start,
                                start,
                                end: p.pos,
                                value,
                            });
                            p.sp();
                        }
                        // No attribute after all: then only `}` may follow.
                        Err(Fail::Back) => p.pos = start,
                        Err(e) => return Err(e),
                    }
                } else {
                    p.pos = start;
                }
                p.sp();
                body
            };
            if !p.eat(b'}') {
                return cut(p.pos, "expected `}` or a newline");
            }
            Ok(body)
        })
    }

    // ---- expressions ----

    fn root_expr(&mut self) -> R<Ex> {
        self.op_scope(|p| p.expr_inner(&mut false))
    }

    fn expr(&mut self) -> R<Ex> {
        self.nested(|p| p.expr_inner(&mut false))
    }

    fn multiline_expr(&mut self) -> R<Ex> {
        self.nested(|p| p.expr_inner(&mut true))
    }

    /// An expression in a context whose whitespace rule it inherits (`hcl-edit`'s cloned state).
    fn expr_with(&mut self, nl: bool) -> R<Ex> {
        self.nested(|p| p.expr_inner(&mut { nl }))
    }

    fn expr_inner(&mut self, nl: &mut bool) -> R<Ex> {
        let start = self.pos;
        let mut e = self.expr_term(nl)?;
        loop {
            let cp = self.pos;
            self.ws_or_sp(*nl);
            match self.two() {
                Some(('?', _)) => {
                    self.conditional(nl)?;
                    return Ok(Ex { v: V::Other, start, end: self.pos });
                }
                Some((a, b))
                    if !(a == '/' && (b == '/' || b == '*'))
                        && ((a == '=' && b == '=')
                            || matches!(a, '!' | '<' | '>' | '+' | '-' | '*' | '/' | '%' | '&' | '|')) =>
                {
                    self.pos = cp;
                    self.binary_ops(nl)?;
                    e = Ex { v: V::Other, start, end: self.pos };
                }
                _ => {
                    self.pos = cp;
                    return Ok(e);
                }
            }
        }
    }

    fn binary_ops(&mut self, nl: &mut bool) -> R<()> {
        let mut n = 0;
        loop {
            let cp = self.pos;
            match self.binary_op(nl, n + 1) {
                Ok(()) => n += 1,
                Err(Fail::Back) if n > 0 => {
                    self.pos = cp;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        self.ops += n;
        Ok(())
    }

    fn binary_op(&mut self, nl: &mut bool, n: usize) -> R<()> {
        self.ws_or_sp(*nl);
        let op_start = self.pos;
        let ok = match self.peek() {
            Some(b'=') => self.at(1) == Some(b'='),
            Some(b'!') => self.at(1) == Some(b'='),
            Some(b'&') => self.at(1) == Some(b'&'),
            Some(b'|') => self.at(1) == Some(b'|'),
            Some(b'<' | b'>') => {
                if self.at(1) == Some(b'=') {
                    self.pos += 1;
                }
                true
            }
            Some(b'/') => !matches!(self.at(1), Some(b'/' | b'*')),
            Some(b'+' | b'-' | b'*' | b'%') => true,
            _ => false,
        };
        if !ok {
            return Err(Fail::Back);
        }
        self.pos += if matches!(self.b[op_start], b'=' | b'!' | b'&' | b'|') { 2 } else { 1 };
        self.ws_or_sp(*nl);
        self.expr_term(&mut { *nl })?;
        if self.ops + n > MAX_OPERATORS {
            return cut(op_start, format!("more than {MAX_OPERATORS} chained binary operators"));
        }
        Ok(())
    }

    fn conditional(&mut self, nl: &mut bool) -> R<()> {
        self.pos += 1; // `?`
        self.ws_or_sp(*nl);
        self.expr_with(*nl)?;
        self.ws_or_sp(*nl);
        self.expect(b':')?;
        self.ws_or_sp(*nl);
        self.expr_with(*nl)?;
        Ok(())
    }

    fn expr_term(&mut self, nl: &mut bool) -> R<Ex> {
        let start = self.pos;
        let Some(c) = self.char() else { return Err(Fail::Back) };
        let v = match c {
            '"' => self.stringlike()?,
            '[' => self.array(nl)?,
            '{' => self.object(nl)?,
            '0'..='9' => V::Num(self.number()?),
            '<' => self.heredoc()?,
            '-' => match self.neg_number() {
                Ok(n) => V::Num(n),
                Err(Fail::Back) => {
                    self.pos = start;
                    self.unary(nl)?
                }
                Err(e) => return Err(e),
            },
            '!' => self.unary(nl)?,
            '(' => {
                self.pos += 1;
                self.ws();
                self.multiline_expr()?;
                self.ws();
                self.expect(b')')?;
                V::Other
            }
            c if is_id_start(c) => self.identlike(nl)?,
            _ => return cut(start, "expected an expression"),
        };
        let cp = self.pos;
        self.ws_or_sp(*nl);
        match self.two() {
            Some((a, b)) if !(a == '.' && b == '.') && (a == '.' || a == '[') => {
                self.traversal(*nl)?;
                Ok(Ex { v: V::Traversal, start, end: self.pos })
            }
            _ => {
                self.pos = cp;
                Ok(Ex { v, start, end: self.pos })
            }
        }
    }

    fn traversal(&mut self, nl: bool) -> R<()> {
        let mut n = 0;
        loop {
            let cp = self.pos;
            self.ws_or_sp(nl);
            let r = if self.starts("..") { Err(Fail::Back) } else { self.traversal_operator() };
            match r {
                Ok(()) => n += 1,
                Err(Fail::Back) if n > 0 => {
                    self.pos = cp;
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn traversal_operator(&mut self) -> R<()> {
        if self.eat(b'.') {
            self.ws();
            match self.char() {
                Some('*') => self.pos += 1,
                Some('0'..='9') => {
                    let start = self.pos;
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    if self.s[start..self.pos].parse::<u64>().is_err() {
                        return Err(Fail::Back);
                    }
                }
                Some(c) if is_id_start(c) => {
                    self.ident();
                }
                Some(_) => return cut(self.pos, "expected `*`, an identifier or an index after `.`"),
                None => return Err(Fail::Back),
            }
            Ok(())
        } else if self.eat(b'[') {
            self.ws();
            if !self.eat(b'*') {
                self.multiline_expr()?;
            }
            self.ws();
            self.expect(b']')
        } else {
            Err(Fail::Back)
        }
    }

    fn unary(&mut self, nl: &mut bool) -> R<V> {
        let neg = self.peek() == Some(b'-');
        self.pos += 1;
        self.sp();
        let inner_nl = *nl;
        let operand = self.nested(|p| p.expr_term(&mut { inner_nl }))?;
        Ok(if neg { V::Neg(Box::new(operand)) } else { V::Not(Box::new(operand)) })
    }

    fn neg_number(&mut self) -> R<Num> {
        self.pos += 1; // `-`
        self.sp();
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(Fail::Back);
        }
        Ok(self.number()?.neg())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn exponent(&mut self) -> R<()> {
        self.pos += 1; // `e` or `E`
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        if self.digits() == 0 {
            return cut(self.pos, "expected a digit");
        }
        Ok(())
    }

    /// A number: a float if it has a fraction or an exponent and is finite, else the integer
    /// its digits make (a float when it exceeds `u64`).
    fn number(&mut self) -> R<Num> {
        let start = self.pos;
        if self.digits() == 0 {
            return Err(Fail::Back);
        }
        let int_end = self.pos;
        let is_float = if self.peek() == Some(b'.') && self.at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.digits();
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.exponent()?;
            }
            true
        } else if matches!(self.peek(), Some(b'e' | b'E')) {
            self.exponent()?;
            true
        } else {
            false
        };
        if is_float {
            if let Some(f) = self.s[start..self.pos].parse::<f64>().ok().filter(|f| f.is_finite()) {
                return Ok(Num::from_f64(f));
            }
            self.pos = int_end;
        }
        let digits = &self.s[start..int_end];
        if let Ok(u) = digits.parse::<u64>() {
            return Ok(Num::PosInt(u));
        }
        match digits.parse::<f64>().ok().filter(|f| f.is_finite()) {
            Some(f) => Ok(Num::from_f64(f)),
            None => Err(Fail::Back),
        }
    }

    fn identlike(&mut self, nl: &mut bool) -> R<V> {
        let Some(ident) = self.ident() else { return Err(Fail::Back) };
        let cp = self.pos;
        self.ws_or_sp(*nl);
        match self.two() {
            Some((':', ':')) | Some(('(', _)) => {
                while self.eat_str("::") {
                    self.ws_or_sp(*nl);
                    self.cut_ident()?;
                    self.ws_or_sp(*nl);
                }
                self.func_args(nl)?;
                Ok(V::Other)
            }
            _ => {
                self.pos = cp;
                Ok(match ident {
                    "null" => V::Null,
                    "true" => V::Bool(true),
                    "false" => V::Bool(false),
                    _ => V::Var,
                })
            }
        }
    }

    fn func_args(&mut self, nl: &mut bool) -> R<()> {
        *nl = true;
        self.expect(b'(')?;
        let mut n = 0;
        loop {
            let cp = self.pos;
            if n > 0 && !self.eat(b',') {
                break;
            }
            self.ws();
            let r = if matches!(self.peek(), None | Some(b',' | b'.' | b')')) {
                Err(Fail::Back)
            } else {
                self.expr_with(true)
            };
            match r {
                Ok(_) => {
                    self.ws();
                    n += 1;
                }
                Err(Fail::Back) => {
                    self.pos = cp;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if n > 0 {
            if self.eat(b'.') {
                self.expect_str("..")?;
            } else {
                self.eat(b',');
            }
        }
        self.ws();
        self.expect(b')')
    }

    /// Whether a `for` expression follows (`for` and a space or comment, as `hcl-edit` decides).
    fn for_follows(&mut self) -> bool {
        let cp = self.pos;
        self.ws();
        let yes = self.starts("for") && matches!(self.at(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.pos = cp;
        yes
    }

    fn for_intro(&mut self) -> R<()> {
        self.ws();
        self.pos += 3; // `for`
        self.ws();
        self.for_head()?;
        self.expect(b':')
    }

    /// A `for`'s variables and collection, in an expression or a `%{for}` directive:
    /// `k, v in expr`, with the whitespace after it.
    fn for_head(&mut self) -> R<()> {
        self.cut_ident()?;
        self.ws();
        if self.eat(b',') {
            self.ws();
            self.cut_ident()?;
            self.ws();
        }
        self.expect_str("in")?;
        self.ws();
        self.expr()?;
        self.ws();
        Ok(())
    }

    fn for_cond(&mut self, nl: bool) -> R<()> {
        let cp = self.pos;
        self.ws();
        if !self.eat_str("if") {
            self.pos = cp;
            return Ok(());
        }
        self.ws();
        match self.expr_with(nl) {
            Ok(_) => {
                self.ws();
                Ok(())
            }
            Err(Fail::Back) => {
                self.pos = cp;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn array(&mut self, nl: &mut bool) -> R<V> {
        *nl = true;
        self.pos += 1; // `[`
        let v = if self.for_follows() {
            self.for_intro()?;
            self.ws();
            self.expr_with(*nl)?;
            self.ws();
            self.for_cond(*nl)?;
            V::Other
        } else {
            let mut items = Vec::new();
            loop {
                let cp = self.pos;
                if !items.is_empty() && !self.eat(b',') {
                    break;
                }
                self.ws();
                let r = if matches!(self.peek(), None | Some(b']')) { Err(Fail::Back) } else { self.expr_with(*nl) };
                match r {
                    Ok(e) => {
                        self.ws();
                        items.push(e);
                    }
                    Err(Fail::Back) => {
                        self.pos = cp;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            self.eat(b',');
            self.ws();
            V::Arr(items)
        };
        self.expect(b']')?;
        Ok(v)
    }

    fn object(&mut self, nl: &mut bool) -> R<V> {
        self.pos += 1; // `{`
        let v = if self.for_follows() {
            *nl = true;
            self.for_intro()?;
            self.ws();
            self.expr()?;
            self.ws();
            self.expect_str("=>")?;
            self.ws();
            self.expr()?;
            self.ws();
            if self.eat_str("...") {
                self.ws();
            }
            self.for_cond(*nl)?;
            V::Other
        } else {
            V::Obj(self.object_items()?)
        };
        self.expect(b'}')?;
        Ok(v)
    }

    fn object_items(&mut self) -> R<Vec<(Key, Ex)>> {
        let mut items: Vec<(Key, Ex)> = Vec::new();
        let mut seen: std::collections::HashSet<(bool, String)> = std::collections::HashSet::new();
        loop {
            self.ws();
            match self.peek() {
                None => return Err(Fail::Back),
                Some(b'}') => return Ok(items),
                Some(_) => {}
            }
            let key_start = self.pos;
            let key = self.expr()?;
            self.sp();
            // `hcl-edit` compares keys as trees; comparing their source text differs only for a
            // key written twice with different whitespace or comments inside it.
            let key = match key.v {
                V::Var => Key::Ident(self.s[key.start..key.end].to_string(), key.start),
                _ => Key::Expr(key),
            };
            let source = match &key {
                Key::Ident(name, _) => (true, name.as_str()),
                Key::Expr(e) => (false, &self.s[e.start..e.end]),
            };
            if !seen.insert((source.0, source.1.to_string())) {
                return cut(key_start, "object key redefined");
            }
            match self.peek() {
                Some(b'=' | b':') => self.pos += 1,
                Some(_) => {
                    let len = self.char().map_or(1, char::len_utf8);
                    return cut(self.pos + len, "expected `=` or `:` after an object key");
                }
                None => return Err(Fail::Back),
            }
            self.sp();
            let value = self.expr()?;
            self.sp();
            items.push((key, value));
            match self.peek() {
                Some(b'}') => return Ok(items),
                Some(b'\n' | b',') => self.pos += 1,
                Some(b'\r') => {
                    if !self.eat_str("\r\n") {
                        return Err(Fail::Back);
                    }
                }
                Some(b'#' | b'/') => {
                    if !(self.line_comment() && self.line_ending()) {
                        return Err(Fail::Back);
                    }
                }
                Some(_) => return cut(self.pos, "expected `}`, `,` or a newline after an object item"),
                None => return Err(Fail::Back),
            }
        }
    }

    // ---- strings and templates ----

    /// A quoted string or template: a string when it has no interpolation or directive.
    fn stringlike(&mut self) -> R<V> {
        self.pos += 1; // `"`
        let els = self.elements(Lit::Quoted)?;
        if !self.eat(b'"') {
            return Err(Fail::Back);
        }
        if els.iter().all(|e| matches!(e, El::Lit(_))) {
            let mut s = String::new();
            for e in els {
                if let El::Lit(l) = e {
                    s.push_str(&l);
                }
            }
            return Ok(V::Str(s));
        }
        Ok(V::Template(els))
    }

    /// A quoted string with no interpolation (a block label).
    fn string(&mut self) -> R<String> {
        self.pos += 1; // `"`
        let s = self.literal(Lit::Quoted)?.unwrap_or_default();
        if self.eat(b'"') {
            Ok(s)
        } else {
            Err(Fail::Back)
        }
    }

    fn elements(&mut self, lit: Lit) -> R<Vec<El>> {
        let mut out = Vec::new();
        loop {
            let cp = self.pos;
            if let Some(s) = self.literal(lit)? {
                out.push(El::Lit(s));
                continue;
            }
            if self.starts("${") {
                match self.interpolation() {
                    Ok(e) => {
                        out.push(El::Interp(e));
                        continue;
                    }
                    Err(Fail::Back) => self.pos = cp,
                    Err(e) => return Err(e),
                }
            }
            if self.starts("%{") {
                match self.directive() {
                    Ok(()) => {
                        out.push(El::Dir(cp, self.pos));
                        continue;
                    }
                    Err(Fail::Back) => self.pos = cp,
                    Err(e) => return Err(e),
                }
            }
            return Ok(out);
        }
    }

    /// Whether a heredoc's closing line starts here (a line ending, spaces, the delimiter).
    fn heredoc_end_at(&self, i: usize, delim: &str) -> bool {
        let mut j = i;
        if self.b.get(j) == Some(&b'\r') {
            j += 1;
        }
        if self.b.get(j) != Some(&b'\n') {
            return false;
        }
        j += 1;
        while matches!(self.b.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        let Some(rest) = self.s.get(j..) else { return false };
        rest.starts_with(delim) && !rest[delim.len()..].chars().next().is_some_and(is_id_continue)
    }

    /// A run of literal text up to the next `${`, `%{` or (by `lit`) end; `None` when empty.
    fn literal(&mut self, lit: Lit) -> R<Option<String>> {
        let mut out = String::new();
        let mut any = false;
        loop {
            if self.eat_str("$${") {
                out.push_str("${");
                any = true;
                continue;
            }
            if self.eat_str("%%{") {
                out.push_str("%{");
                any = true;
                continue;
            }
            let run = self.pos;
            while let Some(c) = self.peek() {
                match c {
                    b'"' | b'\\' if matches!(lit, Lit::Quoted) => break,
                    b'$' | b'%' => {
                        let next = self.at(1);
                        if next == Some(b'{') || (next == Some(c) && self.at(2) == Some(b'{')) {
                            break;
                        }
                    }
                    b'\n' | b'\r' => {
                        if let Lit::Heredoc(delim) = lit {
                            if self.heredoc_end_at(self.pos, delim) {
                                break;
                            }
                        }
                    }
                    _ => {}
                }
                self.pos += 1;
            }
            if self.pos > run {
                out.push_str(&self.s[run..self.pos]);
                any = true;
                continue;
            }
            if matches!(lit, Lit::Quoted) && self.peek() == Some(b'\\') {
                out.push(self.escape()?);
                any = true;
                continue;
            }
            return Ok(any.then_some(out));
        }
    }

    fn escape(&mut self) -> R<char> {
        let at = self.pos;
        self.pos += 1; // `\`
        let Some(c) = self.peek() else { return Err(Fail::Back) };
        self.pos += 1;
        let n = match c {
            b'n' => return Ok('\n'),
            b'r' => return Ok('\r'),
            b't' => return Ok('\t'),
            b'\\' => return Ok('\\'),
            b'"' => return Ok('"'),
            b'u' => 4,
            b'U' => 8,
            _ => return cut(self.pos, "invalid escape sequence (expected \\n, \\r, \\t, \\\\, \\\", \\u or \\U)"),
        };
        let hex = self.b.get(self.pos..self.pos + n).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        let ch = hex
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match ch {
            Some(ch) => {
                self.pos += n;
                Ok(ch)
            }
            None => cut(at + 2, format!("invalid unicode escape (expected {n} hexadecimal digits)")),
        }
    }

    /// `~` after an opening and before a closing control marker.
    fn strip(&mut self) {
        self.eat(b'~');
    }

    fn close_control(&mut self) -> R<()> {
        self.strip();
        self.expect(b'}')
    }

    fn interpolation(&mut self) -> R<Ex> {
        self.pos += 2; // `${`
        self.strip();
        self.ws();
        let e = self.multiline_expr()?;
        self.ws();
        self.close_control()?;
        Ok(e)
    }

    /// After `%{`, `~` and whitespace, the keyword `word`.
    fn open_control(&mut self, word: &str) -> bool {
        let cp = self.pos;
        if self.eat_str("%{") {
            self.strip();
            self.ws();
            if self.eat_str(word) {
                return true;
            }
        }
        self.pos = cp;
        false
    }

    fn end_control(&mut self, word: &str) -> R<()> {
        if !self.eat_str("%{") {
            return Err(Fail::Back);
        }
        self.strip();
        self.ws();
        self.expect_str(word)?;
        self.ws();
        self.close_control()
    }

    fn directive(&mut self) -> R<()> {
        if self.open_control("if") {
            self.ws();
            self.expr()?;
            self.ws();
            self.close_control()?;
            self.nested(|p| p.elements(Lit::Plain))?;
            if self.open_control("else") {
                self.ws();
                self.close_control()?;
                self.nested(|p| p.elements(Lit::Plain))?;
            }
            return self.end_control("endif");
        }
        if self.open_control("for") {
            self.ws();
            self.for_head()?;
            self.close_control()?;
            self.nested(|p| p.elements(Lit::Plain))?;
            return self.end_control("endfor");
        }
        Err(Fail::Back)
    }

    fn heredoc(&mut self) -> R<V> {
        if !self.eat_str("<<") {
            return Err(Fail::Back);
        }
        let indented = self.eat(b'-');
        let Some(delim) = self.ident() else { return cut(self.pos, "expected the heredoc's delimiter") };
        if !self.line_ending() {
            return cut(self.pos, "expected a newline after the heredoc's delimiter");
        }
        let content = self.pos;
        let mut els = self.elements(Lit::Heredoc(delim))?;
        let le_start = self.pos;
        if self.line_ending() {
            let le = &self.s[le_start..self.pos];
            match els.last_mut() {
                Some(El::Lit(l)) => l.push_str(le),
                _ => els.push(El::Lit(le.to_string())),
            }
        } else {
            self.pos = content;
            els.clear();
        }
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if !self.eat_str(delim) || self.char().is_some_and(is_id_continue) {
            return cut(self.pos, format!("expected the heredoc's end `{delim}`"));
        }
        if indented {
            flush_heredoc(&mut els);
        }
        Ok(V::Heredoc(els))
    }
}
