//! The Jsonnet evaluator: walks the parsed tree lazily as the spec says (object fields, array
//! elements and locals are thunks, each evaluated at most once), with objects as stacks of layers
//! so `self` and `super` bind late as inheritance needs. Every step is paid from a budget, what is
//! built is capped, and the depth of calls and of the walk itself is capped: a hostile file ends
//! with a located error, never a stall, an exhausted memory or a stack overflow.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::super::Bad;
use super::parser::{BinOp, Bind, FieldName, ObjBody, Param, Spec, UnOp, Vis, E, P};
use super::{fmt, stdlib, LIMIT};

/// Nested function calls, as go-jsonnet's default `MaxStack` (its error is "max stack frames
/// exceeded").
pub const MAX_CALLS: usize = 500;
/// Nested evaluations (a call, an operand, a thunk forced from another): bounds the Rust stack
/// the walk uses, whatever the file does.
pub const MAX_WALK: usize = 4000;
/// The longest array built, in elements.
pub const MAX_LEN: usize = 1 << 20;
/// The longest string built, in bytes.
pub const MAX_STR: usize = 1 << 24;

pub type R<T> = Result<T, Bad>;

/// A lazily evaluated value: forced at most once, with the bytes of the expression that gives it
/// (where a manifested array element points).
pub struct Thunk {
    state: RefCell<State>,
    pub start: usize,
    pub end: usize,
}

enum State {
    Expr(Env, P),
    Apply(Rc<Func>, Vec<Th>, usize),
    Busy,
    Done(Val),
}

pub type Th = Rc<Thunk>;

#[derive(Clone)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Arr(Rc<Vec<Th>>),
    Obj(Rc<Obj>),
    Func(Rc<Func>),
}

pub enum Func {
    Closure { params: Rc<[Param]>, body: P, env: Env },
    Builtin { name: &'static str, params: &'static [&'static str] },
}

/// One layer of an object: what one object literal (or comprehension, or `std` function) gave.
pub struct Layer {
    pub fields: Vec<LField>,
    index: HashMap<Rc<str>, usize>,
    asserts: Vec<(P, Option<P>)>,
    locals: Rc<[Bind]>,
    env: Env,
}

pub struct LField {
    pub name: Rc<str>,
    plus: bool,
    pub vis: Vis,
    body: Body,
    /// The byte of the field's name, and the bytes of its value's expression.
    pub at: usize,
    pub start: usize,
    pub end: usize,
}

enum Body {
    Expr(P, Option<Env>),
    Val(Val),
}

/// An object: its layers, bottom first, and the values of its fields once evaluated.
pub struct Obj {
    pub layers: Vec<Rc<Layer>>,
    cache: RefCell<HashMap<Rc<str>, Val>>,
    /// 0: asserts not checked, 1: being checked, 2: checked.
    asserted: Cell<u8>,
}

/// What `self`, `super` and `$` are inside an object.
struct Ctx {
    this: Rc<Obj>,
    /// `super` is the layers below this one.
    layer: usize,
    dollar: Rc<Obj>,
}

struct Frame {
    name: Rc<str>,
    th: Th,
    parent: Option<Rc<Frame>>,
}

#[derive(Clone, Default)]
pub struct Env {
    vars: Option<Rc<Frame>>,
    ctx: Option<Rc<Ctx>>,
}

impl Env {
    fn bind(&self, name: Rc<str>, th: Th) -> Env {
        Env { vars: Some(Rc::new(Frame { name, th, parent: self.vars.clone() })), ctx: self.ctx.clone() }
    }
}

pub fn type_name(v: &Val) -> &'static str {
    match v {
        Val::Null => "null",
        Val::Bool(_) => "boolean",
        Val::Num(_) => "number",
        Val::Str(_) => "string",
        Val::Arr(_) => "array",
        Val::Obj(_) => "object",
        Val::Func(_) => "function",
    }
}

pub fn rt(msg: impl std::fmt::Display, at: usize) -> Bad {
    Bad::new(format!("RUNTIME ERROR: {msg}"), at)
}

/// The evaluation of one file.
pub struct Ev {
    fuel: usize,
    calls: usize,
    walk: usize,
    thunks: Vec<Weak<Thunk>>,
    objs: Vec<Weak<Obj>>,
    std: Option<Rc<Obj>>,
}

impl Drop for Ev {
    /// Objects and closures refer to each other in cycles (a field's environment holds the object
    /// that holds the field): break them, so nothing evaluated outlives the file.
    fn drop(&mut self) {
        for t in self.thunks.drain(..).filter_map(|w| w.upgrade()) {
            if let Ok(mut s) = t.state.try_borrow_mut() {
                *s = State::Busy;
            }
        }
        for o in self.objs.drain(..).filter_map(|w| w.upgrade()) {
            if let Ok(mut c) = o.cache.try_borrow_mut() {
                c.clear();
            }
        }
    }
}

impl Ev {
    pub fn new(fuel: usize) -> Ev {
        Ev { fuel, calls: 0, walk: 0, thunks: Vec::new(), objs: Vec::new(), std: None }
    }

