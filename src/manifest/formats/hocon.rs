//! HOCON (`*.hocon`, or `--parser hocon`) as conftest gives it to policies: go-akka/configuration
//! reads the file, then conftest walks every top-level key (each must be an object) and turns every
//! value that is not an object into its go-akka text, typed by Go's `ParseFloat` then `ParseBool`.
//! So `port = 9001` is the number 9001, `on = true` a boolean, `t = 75 seconds` the text
//! `"75 seconds"` *with* its quotes (go-akka quotes text holding a space or tab), `s = ""` and
//! `s = null` the two characters `""`, an array its text (`"[1,2]"`, `[]` being
//! `"<<unknown value>>"`, as is an unresolved optional substitution). A repeated key replaces the
//! value, objects merge, and `${?x}` that resolves to nothing keeps the value the key had before.
//! Substitutions resolve against this file only (go-akka also reads the environment; tollgate never
//! does), bounded; a cycle is an error, as in go-akka. `include` is an error: tollgate never reads
//! another file. A parser of our own: the value model follows go-akka's, the syntax is checked
//! more strictly (go-akka skips or loops on text it does not understand), no crate keeps positions.

use std::collections::HashMap;

use super::{go_bool, go_float, Bad, Kind, Member, Node};

/// Deepest nesting of objects and arrays read: a hostile file cannot overflow the stack.
const MAX_DEPTH: usize = 200;

/// Longest chain of substitutions followed while evaluating one value; go-akka reports a cycle as
/// one, and a chain this long is one in practice.
const MAX_HOPS: usize = 64;

/// Steps of evaluation a file may take beyond [`STEPS_PER_BYTE`] a byte: substitutions copying
/// arrays into arrays grow the text exponentially; the bound turns that into an error.
const MAX_STEPS: usize = 2_000_000;
const STEPS_PER_BYTE: usize = 32;

type VId = usize;
type OId = usize;

/// One part of a value: go-akka concatenates the parts of `a = x ${y} z`.
#[derive(Clone)]
enum Elem {
    Lit(String),
    Obj(OId),
    Arr(Vec<VId>),
    Sub(usize),
}

/// A value: its parts, the value its key had before (for `${?x}` that finds nothing), and where
/// its key and its text are.
#[derive(Clone, Default)]
struct Val {
    elems: Vec<Elem>,
    old: Option<VId>,
    key_at: usize,
    start: usize,
    end: usize,
}

#[derive(Default)]
struct Obj {
    items: HashMap<String, VId>,
    keys: Vec<String>,
}

struct Sub {
    path: String,
    optional: bool,
    resolved: Option<VId>,
    at: usize,
}

struct H<'a> {
    t: &'a str,
    at: usize,
    vals: Vec<Val>,
    objs: Vec<Obj>,
    subs: Vec<Sub>,
    steps: usize,
}

fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{2060}' | '\u{3000}' | '\u{feff}'
    )
}

const NOT_IN_KEY: &str = "$\"{}[]:=+,#`^?!@*&\\.";
const NOT_IN_TEXT: &str = "$\"{}[]:=+,#`^?!@*&\\";