    /// Pay `n` steps of the budget.
    pub fn pay(&mut self, n: usize, at: usize) -> R<()> {
        if self.fuel < n {
            self.fuel = 0;
            return Err(Bad::new(format!("{LIMIT}the evaluation takes too many steps"), at));
        }
        self.fuel -= n;
        Ok(())
    }

    /// Check the length of an array about to be built, and pay a step an element: everything built
    /// is paid for, so the budget bounds memory as well as time.
    pub fn alloc(&mut self, len: usize, at: usize) -> R<()> {
        if len > MAX_LEN {
            return Err(Bad::new(format!("{LIMIT}an array longer than {MAX_LEN} elements"), at));
        }
        self.pay(len + 1, at)
    }

    /// An array grown to `total` elements by `added` more.
    pub fn grow(&mut self, total: usize, added: usize, at: usize) -> R<()> {
        if total > MAX_LEN {
            return Err(Bad::new(format!("{LIMIT}an array longer than {MAX_LEN} elements"), at));
        }
        self.pay(added + 1, at)
    }

    /// Check the length (`total` bytes) of a string about to be built, and pay for the `added` bytes
    /// copied into it.
    pub fn alloc_str(&mut self, total: usize, added: usize, at: usize) -> R<()> {
        if total > MAX_STR {
            return Err(Bad::new(format!("{LIMIT}a string longer than {MAX_STR} bytes"), at));
        }
        self.pay(added / 16 + 1, at)
    }

    pub fn thunk(&mut self, env: Env, e: &P) -> Th {
        let t = Rc::new(Thunk { state: RefCell::new(State::Expr(env, e.clone())), start: e.start, end: e.end });
        self.track(&t);
        t
    }

    /// Remember a thunk, to break its cycles at the end. A weak reference keeps the thunk's memory
    /// allocated: those no longer used are dropped whenever the list doubles (amortised O(1)), so
    /// memory follows what is alive, not everything ever built.
    fn track(&mut self, t: &Th) {
        if self.thunks.len() == self.thunks.capacity() && self.thunks.len() >= 1024 {
            self.thunks.retain(|w| w.strong_count() > 0);
            self.thunks.shrink_to(self.thunks.len() * 2);
        }
        self.thunks.push(Rc::downgrade(t));
    }

    pub fn done(v: Val, start: usize, end: usize) -> Th {
        Rc::new(Thunk { state: RefCell::new(State::Done(v)), start, end })
    }

    /// A thunk that calls `f` with `args` when forced (`std.makeArray`'s elements).
    pub fn apply_later(&mut self, f: Rc<Func>, args: Vec<Th>, at: usize, end: usize) -> Th {
        let t = Rc::new(Thunk { state: RefCell::new(State::Apply(f, args, at)), start: at, end });
        self.track(&t);
        t
    }

    fn new_obj(&mut self, layers: Vec<Rc<Layer>>) -> Rc<Obj> {
        let o = Rc::new(Obj { layers, cache: RefCell::new(HashMap::new()), asserted: Cell::new(0) });
        if self.objs.len() == self.objs.capacity() && self.objs.len() >= 1024 {
            self.objs.retain(|w| w.strong_count() > 0);
            self.objs.shrink_to(self.objs.len() * 2);
        }
        self.objs.push(Rc::downgrade(&o));
        o
    }

    /// An object of plain values (what `std` functions build).
    /// Each field with the bytes of its name and of its value's expression.
    pub fn plain_obj(&mut self, fields: Vec<(Rc<str>, Val, [usize; 3])>) -> Rc<Obj> {
        let mut index = HashMap::new();
        let mut lf = Vec::with_capacity(fields.len());
        for (name, v, [at, start, end]) in fields {
            index.insert(name.clone(), lf.len());
            lf.push(LField { name, plus: false, vis: Vis::Inherit, body: Body::Val(v), at, start, end });
        }
        let layer = Layer { fields: lf, index, asserts: Vec::new(), locals: Rc::from(Vec::new()), env: Env::default() };
        self.new_obj(vec![Rc::new(layer)])
    }

    pub fn force(&mut self, t: &Th) -> R<Val> {
        let st = {
            let mut s = t.state.borrow_mut();
            if let State::Done(v) = &*s {
                return Ok(v.clone());
            }
            std::mem::replace(&mut *s, State::Busy)
        };
        let v = match st {
            State::Expr(env, e) => self.eval(&env, &e)?,
            State::Apply(f, args, at) => self.call(&f, args, Vec::new(), at)?,
            State::Busy => return Err(rt("infinite recursion: a value refers to itself", t.start)),
            State::Done(v) => v,
        };
        *t.state.borrow_mut() = State::Done(v.clone());
        Ok(v)
    }

    fn std_obj(&mut self) -> Rc<Obj> {
        if let Some(s) = &self.std {
            return s.clone();
        }
        let fields = stdlib::FUNCS
            .iter()
            .map(|(name, params)| (Rc::from(*name), Val::Func(Rc::new(Func::Builtin { name, params })), [0; 3]))
            .chain([(Rc::from("thisFile"), Val::Str(Rc::from("")), [0; 3])])
            .collect();
        let o = self.plain_obj(fields);
        // `std`'s fields are hidden, as go-jsonnet's are.
        let o = {
            let layer = &o.layers[0];
            let fields = layer
                .fields
                .iter()
                .map(|f| LField {
                    name: f.name.clone(),
                    plus: false,
                    vis: Vis::Hidden,
                    body: match &f.body {
                        Body::Val(v) => Body::Val(v.clone()),
                        Body::Expr(e, env) => Body::Expr(e.clone(), env.clone()),
                    },
                    at: 0,
                    start: 0,
                    end: 0,
                })
                .collect();
            let layer = Layer {
                fields,
                index: layer.index.clone(),
                asserts: Vec::new(),
                locals: Rc::from(Vec::new()),
                env: Env::default(),
            };
            self.new_obj(vec![Rc::new(layer)])
        };
        self.std = Some(o.clone());
        o
    }

    pub fn eval(&mut self, env: &Env, e: &P) -> R<Val> {
        self.walk += 1;
        if self.walk > MAX_WALK {
            self.walk -= 1;
            return Err(Bad::new(format!("{LIMIT}evaluation nested deeper than {MAX_WALK} levels"), e.start));
        }
        let r = self.pay(1, e.start).and_then(|()| self.eval_inner(env, e));
        self.walk -= 1;
        r
    }