impl<'a> H<'a> {
    fn rest(&self) -> &'a str {
        &self.t[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn comment(&self) -> bool {
        self.rest().starts_with('#') || self.rest().starts_with("//")
    }

    fn skip_ws_and_comments(&mut self) {
        loop {
            while let Some(c) = self.peek().filter(|c| is_ws(*c)) {
                self.at += c.len_utf8();
            }
            if !self.comment() {
                return;
            }
            self.at = self.rest().find('\n').map_or(self.t.len(), |i| self.at + i);
        }
    }

    fn text_char(&self) -> Option<char> {
        self.peek().filter(|c| !is_ws(*c) && !NOT_IN_TEXT.contains(*c) && !self.comment())
    }

    fn unexpected(&self, what: &str) -> Bad {
        match self.peek() {
            Some(c) => Bad::new(format!("unexpected {c:?}, expected {what}"), self.at),
            None => Bad::new(format!("the file ends where {what} was expected"), self.at),
        }
    }

    fn new_val(&mut self, key_at: usize) -> VId {
        self.vals.push(Val { key_at, start: self.at, end: self.at, ..Val::default() });
        self.vals.len() - 1
    }

    fn step(&mut self, at: usize) -> Result<(), Bad> {
        self.steps += 1;
        if self.steps > MAX_STEPS + STEPS_PER_BYTE * self.t.len() {
            return Err(Bad::new("substitutions expand too far", at));
        }
        Ok(())
    }

    // --- go-akka's value model -------------------------------------------------------------------

    /// The parts of a value; a slice of the arena borrowed for `'a` would fight the arena's growth,
    /// so evaluation (which never grows it) clones the small part list.
    fn elems(&self, v: VId) -> Vec<Elem> {
        self.vals[v].elems.clone()
    }

    fn hop(&mut self, s: usize, hops: usize) -> Result<usize, Bad> {
        let at = self.subs[s].at;
        self.step(at)?;
        if hops >= MAX_HOPS {
            return Err(Bad::new(format!("cycle reference in path of {}", self.subs[s].path), at));
        }
        Ok(hops + 1)
    }

    fn top_is_string(&mut self, v: VId, e: &Elem, hops: usize) -> Result<bool, Bad> {
        match self.top_owned(v, e) {
            Owned::Val(o) => self.is_string(o, hops + 1),
            Owned::Elem(Elem::Lit(_)) => Ok(true),
            Owned::Elem(Elem::Sub(s)) => match self.subs[s].resolved {
                Some(r) => {
                    let h = self.hop(s, hops)?;
                    self.is_string(r, h)
                }
                None => Ok(false),
            },
            Owned::Elem(_) => Ok(false),
        }
    }

    fn top_owned(&self, v: VId, e: &Elem) -> Owned {
        // `top` borrows the arena for `'a`; here the element is a clone, so look it up by value.
        if let Elem::Sub(s) = e {
            match self.subs[*s].resolved {
                Some(r) if self.vals[r].old.is_some() => return Owned::Val(self.vals[r].old.unwrap_or(r)),
                None if self.vals[v].old.is_some() => return Owned::Val(self.vals[v].old.unwrap_or(v)),
                _ => {}
            }
        }
        Owned::Elem(e.clone())
    }

    /// Every evaluation goes through here: a chain of `${?x}` falling back on earlier values is
    /// followed as a chain of substitutions is, bounded.
    fn guard(&mut self, v: VId, hops: usize) -> Result<(), Bad> {
        self.step(self.vals[v].start)?;
        if hops > MAX_HOPS {
            return Err(Bad::new(
                format!("a value refers to others more than {MAX_HOPS} deep (a substitution cycle?)"),
                self.vals[v].start,
            ));
        }
        Ok(())
    }

    fn is_string(&mut self, v: VId, hops: usize) -> Result<bool, Bad> {
        self.guard(v, hops)?;
        let elems = self.elems(v);
        if elems.is_empty() {
            return Ok(false);
        }
        for e in &elems {
            if !self.top_is_string(v, e, hops)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn get_string(&mut self, v: VId, hops: usize) -> Result<String, Bad> {
        if !self.is_string(v, hops)? {
            return Ok(String::new());
        }
        let mut out = String::new();
        for e in self.elems(v) {
            match self.top_owned(v, &e) {
                Owned::Val(o) => out.push_str(&self.get_string(o, hops + 1)?),
                Owned::Elem(Elem::Lit(s)) => out.push_str(&s),
                Owned::Elem(Elem::Sub(s)) => {
                    if let Some(r) = self.subs[s].resolved {
                        let h = self.hop(s, hops)?;
                        out.push_str(&self.get_string(r, h)?);
                    }
                }
                Owned::Elem(_) => {}
            }
            self.step(self.vals[v].start)?;
        }
        if out == "null" {
            out.clear();
        }
        Ok(out.trim().to_string())
    }

    fn get_object(&mut self, v: VId, hops: usize) -> Result<Option<OId>, Bad> {
        self.guard(v, hops)?;
        let Some(first) = self.vals[v].elems.first().cloned() else { return Ok(None) };
        if let Elem::Obj(o) = first {
            return Ok(Some(o));
        }
        match self.top_owned(v, &first) {
            Owned::Val(o) => self.get_object(o, hops + 1),
            Owned::Elem(Elem::Sub(s)) => match self.subs[s].resolved {
                Some(r) => {
                    let h = self.hop(s, hops)?;
                    self.get_object(r, h)
                }
                None => Ok(None),
            },
            Owned::Elem(_) => Ok(None),
        }
    }

    /// go-akka's `GetArray`: the items of every array part, `None` when there are none (an empty
    /// array is no array to go-akka either).
    fn get_array(&mut self, v: VId, hops: usize) -> Result<Option<Vec<VId>>, Bad> {
        self.guard(v, hops)?;
        let mut out = Vec::new();
        for e in self.elems(v) {
            match self.top_owned(v, &e) {
                Owned::Val(o) => out.extend(self.get_array(o, hops + 1)?.unwrap_or_default()),
                Owned::Elem(Elem::Arr(items)) => out.extend(items),
                Owned::Elem(Elem::Sub(s)) => {
                    if let Some(r) = self.subs[s].resolved {
                        let h = self.hop(s, hops)?;
                        out.extend(self.get_array(r, h)?.unwrap_or_default());
                    }
                }
                Owned::Elem(_) => {}
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// go-akka's `HoconValue.ToString`: the text conftest types.
    fn text_of(&mut self, v: VId, indent: usize, hops: usize) -> Result<String, Bad> {
        self.step(self.vals[v].start)?;
        if hops > MAX_HOPS * 4 {
            return Err(Bad::new("values nest through substitutions too deeply", self.vals[v].start));
        }
        if self.is_string(v, hops)? {
            return Ok(quote_if_needed(&self.get_string(v, hops)?));
        }
        if let Some(o) = self.get_object(v, hops)? {
            let pad = " ".repeat(indent * 2);
            let inner = " ".repeat((indent + 1) * 2);
            let mut out = String::from("{\r\n");
            for k in self.objs[o].keys.clone() {
                let item = self.objs[o].items[&k];
                let text = self.text_of(item, indent + 1, hops + 1)?;
                out.push_str(&format!("{inner}{} : {text}\r\n", quote_key(&k)));
                self.steps += out.len() / 8;
            }
            out.push_str(&pad);
            out.push('}');
            return Ok(out);
        }
        if let Some(items) = self.get_array(v, hops)? {
            let mut parts = Vec::with_capacity(items.len());
            for i in items {
                let text = self.text_of(i, indent + 1, hops + 1)?;
                self.steps += text.len() / 8;
                parts.push(text);
            }
            return Ok(format!("[{}]", parts.join(",")));
        }
        Ok("<<unknown value>>".to_string())
    }

    // --- syntax --------------------------------------------------------------------------------

    fn get_or_create_key(&mut self, o: OId, key: &str, key_at: usize) -> VId {
        let child = self.new_val(key_at);
        match self.objs[o].items.get(key).copied() {
            Some(old) => self.vals[child].old = Some(old),
            None => self.objs[o].keys.push(key.to_string()),
        }
        self.objs[o].items.insert(key.to_string(), child);
        child
    }

    /// An object's members into `owner`: `braced` until `}`, `single` one key (the rest of a dotted
    /// key), else to the end of the file.
    fn object(&mut self, owner: VId, braced: bool, single: bool, depth: usize) -> Result<(), Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), self.at));
        }
        let open = self.at.saturating_sub(1);
        // go-akka gives a key read again as an object a new object holding the keys of the one
        // before, then adds to it; nothing reads the one before afterwards (substitutions resolve
        // to the newest value), so the object is shared rather than copied, which keeps a key
        // repeated many times linear rather than quadratic.
        if self.get_object(owner, 0)?.is_none() {
            let earlier = match self.vals[owner].old {
                Some(old) => self.get_object(old, 0)?,
                None => None,
            };
            let o = match earlier {
                Some(o) => o,
                None => {
                    self.objs.push(Obj::default());
                    self.objs.len() - 1
                }
            };
            self.vals[owner].elems = vec![Elem::Obj(o)];
        }
        let Some(cur) = self.get_object(owner, 0)? else { return Err(Bad::new("not an object", self.at)) };
        loop {
            self.skip_ws_and_comments();
            let key_at = self.at;
            let key = match self.peek() {
                None if braced => return Err(Bad::new("`{` is not closed", open)),
                None => return Ok(()),
                Some('}') if braced => {
                    self.at += 1;
                    self.vals[owner].end = self.at;
                    return Ok(());
                }
                Some(',') if !single => {
                    self.at += 1;
                    continue;
                }
                Some('"') => self.quoted()?,
                Some(_) if self.rest().starts_with("include") && self.is_include() => {
                    return Err(Bad::new("`include` is not read: tollgate never reads another file", key_at));
                }
                Some(c) if !NOT_IN_KEY.contains(c) && !self.comment() => {
                    let s = self.at;
                    while let Some(c) = self.peek().filter(|c| !NOT_IN_KEY.contains(*c) && *c != '\n') {
                        if self.comment() {
                            break;
                        }
                        self.at += c.len_utf8();
                    }
                    self.t[s..self.at].trim().to_string()
                }
                Some(_) => return Err(self.unexpected("a key")),
            };
            if key.is_empty() || key.contains('.') {
                return Err(Bad::new(
                    format!("the key {key:?} cannot be looked up (conftest's HOCON reader fails on it)"),
                    key_at,
                ));
            }
            let v = self.get_or_create_key(cur, &key, key_at);
            self.key_content(v, depth)?;
            self.vals[owner].end = self.vals[owner].end.max(self.vals[v].end);
            if single {
                return Ok(());
            }
        }
    }

    fn is_include(&self) -> bool {
        let after = &self.rest()["include".len()..];
        let trimmed = after.trim_start_matches(is_ws);
        trimmed.len() < after.len() && trimmed.starts_with('"')
    }

    fn key_content(&mut self, v: VId, depth: usize) -> Result<(), Bad> {
        self.skip_ws_and_comments();
        match self.peek() {
            Some('.') => {
                self.at += 1;
                self.object(v, false, true, depth + 1)
            }
            Some('=' | ':') => {
                self.at += 1;
                if self.get_object(v, 0)?.is_none() {
                    self.vals[v].elems.clear();
                }
                self.value(v, depth)
            }
            Some('+') if self.rest().starts_with("+=") => {
                Err(Bad::new("`+=` is not supported (conftest's HOCON reader fails on it)", self.at))
            }
            Some('{') => {
                self.at += 1;
                self.vals[v].start = self.at - 1;
                self.object(v, true, false, depth + 1)
            }
            _ => Err(self.unexpected("`=`, `:`, `{` or `.` after a key")),
        }
    }

    fn starts_value(&self) -> bool {
        let r = self.rest();
        r.starts_with(['[', '{', '"']) || r.starts_with("${") || self.text_char().is_some()
    }

    /// The parts of a value up to the end of its line (or a `,`, `}` or `]`).
    fn value(&mut self, owner: VId, depth: usize) -> Result<(), Bad> {
        self.skip_ws_and_comments();
        if !self.starts_value() {
            return Err(self.unexpected("a value"));
        }
        self.vals[owner].start = self.at;
        while self.starts_value() {
            let r = self.rest();
            if r.starts_with('{') {
                self.at += 1;
                self.object(owner, true, false, depth + 1)?;
            } else if r.starts_with("${") {
                let s = self.substitution()?;
                self.vals[owner].elems.push(Elem::Sub(s));
            } else if r.starts_with('[') {
                let items = self.array(depth + 1)?;
                self.vals[owner].elems.push(Elem::Arr(items));
            } else {
                let lit = if r.starts_with("\"\"\"") {
                    self.triple()?
                } else if r.starts_with('"') {
                    self.quoted()?
                } else {
                    let s = self.at;
                    while let Some(c) = self.text_char() {
                        self.at += c.len_utf8();
                    }
                    self.t[s..self.at].to_string()
                };
                if self.get_object(owner, 0)?.is_some() {
                    self.vals[owner].elems.clear();
                }
                self.vals[owner].elems.push(Elem::Lit(lit));
            }
            self.vals[owner].end = self.at;
            let s = self.at;
            while self.rest().starts_with([' ', '\t']) {
                self.at += 1;
            }
            if self.at > s {
                self.vals[owner].elems.push(Elem::Lit(self.t[s..self.at].to_string()));
            }
        }
        if self.rest().starts_with(',') {
            self.at += 1;
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Vec<VId>, Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), self.at));
        }
        let open = self.at;
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws_and_comments();
            match self.peek() {
                None => return Err(Bad::new("`[` is not closed", open)),
                Some(']') => {
                    self.at += 1;
                    return Ok(items);
                }
                Some(_) => {
                    let v = self.new_val(self.at);
                    self.value(v, depth)?;
                    items.push(v);
                }
            }
        }
    }

    fn substitution(&mut self) -> Result<usize, Bad> {
        let at = self.at;
        self.at += 2;
        let optional = self.rest().starts_with('?');
        if optional {
            self.at += 1;
        }
        let s = self.at;
        while let Some(c) = self.text_char() {
            self.at += c.len_utf8();
        }
        let path = self.t[s..self.at].to_string();
        if path.is_empty() || !self.rest().starts_with('}') {
            return Err(Bad::new("a substitution is `${path}` or `${?path}`", at));
        }
        self.at += 1;
        self.subs.push(Sub { path, optional, resolved: None, at });
        Ok(self.subs.len() - 1)
    }

    fn triple(&mut self) -> Result<String, Bad> {
        let open = self.at;
        self.at += 3;
        match self.rest().find("\"\"\"") {
            Some(i) => {
                let s = self.rest()[..i].to_string();
                self.at += i + 3;
                Ok(s)
            }
            None => Err(Bad::new("`\"\"\"` is not closed", open)),
        }
    }

    /// A quoted key or text, with go-akka's escapes (`\u` is kept as written, as go-akka keeps it).
    fn quoted(&mut self) -> Result<String, Bad> {
        let open = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else { return Err(Bad::new("the quote is not closed", open)) };
            self.at += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self.peek();
                    self.at += e.map_or(0, char::len_utf8);
                    match e {
                        Some('"') => out.push('"'),
                        Some('\\') => out.push('\\'),
                        Some('/') => out.push('/'),
                        Some('b') => out.push('\u{8}'),
                        Some('f') => out.push('\u{c}'),
                        Some('n') => out.push('\n'),
                        Some('r') => out.push('\r'),
                        Some('t') => out.push('\t'),
                        Some('u') => {
                            let hex: String = self.rest().chars().take(4).collect();
                            self.at += hex.len();
                            out.push_str("\\u");
                            out.push_str(&hex.to_lowercase());
                        }
                        _ => return Err(Bad::new("unknown escape", self.at.saturating_sub(2))),
                    }
                }
                c => out.push(c),
            }
        }
    }

    // --- conftest's walk -----------------------------------------------------------------------

    fn child(&mut self, v: VId, key: &str) -> Result<Option<VId>, Bad> {
        Ok(self.get_object(v, 0)?.and_then(|o| self.objs[o].items.get(key).copied()))
    }

    fn resolve(&mut self, root: VId) -> Result<(), Bad> {
        for s in 0..self.subs.len() {
            let mut cur = Some(root);
            let parts: Vec<String> = self.subs[s]
                .path
                .split('"')
                .flat_map(|p| p.split('.'))
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            for p in &parts {
                cur = match cur {
                    Some(c) => self.child(c, p)?,
                    None => None,
                };
            }
            match cur {
                Some(v) => self.subs[s].resolved = Some(v),
                None if self.subs[s].optional => {}
                None => {
                    return Err(Bad::new(
                        format!(
                            "unresolved substitution ${{{}}} (tollgate resolves substitutions within the file only)",
                            self.subs[s].path
                        ),
                        self.subs[s].at,
                    ))
                }
            }
        }
        Ok(())
    }

    /// The value that gave `v` its text: `port = ${?PORT}` that finds nothing is the `port = 9001`
    /// before it, and a finding belongs there.
    fn origin(&self, mut v: VId) -> VId {
        for _ in 0..MAX_HOPS {
            match (self.vals[v].elems.as_slice(), self.vals[v].old) {
                ([Elem::Sub(s)], Some(old)) if self.subs[*s].resolved.is_none() => v = old,
                _ => break,
            }
        }
        v
    }

    /// A value as conftest's `getConfig`/`convertType` give it.
    fn emit(&mut self, v: VId, depth: usize) -> Result<Node, Bad> {
        if depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), self.vals[v].start));
        }
        let (start, end) = (self.vals[v].start, self.vals[v].end);
        if let Some(o) = self.get_object(v, 0)? {
            let mut members = Vec::new();
            for k in self.objs[o].keys.clone() {
                let item = self.objs[o].items[&k];
                self.step(start)?;
                let value = self.emit(item, depth + 1)?;
                members.push(Member { key: k, at: self.vals[self.origin(item)].key_at, value });
            }
            return Ok(Node::new(Kind::Obj(members), self.vals[v].key_at.min(start), end));
        }
        let text = self.text_of(v, 0, 0)?;
        let kind = go_float(&text).or_else(|| go_bool(&text).map(Kind::Bool)).unwrap_or(Kind::Str(text));
        let at = self.origin(v);
        Ok(Node::new(kind, self.vals[at].start, self.vals[at].end))
    }
}