    fn eval_inner(&mut self, env: &Env, e: &P) -> R<Val> {
        let at = e.start;
        Ok(match &e.kind {
            E::Null => Val::Null,
            E::True => Val::Bool(true),
            E::False => Val::Bool(false),
            E::Num(n) => Val::Num(*n),
            E::Str(s) => Val::Str(s.clone()),
            E::SelfRef => match &env.ctx {
                Some(c) => Val::Obj(c.this.clone()),
                None => return Err(Bad::new("STATIC ERROR: can't use self outside of an object.", at)),
            },
            E::Dollar => match &env.ctx {
                Some(c) => Val::Obj(c.dollar.clone()),
                None => return Err(Bad::new("STATIC ERROR: can't use $ outside of an object.", at)),
            },
            E::Var(name) => {
                let mut f = env.vars.as_ref();
                let mut hops = 0;
                while let Some(fr) = f {
                    if fr.name == *name {
                        let th = fr.th.clone();
                        self.pay(hops / 16, at)?;
                        return self.force(&th);
                    }
                    hops += 1;
                    f = fr.parent.as_ref();
                }
                self.pay(hops / 16, at)?;
                if &**name == "std" {
                    return Ok(Val::Obj(self.std_obj()));
                }
                return Err(Bad::new(format!("STATIC ERROR: Unknown variable: {name}"), at));
            }
            E::Import(kw) => {
                return Err(Bad::new(
                    format!("`{kw}` is not read: tollgate never reads another file (conftest reads imports relative to the file)"),
                    at,
                ))
            }
            E::Arr(items) => {
                self.alloc(items.len(), at)?;
                let ths = items.iter().map(|i| self.thunk(env.clone(), i)).collect();
                Val::Arr(Rc::new(ths))
            }
            E::ArrComp(body, specs) => {
                let mut envs = Vec::new();
                self.specs(env, specs, 0, &mut envs)?;
                self.alloc(envs.len(), at)?;
                let ths = envs.into_iter().map(|en| self.thunk(en, body)).collect();
                Val::Arr(Rc::new(ths))
            }
            E::Obj(body) => Val::Obj(self.object(env, body)?),
            E::ObjComp { locals, key, plus, value, specs } => {
                let mut envs = Vec::new();
                self.specs(env, specs, 0, &mut envs)?;
                let mut fields: Vec<LField> = Vec::new();
                let mut index = HashMap::new();
                for en in envs {
                    let k = match self.eval(&en, key)? {
                        Val::Null => continue,
                        Val::Str(s) => s,
                        v => {
                            return Err(rt(format!("field name must be string, got {}", type_name(&v)), key.start))
                        }
                    };
                    if index.contains_key(&k) {
                        return Err(rt(format!("duplicate field name: \"{k}\""), key.start));
                    }
                    index.insert(k.clone(), fields.len());
                    fields.push(LField {
                        name: k,
                        plus: *plus,
                        vis: Vis::Inherit,
                        body: Body::Expr(value.clone(), Some(en)),
                        at: key.start,
                        start: value.start,
                        end: value.end,
                    });
                }
                self.alloc(fields.len(), at)?;
                let layer = Layer { fields, index, asserts: Vec::new(), locals: locals.clone(), env: env.clone() };
                Val::Obj(self.new_obj(vec![Rc::new(layer)]))
            }
            E::Index(target, index) => {
                let t = self.eval(env, target)?;
                let i = self.eval(env, index)?;
                self.index(t, i, index.start)?
            }
            E::SuperIndex(name) => {
                let n = match self.eval(env, name)? {
                    Val::Str(s) => s,
                    v => return Err(rt(format!("super index must be string, got {}", type_name(&v)), name.start)),
                };
                let Some(ctx) = env.ctx.clone() else {
                    return Err(Bad::new("STATIC ERROR: can't use super outside of an object.", at));
                };
                match self.field(&ctx.this, ctx.layer, &n)? {
                    Some(v) => v,
                    None => return Err(rt(format!("field does not exist: {n}"), name.start)),
                }
            }
            E::InSuper(name) => {
                let n = match self.eval(env, name)? {
                    Val::Str(s) => s,
                    v => return Err(rt(format!("in super: field name must be string, got {}", type_name(&v)), at)),
                };
                let Some(ctx) = env.ctx.clone() else {
                    return Err(Bad::new("STATIC ERROR: can't use super outside of an object.", at));
                };
                Val::Bool(ctx.this.layers[..ctx.layer].iter().any(|l| l.index.contains_key(&n)))
            }
            E::Slice(target, a, b, c) => {
                let t = self.eval(env, target)?;
                let num = |x: &Option<P>, ev: &mut Ev| -> R<Option<f64>> {
                    match x {
                        None => Ok(None),
                        Some(x) => match ev.eval(env, x)? {
                            Val::Null => Ok(None),
                            Val::Num(n) => Ok(Some(n)),
                            v => Err(rt(format!("slice index must be a number, got {}", type_name(&v)), x.start)),
                        },
                    }
                };
                let (a, b, c) = (num(a, self)?, num(b, self)?, num(c, self)?);
                stdlib::slice(self, t, a, b, c, at)?
            }
            E::Call(f, pos, named) => {
                let fv = self.eval(env, f)?;
                let Val::Func(func) = fv else {
                    return Err(rt(format!("only functions can be called, got {}", type_name(&fv)), at));
                };
                let pos: Vec<Th> = pos.iter().map(|a| self.thunk(env.clone(), a)).collect();
                let named: Vec<(Rc<str>, Th)> =
                    named.iter().map(|(n, a)| (n.clone(), self.thunk(env.clone(), a))).collect();
                self.call(&func, pos, named, at)?
            }
            E::Local(binds, body) => {
                let en = self.bind_locals(env, binds);
                self.eval(&en, body)?
            }
            E::If(c, a, b) => match self.eval(env, c)? {
                Val::Bool(true) => self.eval(env, a)?,
                Val::Bool(false) => match b {
                    Some(b) => self.eval(env, b)?,
                    None => Val::Null,
                },
                v => return Err(rt(format!("Condition must be boolean, got {}.", type_name(&v)), c.start)),
            },
            E::Func(params, body) => {
                Val::Func(Rc::new(Func::Closure { params: params.clone(), body: body.clone(), env: env.clone() }))
            }
            E::Assert(c, m, body) => {
                self.assert(env, c, m.as_ref())?;
                self.eval(env, body)?
            }
            E::Error(m) => {
                let v = self.eval(env, m)?;
                let msg = match v {
                    Val::Str(s) => s.to_string(),
                    v => fmt::to_string(self, &v, at)?,
                };
                return Err(rt(msg, at));
            }
            E::Un(op, x) => {
                let v = self.eval(env, x)?;
                match (op, v) {
                    (UnOp::Neg, Val::Num(n)) => Val::Num(-n),
                    (UnOp::Plus, Val::Num(n)) => Val::Num(n),
                    (UnOp::Not, Val::Bool(b)) => Val::Bool(!b),
                    (UnOp::BitNot, Val::Num(n)) => Val::Num(!(n as i64) as f64),
                    (op, v) => {
                        let o = match op {
                            UnOp::Neg => "-",
                            UnOp::Plus => "+",
                            UnOp::Not => "!",
                            UnOp::BitNot => "~",
                        };
                        return Err(rt(format!("Unary operator {o} does not operate on type {}", type_name(&v)), at));
                    }
                }
            }
            E::Bin(op, a, b) => self.binary(env, *op, a, b, at)?,
        })
    }

    fn assert(&mut self, env: &Env, c: &P, m: Option<&P>) -> R<()> {
        match self.eval(env, c)? {
            Val::Bool(true) => Ok(()),
            Val::Bool(false) => {
                let msg = match m {
                    None => "Assertion failed".to_string(),
                    Some(m) => match self.eval(env, m)? {
                        Val::Str(s) => s.to_string(),
                        v => fmt::to_string(self, &v, m.start)?,
                    },
                };
                Err(rt(msg, c.start))
            }
            v => Err(rt(format!("Assertion condition must be boolean, got {}", type_name(&v)), c.start)),
        }
    }

    /// Environments of a comprehension's `for`s and `if`s, in order.
    fn specs(&mut self, env: &Env, specs: &[Spec], i: usize, out: &mut Vec<Env>) -> R<()> {
        let Some(spec) = specs.get(i) else {
            self.pay(1, 0)?;
            out.push(env.clone());
            return Ok(());
        };
        match spec {
            Spec::For(name, arr) => match self.eval(env, arr)? {
                Val::Arr(items) => {
                    for t in items.iter() {
                        let en = env.bind(name.clone(), t.clone());
                        self.specs(&en, specs, i + 1, out)?;
                    }
                    Ok(())
                }
                v => {
                    Err(rt(format!("In comprehension, can only iterate over array, got {}", type_name(&v)), arr.start))
                }
            },
            Spec::If(c) => match self.eval(env, c)? {
                Val::Bool(true) => self.specs(env, specs, i + 1, out),
                Val::Bool(false) => Ok(()),
                v => Err(rt(format!("Condition must be boolean, got {}.", type_name(&v)), c.start)),
            },
        }
    }

    /// An environment with `binds` added, each seeing all of them (recursive locals).
    fn bind_locals(&mut self, env: &Env, binds: &[Bind]) -> Env {
        if binds.is_empty() {
            return env.clone();
        }
        let ths: Vec<Th> = binds
            .iter()
            .map(|b| {
                let t = Rc::new(Thunk { state: RefCell::new(State::Busy), start: b.body.start, end: b.body.end });
                self.track(&t);
                t
            })
            .collect();
        let mut en = env.clone();
        for (b, t) in binds.iter().zip(&ths) {
            en = en.bind(b.name.clone(), t.clone());
        }
        for (b, t) in binds.iter().zip(&ths) {
            *t.state.borrow_mut() = State::Expr(en.clone(), b.body.clone());
        }
        en
    }

    fn object(&mut self, env: &Env, body: &Rc<ObjBody>) -> R<Rc<Obj>> {
        let mut fields = Vec::with_capacity(body.fields.len());
        let mut index = HashMap::new();
        for f in &body.fields {
            let name = match &f.name {
                FieldName::Fixed(n) => n.clone(),
                FieldName::Computed(e) => match self.eval(env, e)? {
                    Val::Null => continue,
                    Val::Str(s) => s,
                    v => return Err(rt(format!("field name must be string, got {}", type_name(&v)), e.start)),
                },
            };
            if index.contains_key(&name) {
                return Err(rt(format!("duplicate field name: \"{name}\""), f.at));
            }
            index.insert(name.clone(), fields.len());
            fields.push(LField {
                name,
                plus: f.plus,
                vis: f.vis,
                body: Body::Expr(f.body.clone(), None),
                at: f.at,
                start: f.body.start,
                end: f.body.end,
            });
        }
        self.alloc(fields.len(), 0)?;
        let layer =
            Layer { fields, index, asserts: body.asserts.clone(), locals: body.locals.clone(), env: env.clone() };
        Ok(self.new_obj(vec![Rc::new(layer)]))
    }

    /// `a + b` of two objects: `b`'s layers over `a`'s.
    pub fn extend(&mut self, a: &Rc<Obj>, b: &Rc<Obj>, at: usize) -> R<Rc<Obj>> {
        self.alloc(a.layers.len() + b.layers.len(), at)?;
        let layers = a.layers.iter().chain(b.layers.iter()).cloned().collect();
        Ok(self.new_obj(layers))
    }

    /// Check an object's asserts, once.
    fn check_asserts(&mut self, o: &Rc<Obj>) -> R<()> {
        if o.asserted.get() != 0 {
            return Ok(());
        }
        o.asserted.set(1);
        for (j, layer) in o.layers.iter().enumerate() {
            for (c, m) in &layer.asserts {
                let env = self.field_env(o, j, &layer.env, layer);
                self.assert(&env, c, m.as_ref())?;
            }
        }
        o.asserted.set(2);
        Ok(())
    }

    fn field_env(&mut self, o: &Rc<Obj>, j: usize, base: &Env, layer: &Layer) -> Env {
        let dollar = base.ctx.as_ref().map_or_else(|| o.clone(), |c| c.dollar.clone());
        let env = Env { vars: base.vars.clone(), ctx: Some(Rc::new(Ctx { this: o.clone(), layer: j, dollar })) };
        self.bind_locals(&env, &layer.locals)
    }