/// What a part is once a substitution is looked through (go-akka's `topValueOfSub`).
enum Owned {
    Elem(Elem),
    Val(VId),
}

fn quote_if_needed(s: &str) -> String {
    if s.is_empty() {
        "\"\"".to_string()
    } else {
        quote_key(s)
    }
}

fn quote_key(s: &str) -> String {
    if s.contains([' ', '\t']) {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

/// Parse a HOCON file into the tree conftest gives policies.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut h = H { t: text, at: 0, vals: Vec::new(), objs: Vec::new(), subs: Vec::new(), steps: 0 };
    let root = h.new_val(0);
    h.skip_ws_and_comments();
    // go-akka reads a file wrapped in one `{ }` as its content.
    let braced = h.rest().starts_with('{');
    if braced {
        h.at += 1;
    }
    h.object(root, braced, false, 0)?;
    h.skip_ws_and_comments();
    if h.at < text.len() {
        return Err(h.unexpected("the end of the file"));
    }
    h.resolve(root)?;
    let Some(o) = h.get_object(root, 0)? else { return Ok(Node::new(Kind::Obj(Vec::new()), 0, text.len())) };
    let mut members = Vec::new();
    for k in h.objs[o].keys.clone() {
        let v = h.objs[o].items[&k];
        if h.get_object(v, 0)?.is_none() {
            return Err(Bad::new(
                format!("the top-level key {k:?} is not an object (conftest's HOCON reader fails on it)"),
                h.vals[v].key_at,
            ));
        }
        let value = h.emit(v, 1)?;
        members.push(Member { key: k, at: h.vals[v].key_at, value });
    }
    Ok(Node::new(Kind::Obj(members), 0, text.len()))
}