    /// The value of field `name` of `o` seen from the layers below `below` (all of them: the
    /// object's own field; fewer: `super`). `None`: no such field.
    pub fn field(&mut self, o: &Rc<Obj>, below: usize, name: &str) -> R<Option<Val>> {
        let whole = below == o.layers.len();
        if whole {
            if let Some(v) = o.cache.borrow().get(name) {
                return Ok(Some(v.clone()));
            }
            self.check_asserts(o)?;
        }
        let Some(j) = (0..below).rev().find(|&j| o.layers[j].index.contains_key(name)) else { return Ok(None) };
        let layer = o.layers[j].clone();
        let f = &layer.fields[layer.index[name]];
        let v = match &f.body {
            Body::Val(v) => v.clone(),
            Body::Expr(e, fenv) => {
                let base = fenv.as_ref().unwrap_or(&layer.env);
                let env = self.field_env(o, j, base, &layer);
                self.eval(&env, e)?
            }
        };
        let v = if f.plus {
            match self.field(o, j, name)? {
                Some(s) => self.add(s, v, f.start)?,
                None => v,
            }
        } else {
            v
        };
        if whole {
            o.cache.borrow_mut().insert(Rc::from(name), v.clone());
        }
        Ok(Some(v))
    }

    /// The fields of an object with whether each is visible, sorted by name.
    pub fn fields(&self, o: &Obj) -> Vec<(Rc<str>, bool)> {
        let mut vis: HashMap<Rc<str>, bool> = HashMap::new();
        for l in &o.layers {
            for f in &l.fields {
                match f.vis {
                    Vis::Inherit => {
                        vis.entry(f.name.clone()).or_insert(true);
                    }
                    Vis::Hidden => {
                        vis.insert(f.name.clone(), false);
                    }
                    Vis::Visible => {
                        vis.insert(f.name.clone(), true);
                    }
                }
            }
        }
        let mut out: Vec<_> = vis.into_iter().collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The topmost definition of a field (for its location).
    pub fn field_def<'o>(&self, o: &'o Obj, name: &str) -> Option<&'o LField> {
        o.layers.iter().rev().find_map(|l| l.index.get(name).map(|&i| &l.fields[i]))
    }

    pub fn get(&mut self, o: &Rc<Obj>, name: &str, at: usize) -> R<Val> {
        match self.field(o, o.layers.len(), name)? {
            Some(v) => Ok(v),
            None => Err(rt(format!("field does not exist: {name}"), at)),
        }
    }

    pub fn check(&mut self, o: &Rc<Obj>) -> R<()> {
        self.check_asserts(o)
    }

    pub fn index(&mut self, t: Val, i: Val, at: usize) -> R<Val> {
        match (&t, &i) {
            (Val::Obj(o), Val::Str(s)) => self.get(o, s, at),
            (Val::Arr(a), Val::Num(n)) => {
                if n.fract() != 0.0 {
                    return Err(rt(format!("Index {n} is not an integer"), at));
                }
                if *n < 0.0 || *n as usize >= a.len() {
                    return Err(rt(format!("Index {} out of bounds, not within [0, {})", fmt::num(*n), a.len()), at));
                }
                let th = a[*n as usize].clone();
                self.force(&th)
            }
            (Val::Str(s), Val::Num(n)) => {
                let len = s.chars().count();
                self.pay(len / 16, at)?;
                if n.fract() != 0.0 || *n < 0.0 || *n as usize >= len {
                    return Err(rt(format!("Index {} out of bounds, not within [0, {len})", fmt::num(*n)), at));
                }
                let c = s.chars().nth(*n as usize).unwrap_or('\u{fffd}');
                Ok(Val::Str(Rc::from(c.to_string())))
            }
            (Val::Obj(_), _) => Err(rt(format!("Object index must be string, got {}", type_name(&i)), at)),
            (Val::Arr(_) | Val::Str(_), _) => Err(rt(format!("Index must be a number, got {}", type_name(&i)), at)),
            _ => Err(rt(format!("Value non indexable: {}", type_name(&t)), at)),
        }
    }

    pub fn call(&mut self, f: &Rc<Func>, pos: Vec<Th>, named: Vec<(Rc<str>, Th)>, at: usize) -> R<Val> {
        self.calls += 1;
        if self.calls > MAX_CALLS {
            self.calls -= 1;
            return Err(rt("max stack frames exceeded.", at));
        }
        let r = self.call_inner(f, pos, named, at);
        self.calls -= 1;
        r
    }

    fn call_inner(&mut self, f: &Rc<Func>, pos: Vec<Th>, named: Vec<(Rc<str>, Th)>, at: usize) -> R<Val> {
        match &**f {
            Func::Closure { params, body, env } => {
                if pos.len() > params.len() {
                    return Err(rt(format!("Too many arguments, there can be at most {} arguments", params.len()), at));
                }
                let mut given: Vec<Option<Th>> = params.iter().map(|_| None).collect();
                for (i, t) in pos.into_iter().enumerate() {
                    given[i] = Some(t);
                }
                for (n, t) in named {
                    let Some(i) = params.iter().position(|p| p.name == n) else {
                        return Err(rt(format!("function has no parameter {n}"), at));
                    };
                    if given[i].is_some() {
                        return Err(rt(format!("Argument {n} already provided"), at));
                    }
                    given[i] = Some(t);
                }
                // Defaults see the other parameters: bound like recursive locals.
                let mut en = env.clone();
                let mut pending = Vec::new();
                for (p, g) in params.iter().zip(given) {
                    let t = match g {
                        Some(t) => t,
                        None => match &p.default {
                            Some(d) => {
                                let t = Rc::new(Thunk { state: RefCell::new(State::Busy), start: d.start, end: d.end });
                                self.track(&t);
                                pending.push((t.clone(), d.clone()));
                                t
                            }
                            None => return Err(rt(format!("Missing argument: {}", p.name), at)),
                        },
                    };
                    en = en.bind(p.name.clone(), t);
                }
                for (t, d) in pending {
                    *t.state.borrow_mut() = State::Expr(en.clone(), d);
                }
                self.eval(&en, body)
            }
            Func::Builtin { name, params } => {
                let mut given: Vec<Option<Th>> = params.iter().map(|_| None).collect();
                if pos.len() > params.len() {
                    return Err(rt(format!("Too many arguments, there can be at most {} arguments", params.len()), at));
                }
                for (i, t) in pos.into_iter().enumerate() {
                    given[i] = Some(t);
                }
                for (n, t) in named {
                    let Some(i) = params.iter().position(|p| **p == *n) else {
                        return Err(rt(format!("function has no parameter {n}"), at));
                    };
                    given[i] = Some(t);
                }
                stdlib::call(self, name, given, at)
            }
        }
    }

    /// Call a function value with values.
    pub fn call_vals(&mut self, f: &Rc<Func>, args: Vec<Val>, at: usize) -> R<Val> {
        let ths = args.into_iter().map(|v| Ev::done(v, at, at)).collect();
        self.call(f, ths, Vec::new(), at)
    }

    fn binary(&mut self, env: &Env, op: BinOp, a: &P, b: &P, at: usize) -> R<Val> {
        // `&&` and `||` evaluate their right side only when needed.
        if matches!(op, BinOp::And | BinOp::Or) {
            let l = match self.eval(env, a)? {
                Val::Bool(x) => x,
                v => return Err(rt(format!("Binary operator && or || needs booleans, got {}", type_name(&v)), at)),
            };
            if (op == BinOp::And) != l {
                return Ok(Val::Bool(l));
            }
            return match self.eval(env, b)? {
                Val::Bool(x) => Ok(Val::Bool(x)),
                v => Err(rt(format!("Binary operator && or || needs booleans, got {}", type_name(&v)), b.start)),
            };
        }
        let l = self.eval(env, a)?;
        let r = self.eval(env, b)?;
        self.binop(op, l, r, at)
    }

    pub fn binop(&mut self, op: BinOp, l: Val, r: Val, at: usize) -> R<Val> {
        use BinOp::*;
        let num = |x: f64| -> R<Val> {
            if x.is_finite() {
                Ok(Val::Num(x))
            } else {
                Err(rt("overflow", at))
            }
        };
        match (op, &l, &r) {
            (Add, _, _) => self.add(l, r, at),
            (Eq, _, _) => Ok(Val::Bool(self.equal(&l, &r, at)?)),
            (Ne, _, _) => Ok(Val::Bool(!self.equal(&l, &r, at)?)),
            (In, Val::Str(s), Val::Obj(o)) => Ok(Val::Bool(o.layers.iter().any(|l| l.index.contains_key(&**s)))),
            (Mod, Val::Str(s), _) => {
                let s = s.clone();
                fmt::format(self, &s, r, at).map(|s| Val::Str(Rc::from(s)))
            }
            (Lt | Le | Gt | Ge, _, _) => {
                let c = self.compare(&l, &r, at)?;
                Ok(Val::Bool(match op {
                    Lt => c.is_lt(),
                    Le => c.is_le(),
                    Gt => c.is_gt(),
                    _ => c.is_ge(),
                }))
            }
            (_, Val::Num(x), Val::Num(y)) => {
                let (x, y) = (*x, *y);
                let (ix, iy) = (x as i64, y as i64);
                match op {
                    Mul => num(x * y),
                    Div => {
                        if y == 0.0 {
                            return Err(rt("Division by zero.", at));
                        }
                        num(x / y)
                    }
                    Mod => {
                        if y == 0.0 {
                            return Err(rt("Division by zero.", at));
                        }
                        num(x % y)
                    }
                    Sub => num(x - y),
                    Shl => {
                        if iy < 0 {
                            return Err(rt("Shift by negative exponent.", at));
                        }
                        Ok(Val::Num(ix.wrapping_shl((iy % 64) as u32) as f64))
                    }
                    Shr => {
                        if iy < 0 {
                            return Err(rt("Shift by negative exponent.", at));
                        }
                        Ok(Val::Num(ix.wrapping_shr((iy % 64) as u32) as f64))
                    }
                    BitAnd => Ok(Val::Num((ix & iy) as f64)),
                    BitXor => Ok(Val::Num((ix ^ iy) as f64)),
                    BitOr => Ok(Val::Num((ix | iy) as f64)),
                    _ => Err(self.bad_op(op, &l, &r, at)),
                }
            }
            _ => Err(self.bad_op(op, &l, &r, at)),
        }
    }

    fn bad_op(&self, op: BinOp, l: &Val, r: &Val, at: usize) -> Bad {
        let o = match op {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::BitAnd => "&",
            BinOp::BitXor => "^",
            BinOp::BitOr => "|",
            BinOp::And => "&&",
            BinOp::Or => "||",
        };
        rt(format!("Binary operator {o} does not operate on types {} and {}", type_name(l), type_name(r)), at)
    }

    pub fn add(&mut self, l: Val, r: Val, at: usize) -> R<Val> {
        match (&l, &r) {
            (Val::Num(x), Val::Num(y)) => {
                let z = x + y;
                if z.is_finite() {
                    Ok(Val::Num(z))
                } else {
                    Err(rt("overflow", at))
                }
            }
            (Val::Str(_), _) | (_, Val::Str(_)) => {
                let a = match &l {
                    Val::Str(s) => s.to_string(),
                    v => fmt::to_string(self, v, at)?,
                };
                let b = match &r {
                    Val::Str(s) => s.to_string(),
                    v => fmt::to_string(self, v, at)?,
                };
                self.alloc_str(a.len() + b.len(), a.len() + b.len(), at)?;
                Ok(Val::Str(Rc::from(a + &b)))
            }
            (Val::Arr(x), Val::Arr(y)) => {
                self.alloc(x.len() + y.len(), at)?;
                Ok(Val::Arr(Rc::new(x.iter().chain(y.iter()).cloned().collect())))
            }
            (Val::Obj(x), Val::Obj(y)) => Ok(Val::Obj(self.extend(x, y, at)?)),
            _ => Err(self.bad_op(BinOp::Add, &l, &r, at)),
        }
    }

    pub fn equal(&mut self, l: &Val, r: &Val, at: usize) -> R<bool> {
        self.pay(1, at)?;
        Ok(match (l, r) {
            (Val::Null, Val::Null) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Num(a), Val::Num(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => {
                self.pay(a.len().min(b.len()) / 16, at)?;
                a == b
            }
            (Val::Arr(a), Val::Arr(b)) => {
                if a.len() != b.len() {
                    return Ok(false);
                }
                for (x, y) in a.iter().zip(b.iter()) {
                    let (x, y) = (self.force(x)?, self.force(y)?);
                    if !self.deeper(|ev| ev.equal(&x, &y, at), at)? {
                        return Ok(false);
                    }
                }
                true
            }
            (Val::Obj(a), Val::Obj(b)) => {
                let fa: Vec<_> = self.fields(a).into_iter().filter(|f| f.1).map(|f| f.0).collect();
                let fb: Vec<_> = self.fields(b).into_iter().filter(|f| f.1).map(|f| f.0).collect();
                if fa != fb {
                    return Ok(false);
                }
                for n in fa {
                    let x = self.get(a, &n, at)?;
                    let y = self.get(b, &n, at)?;
                    if !self.deeper(|ev| ev.equal(&x, &y, at), at)? {
                        return Ok(false);
                    }
                }
                true
            }
            (Val::Func(_), _) | (_, Val::Func(_)) => {
                return Err(rt("Cannot test equality of functions", at));
            }
            _ => false,
        })
    }

    /// Run `f` one level deeper in the walk (a recursion over a value rather than the source).
    pub fn deeper<T>(&mut self, f: impl FnOnce(&mut Ev) -> R<T>, at: usize) -> R<T> {
        self.walk += 1;
        if self.walk > MAX_WALK {
            self.walk -= 1;
            return Err(Bad::new(format!("{LIMIT}evaluation nested deeper than {MAX_WALK} levels"), at));
        }
        let r = f(self);
        self.walk -= 1;
        r
    }

    pub fn compare(&mut self, l: &Val, r: &Val, at: usize) -> R<std::cmp::Ordering> {
        self.pay(1, at)?;
        match (l, r) {
            (Val::Num(a), Val::Num(b)) => Ok(a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal)),
            (Val::Str(a), Val::Str(b)) => {
                self.pay(a.len().min(b.len()) / 16, at)?;
                Ok(a.cmp(b))
            }
            (Val::Arr(a), Val::Arr(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    let (x, y) = (self.force(x)?, self.force(y)?);
                    let c = self.deeper(|ev| ev.compare(&x, &y, at), at)?;
                    if c.is_ne() {
                        return Ok(c);
                    }
                }
                Ok(a.len().cmp(&b.len()))
            }
            _ => Err(rt(
                format!("Binary operator < does not operate on types {} and {}", type_name(l), type_name(r)),
                at,
            )),
        }
    }
}
