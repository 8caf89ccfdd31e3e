//! The `std` library: the functions real-world Jsonnet and conftest's examples use, written in
//! Rust, each paying the evaluation budget for the work it does. A function not here is a located
//! "field does not exist" error, as go-jsonnet gives for an unknown one.

use std::cmp::Ordering;
use std::rc::Rc;

use super::eval::{rt, type_name, Ev, Func, Th, Val, R};
use super::fmt;

/// Every function with its parameters' names (named arguments use them).
pub const FUNCS: &[(&str, &[&str])] = &[
    ("abs", &["n"]),
    ("all", &["arr"]),
    ("any", &["arr"]),
    ("asciiLower", &["str"]),
    ("asciiUpper", &["str"]),
    ("assertEqual", &["a", "b"]),
    ("base64", &["input"]),
    ("base64Decode", &["str"]),
    ("ceil", &["x"]),
    ("char", &["n"]),
    ("clamp", &["x", "minVal", "maxVal"]),
    ("codepoint", &["str"]),
    ("contains", &["arr", "elem"]),
    ("count", &["arr", "x"]),
    ("endsWith", &["a", "b"]),
    ("equals", &["a", "b"]),
    ("escapeStringBash", &["str_"]),
    ("escapeStringDollars", &["str_"]),
    ("escapeStringJson", &["str_"]),
    ("escapeStringPython", &["str"]),
    ("exp", &["x"]),
    ("extVar", &["x"]),
    ("filter", &["func", "arr"]),
    ("filterMap", &["filter_func", "map_func", "arr"]),
    ("find", &["value", "arr"]),
    ("findSubstr", &["pat", "str"]),
    ("flatMap", &["func", "arr"]),
    ("flattenArrays", &["arrs"]),
    ("floor", &["x"]),
    ("foldl", &["func", "arr", "init"]),
    ("foldr", &["func", "arr", "init"]),
    ("format", &["str", "vals"]),
    ("get", &["o", "f", "default", "inc_hidden"]),
    ("isArray", &["v"]),
    ("isBoolean", &["v"]),
    ("isEmpty", &["str"]),
    ("isFunction", &["v"]),
    ("isNumber", &["v"]),
    ("isObject", &["v"]),
    ("isString", &["v"]),
    ("join", &["sep", "arr"]),
    ("length", &["x"]),
    ("lines", &["arr"]),
    ("log", &["x"]),
    ("lstripChars", &["str", "chars"]),
    ("makeArray", &["sz", "func"]),
    ("manifestJson", &["value"]),
    ("manifestJsonEx", &["value", "indent", "newline", "key_val_sep"]),
    ("manifestJsonMinified", &["value"]),
    ("map", &["func", "arr"]),
    ("mapWithIndex", &["func", "arr"]),
    ("max", &["a", "b"]),
    ("member", &["arr", "x"]),
    ("mergePatch", &["target", "patch"]),
    ("min", &["a", "b"]),
    ("mod", &["a", "b"]),
    ("objectFields", &["o"]),
    ("objectFieldsAll", &["o"]),
    ("objectHas", &["o", "f"]),
    ("objectHasAll", &["o", "f"]),
    ("objectKeysValues", &["o"]),
    ("objectRemoveKey", &["obj", "key"]),
    ("objectValues", &["o"]),
    ("objectValuesAll", &["o"]),
    ("parseInt", &["str"]),
    ("pow", &["x", "n"]),
    ("prune", &["a"]),
    ("range", &["from", "to"]),
    ("repeat", &["what", "count"]),
    ("reverse", &["arr"]),
    ("round", &["x"]),
    ("rstripChars", &["str", "chars"]),
    ("set", &["arr", "keyF"]),
    ("setDiff", &["a", "b", "keyF"]),
    ("setInter", &["a", "b", "keyF"]),
    ("setMember", &["x", "arr", "keyF"]),
    ("setUnion", &["a", "b", "keyF"]),
    ("sign", &["n"]),
    ("slice", &["indexable", "index", "end", "step"]),
    ("sort", &["arr", "keyF"]),
    ("split", &["str", "c"]),
    ("splitLimit", &["str", "c", "maxsplits"]),
    ("sqrt", &["x"]),
    ("startsWith", &["a", "b"]),
    ("strReplace", &["str", "from", "to"]),
    ("stringChars", &["str"]),
    ("stripChars", &["str", "chars"]),
    ("substr", &["str", "from", "len"]),
    ("sum", &["arr"]),
    ("toString", &["a"]),
    ("trace", &["str", "rest"]),
    ("trim", &["str"]),
    ("type", &["x"]),
    ("uniq", &["arr", "keyF"]),
];

struct Args<'a> {
    name: &'static str,
    given: Vec<Option<Th>>,
    at: usize,
    ev: &'a mut Ev,
}

impl Args<'_> {
    fn has(&self, i: usize) -> bool {
        self.given.get(i).is_some_and(Option::is_some)
    }

    fn thunk(&self, i: usize) -> R<Th> {
        match self.given.get(i).and_then(Clone::clone) {
            Some(t) => Ok(t),
            None => {
                let p = FUNCS.iter().find(|f| f.0 == self.name).and_then(|f| f.1.get(i)).unwrap_or(&"?");
                Err(rt(format!("Missing argument: {p}"), self.at))
            }
        }
    }

    fn val(&mut self, i: usize) -> R<Val> {
        let t = self.thunk(i)?;
        self.ev.force(&t)
    }

    fn want(&self, i: usize, what: &str, v: &Val) -> crate::manifest::formats::Bad {
        rt(
            format!("std.{} first param must be {what}, got {}", self.name, type_name(v)).replace("first", ord(i)),
            self.at,
        )
    }

    fn str(&mut self, i: usize) -> R<Rc<str>> {
        match self.val(i)? {
            Val::Str(s) => Ok(s),
            v => Err(self.want(i, "a string", &v)),
        }
    }

    fn num(&mut self, i: usize) -> R<f64> {
        match self.val(i)? {
            Val::Num(n) => Ok(n),
            v => Err(self.want(i, "a number", &v)),
        }
    }

    fn arr(&mut self, i: usize) -> R<Rc<Vec<Th>>> {
        match self.val(i)? {
            Val::Arr(a) => Ok(a),
            v => Err(self.want(i, "an array", &v)),
        }
    }

    fn obj(&mut self, i: usize) -> R<Rc<super::eval::Obj>> {
        match self.val(i)? {
            Val::Obj(o) => Ok(o),
            v => Err(self.want(i, "an object", &v)),
        }
    }

    fn func(&mut self, i: usize) -> R<Rc<Func>> {
        match self.val(i)? {
            Val::Func(f) => Ok(f),
            v => Err(self.want(i, "a function", &v)),
        }
    }

    /// An optional `keyF` argument.
    fn key_f(&mut self, i: usize) -> R<Option<Rc<Func>>> {
        if self.has(i) {
            self.func(i).map(Some)
        } else {
            Ok(None)
        }
    }
}

fn ord(i: usize) -> &'static str {
    ["first", "second", "third", "fourth"].get(i).copied().unwrap_or("last")
}

fn s(x: impl Into<Rc<str>>) -> Val {
    Val::Str(x.into())
}

fn arr(ev: &mut Ev, vals: Vec<Val>, at: usize) -> R<Val> {
    ev.alloc(vals.len(), at)?;
    Ok(Val::Arr(Rc::new(vals.into_iter().map(|v| Ev::done(v, at, at)).collect())))
}

fn num(x: f64, at: usize) -> R<Val> {
    if x.is_finite() {
        Ok(Val::Num(x))
    } else {
        Err(rt("overflow", at))
    }
}

/// `std.NAME(args)`.
pub fn call(ev: &mut Ev, name: &'static str, given: Vec<Option<Th>>, at: usize) -> R<Val> {
    let mut a = Args { name, given, at, ev };
    a.ev.pay(1, at)?;
    match name {
        "length" => Ok(Val::Num(match a.val(0)? {
            Val::Str(s) => {
                a.ev.pay(s.len() / 16, at)?;
                s.chars().count() as f64
            }
            Val::Arr(x) => x.len() as f64,
            Val::Obj(o) => a.ev.fields(&o).iter().filter(|f| f.1).count() as f64,
            Val::Func(f) => match &*f {
                Func::Closure { params, .. } => params.len() as f64,
                Func::Builtin { params, .. } => params.len() as f64,
            },
            v => return Err(rt(format!("length operates on strings, objects, and arrays, got {}", type_name(&v)), at)),
        })),
        "type" => Ok(s(type_name(&a.val(0)?))),
        "isString" | "isNumber" | "isBoolean" | "isObject" | "isArray" | "isFunction" => {
            let t = type_name(&a.val(0)?);
            let want = match name {
                "isString" => "string",
                "isNumber" => "number",
                "isBoolean" => "boolean",
                "isObject" => "object",
                "isArray" => "array",
                _ => "function",
            };
            Ok(Val::Bool(t == want))
        }
        "extVar" => {
            let x = a.str(0)?;
            Err(rt(format!("Undefined external variable: {x} (tollgate passes no external variables)"), at))
        }
        "objectFields" | "objectFieldsAll" => {
            let o = a.obj(0)?;
            let all = name == "objectFieldsAll";
            let names = a.ev.fields(&o).into_iter().filter(|f| all || f.1).map(|f| Val::Str(f.0)).collect();
            arr(a.ev, names, at)
        }
        "objectValues" | "objectValuesAll" | "objectKeysValues" => {
            let o = a.obj(0)?;
            let all = name == "objectValuesAll";
            let mut out = Vec::new();
            for (n, _) in a.ev.fields(&o).into_iter().filter(|f| all || f.1) {
                let v = a.ev.get(&o, &n, at)?;
                if name == "objectKeysValues" {
                    let span = [at; 3];
                    out.push(Val::Obj(
                        a.ev.plain_obj(vec![(Rc::from("key"), Val::Str(n), span), (Rc::from("value"), v, span)]),
                    ));
                } else {
                    out.push(v);
                }
            }
            arr(a.ev, out, at)
        }
        "objectHas" | "objectHasAll" => {
            let o = a.obj(0)?;
            let f = a.str(1)?;
            let all = name == "objectHasAll";
            Ok(Val::Bool(a.ev.fields(&o).iter().any(|x| *x.0 == *f && (all || x.1))))
        }
        "get" => {
            let o = a.obj(0)?;
            let f = a.str(1)?;
            let inc_hidden = if a.has(3) { matches!(a.val(3)?, Val::Bool(true)) } else { true };
            let present = a.ev.fields(&o).iter().any(|x| *x.0 == *f && (inc_hidden || x.1));
            if present {
                a.ev.get(&o, &f, at)
            } else if a.has(2) {
                a.val(2)
            } else {
                Ok(Val::Null)
            }
        }
        "objectRemoveKey" => {
            let o = a.obj(0)?;
            let k = a.str(1)?;
            let mut fields = Vec::new();
            for (n, _) in a.ev.fields(&o).into_iter().filter(|f| f.1 && *f.0 != *k) {
                let v = a.ev.get(&o, &n, at)?;
                let span = span_of(a.ev, &o, &n, at);
                fields.push((n, v, span));
            }
            Ok(Val::Obj(a.ev.plain_obj(fields)))
        }
        "map" | "mapWithIndex" | "flatMap" => {
            let f = a.func(0)?;
            let x = a.val(1)?;
            let items = match &x {
                Val::Arr(items) => items.clone(),
                Val::Str(st) if name != "mapWithIndex" => {
                    let chars: Vec<Val> = st.chars().map(|c| s(c.to_string())).collect();
                    match arr(a.ev, chars, at)? {
                        Val::Arr(i) => i,
                        _ => Rc::new(Vec::new()),
                    }
                }
                v => return Err(a.want(1, "an array", v)),
            };
            a.ev.alloc(items.len(), at)?;
            let out: Vec<Th> = items
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let args = if name == "mapWithIndex" {
                        vec![Ev::done(Val::Num(i as f64), at, at), t.clone()]
                    } else {
                        vec![t.clone()]
                    };
                    a.ev.apply_later(f.clone(), args, t.start, t.end)
                })
                .collect();
            if name != "flatMap" {
                return Ok(Val::Arr(Rc::new(out)));
            }
            let is_str = matches!(x, Val::Str(_));
            let mut acc = if is_str { Val::Str(Rc::from("")) } else { Val::Arr(Rc::new(Vec::new())) };
            for t in out {
                let v = a.ev.force(&t)?;
                if !matches!(v, Val::Null) || !is_str {
                    acc = a.ev.add(acc, v, at)?;
                }
            }
            Ok(acc)
        }
        "filter" => {
            let f = a.func(0)?;
            let items = a.arr(1)?;
            let mut out = Vec::new();
            for t in items.iter() {
                let keep = a.ev.call(&f, vec![t.clone()], Vec::new(), at)?;
                match keep {
                    Val::Bool(true) => out.push(t.clone()),
                    Val::Bool(false) => {}
                    v => return Err(rt(format!("filter function must return boolean, got: {}", type_name(&v)), at)),
                }
            }
            Ok(Val::Arr(Rc::new(out)))
        }
        "filterMap" => {
            let ff = a.func(0)?;
            let mf = a.func(1)?;
            let items = a.arr(2)?;
            let mut out = Vec::new();
            for t in items.iter() {
                if let Val::Bool(true) = a.ev.call(&ff, vec![t.clone()], Vec::new(), at)? {
                    out.push(a.ev.apply_later(mf.clone(), vec![t.clone()], t.start, t.end));
                }
            }
            Ok(Val::Arr(Rc::new(out)))
        }
        "foldl" | "foldr" => {
            let f = a.func(0)?;
            let items = a.arr(1)?;
            let mut acc = a.val(2)?;
            let order: Vec<&Th> = if name == "foldl" { items.iter().collect() } else { items.iter().rev().collect() };
            for t in order {
                let x = a.ev.force(t)?;
                let args = if name == "foldl" { vec![acc, x] } else { vec![x, acc] };
                acc = a.ev.call_vals(&f, args, at)?;
            }
            Ok(acc)
        }
        "range" => {
            let (from, to) = (a.num(0)?, a.num(1)?);
            let n = if to >= from { (to - from) as usize + 1 } else { 0 };
            a.ev.alloc(n, at)?;
            arr(a.ev, (0..n).map(|i| Val::Num(from + i as f64)).collect(), at)
        }
        "makeArray" => {
            let n = a.num(0)?;
            let f = a.func(1)?;
            if n < 0.0 || n.fract() != 0.0 {
                return Err(rt(
                    format!("makeArray requires size to be a non-negative integer, got {}", fmt::num(n)),
                    at,
                ));
            }
            a.ev.alloc(n.min(usize::MAX as f64) as usize, at)?;
            let out = (0..n as usize)
                .map(|i| a.ev.apply_later(f.clone(), vec![Ev::done(Val::Num(i as f64), at, at)], at, at))
                .collect();
            Ok(Val::Arr(Rc::new(out)))
        }
        "repeat" => {
            let what = a.val(0)?;
            let n = a.num(1)?;
            let n = if n < 0.0 { 0 } else { n as usize };
            match what {
                Val::Str(x) => {
                    a.ev.alloc_str(x.len().saturating_mul(n), x.len().saturating_mul(n), at)?;
                    Ok(s(x.repeat(n)))
                }
                Val::Arr(x) => {
                    a.ev.alloc(x.len().saturating_mul(n), at)?;
                    let out = (0..n).flat_map(|_| x.iter().cloned()).collect();
                    Ok(Val::Arr(Rc::new(out)))
                }
                v => Err(a.want(0, "a string or an array", &v)),
            }
        }
        "join" => {
            let sep = a.val(0)?;
            let items = a.arr(1)?;
            match sep {
                Val::Str(sep) => {
                    let mut out = String::new();
                    let mut first = true;
                    for t in items.iter() {
                        match a.ev.force(t)? {
                            Val::Null => continue,
                            Val::Str(x) => {
                                if !first {
                                    out.push_str(&sep);
                                }
                                first = false;
                                out.push_str(&x);
                                a.ev.alloc_str(out.len(), x.len() + sep.len(), at)?;
                            }
                            v => {
                                return Err(rt(format!("join expected string but arr contained {}", type_name(&v)), at))
                            }
                        }
                    }
                    Ok(s(out))
                }
                Val::Arr(sep) => {
                    let mut out: Vec<Th> = Vec::new();
                    let mut first = true;
                    for t in items.iter() {
                        match a.ev.force(t)? {
                            Val::Null => continue,
                            Val::Arr(x) => {
                                if !first {
                                    out.extend(sep.iter().cloned());
                                }
                                first = false;
                                out.extend(x.iter().cloned());
                                a.ev.grow(out.len(), x.len() + sep.len(), at)?;
                            }
                            v => {
                                return Err(rt(format!("join expected array but arr contained {}", type_name(&v)), at))
                            }
                        }
                    }
                    Ok(Val::Arr(Rc::new(out)))
                }
                v => Err(rt(format!("join first param must be a string or an array, got {}", type_name(&v)), at)),
            }
        }
        "lines" => {
            let items = a.arr(0)?;
            let mut out = String::new();
            for t in items.iter() {
                match a.ev.force(t)? {
                    Val::Null => {}
                    Val::Str(x) => {
                        out.push_str(&x);
                        out.push('\n');
                        a.ev.alloc_str(out.len(), x.len(), at)?;
                    }
                    v => return Err(rt(format!("lines expected string but arr contained {}", type_name(&v)), at)),
                }
            }
            Ok(s(out))
        }
        "flattenArrays" => {
            let items = a.arr(0)?;
            let mut out: Vec<Th> = Vec::new();
            for t in items.iter() {
                match a.ev.force(t)? {
                    Val::Arr(x) => {
                        out.extend(x.iter().cloned());
                        a.ev.grow(out.len(), x.len(), at)?;
                    }
                    Val::Null => {}
                    v => return Err(rt(format!("flattenArrays expected arrays, got {}", type_name(&v)), at)),
                }
            }
            Ok(Val::Arr(Rc::new(out)))
        }
        "reverse" => {
            let items = a.arr(0)?;
            a.ev.alloc(items.len(), at)?;
            Ok(Val::Arr(Rc::new(items.iter().rev().cloned().collect())))
        }
        "split" | "splitLimit" => {
            let st = a.str(0)?;
            let c = a.str(1)?;
            let max = if name == "splitLimit" { a.num(2)? } else { -1.0 };
            if c.is_empty() {
                return Err(rt("Cannot split by empty string", at));
            }
            a.ev.alloc_str(st.len(), st.len(), at)?;
            let parts: Vec<Val> = if max < 0.0 {
                st.split(&*c).map(s).collect()
            } else {
                st.splitn(max as usize + 1, &*c).map(s).collect()
            };
            arr(a.ev, parts, at)
        }
        "strReplace" => {
            let (st, from, to) = (a.str(0)?, a.str(1)?, a.str(2)?);
            if from.is_empty() {
                return Err(rt("'from' string must not be zero length.", at));
            }
            let n = st.matches(&*from).count();
            let total = st.len() + n.saturating_mul(to.len());
            a.ev.alloc_str(total, total, at)?;
            Ok(s(st.replace(&*from, &to)))
        }
        "substr" => {
            let st = a.str(0)?;
            let (from, len) = (a.num(1)?, a.num(2)?);
            if from < 0.0 || len < 0.0 {
                return Err(rt("substr from and len must be non-negative", at));
            }
            a.ev.pay(st.len() / 16, at)?;
            Ok(s(st.chars().skip(from as usize).take(len as usize).collect::<String>()))
        }
        "stringChars" => {
            let st = a.str(0)?;
            let chars = st.chars().map(|c| s(c.to_string())).collect();
            arr(a.ev, chars, at)
        }
        "startsWith" => {
            let (x, y) = (a.str(0)?, a.str(1)?);
            Ok(Val::Bool(x.starts_with(&*y)))
        }
        "endsWith" => {
            let (x, y) = (a.str(0)?, a.str(1)?);
            Ok(Val::Bool(x.ends_with(&*y)))
        }
        "isEmpty" => Ok(Val::Bool(a.str(0)?.is_empty())),
        "findSubstr" => {
            let (pat, st) = (a.str(0)?, a.str(1)?);
            a.ev.pay(st.len() / 8, at)?;
            if pat.is_empty() {
                return arr(a.ev, Vec::new(), at);
            }
            let mut out = Vec::new();
            for (byte, _) in st.match_indices(&*pat) {
                out.push(Val::Num(st[..byte].chars().count() as f64));
                a.ev.pay(1 + byte / 64, at)?;
            }
            arr(a.ev, out, at)
        }
        "toString" => {
            let v = a.val(0)?;
            Ok(s(fmt::to_string(a.ev, &v, at)?))
        }
        "format" => {
            let f = a.str(0)?;
            let v = a.val(1)?;
            Ok(s(fmt::format(a.ev, &f, v, at)?))
        }
        "asciiUpper" => Ok(s(a.str(0)?.to_ascii_uppercase())),
        "asciiLower" => Ok(s(a.str(0)?.to_ascii_lowercase())),
        "trim" => {
            let st = a.str(0)?;
            Ok(s(st.trim_matches([' ', '\t', '\n', '\u{c}', '\r', '\u{85}', '\u{a0}'])))
        }
        "stripChars" | "lstripChars" | "rstripChars" => {
            let st = a.str(0)?;
            let cs: Vec<char> = a.str(1)?.chars().collect();
            let t = match name {
                "stripChars" => st.trim_matches(&cs[..]),
                "lstripChars" => st.trim_start_matches(&cs[..]),
                _ => st.trim_end_matches(&cs[..]),
            };
            Ok(s(t))
        }
        "parseInt" => {
            let st = a.str(0)?;
            let (neg, digits) = match st.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, &*st),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(rt(format!("{:?} is not a base 10 integer", &*st), at));
            }
            let n = digits.bytes().fold(0f64, |acc, b| acc * 10.0 + f64::from(b - b'0'));
            num(if neg { -n } else { n }, at)
        }
        "codepoint" => {
            let st = a.str(0)?;
            let mut it = st.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(Val::Num(c as u32 as f64)),
                _ => Err(rt("codepoint takes a string of length 1", at)),
            }
        }
        "char" => {
            let n = a.num(0)?;
            match char::from_u32(n as u32).filter(|_| n >= 0.0) {
                Some(c) => Ok(s(c.to_string())),
                None => Err(rt(format!("Invalid unicode codepoint, got {}", fmt::num(n)), at)),
            }
        }
        "escapeStringJson" => {
            let v = a.val(0)?;
            let st = fmt::to_string(a.ev, &v, at)?;
            Ok(s(fmt::quote(&st)))
        }
        "escapeStringPython" => {
            let v = a.val(0)?;
            let st = fmt::to_string(a.ev, &v, at)?;
            Ok(s(fmt::quote(&st)))
        }
        "escapeStringBash" => {
            let v = a.val(0)?;
            let st = fmt::to_string(a.ev, &v, at)?;
            Ok(s(format!("'{}'", st.replace('\'', "'\"'\"'"))))
        }
        "escapeStringDollars" => {
            let v = a.val(0)?;
            let st = fmt::to_string(a.ev, &v, at)?;
            Ok(s(st.replace('$', "$$")))
        }
        "manifestJson" | "manifestJsonEx" | "manifestJsonMinified" => {
            let v = a.val(0)?;
            let (indent, newline, sep) = match name {
                "manifestJson" => ("    ".to_string(), "\n".to_string(), ": ".to_string()),
                "manifestJsonMinified" => (String::new(), String::new(), ":".to_string()),
                _ => {
                    let indent = a.str(1)?.to_string();
                    let newline = if a.has(2) { a.str(2)?.to_string() } else { "\n".to_string() };
                    let sep = if a.has(3) { a.str(3)?.to_string() } else { ": ".to_string() };
                    (indent, newline, sep)
                }
            };
            let out = fmt::json(a.ev, &v, Some(&indent), "", &sep, at)?;
            let out = if name == "manifestJsonMinified" {
                // One line, no spaces: go-jsonnet's `manifestJsonEx(v, '', '', ':')`.
                out.replace('\n', "").replace("[ ]", "[]").replace("{ }", "{}")
            } else if newline != "\n" {
                out.replace('\n', &newline)
            } else {
                out
            };
            Ok(s(out))
        }
        "mergePatch" => {
            let t = a.val(0)?;
            let p = a.val(1)?;
            merge_patch(a.ev, t, p, at)
        }
        "prune" => {
            let v = a.val(0)?;
            prune(a.ev, v, at)
        }
        "sort" | "uniq" | "set" => {
            let items = a.arr(0)?;
            let kf = a.key_f(1)?;
            let mut vals = Vec::with_capacity(items.len());
            for t in items.iter() {
                vals.push((a.ev.force(t)?, t.clone()));
            }
            let keyed = keys(a.ev, &kf, vals, at)?;
            let keyed = if name == "uniq" { keyed } else { sort(a.ev, keyed, at)? };
            let out = if name == "sort" { keyed } else { uniq(a.ev, keyed, at)? };
            Ok(Val::Arr(Rc::new(out.into_iter().map(|k| k.2).collect())))
        }
        "setMember" => {
            let x = a.val(0)?;
            let items = a.arr(1)?;
            let kf = a.key_f(2)?;
            let kx = key_of(a.ev, &kf, x, at)?;
            for t in items.iter() {
                let v = a.ev.force(t)?;
                let k = key_of(a.ev, &kf, v, at)?;
                if a.ev.equal(&k, &kx, at)? {
                    return Ok(Val::Bool(true));
                }
            }
            Ok(Val::Bool(false))
        }
        "setUnion" | "setInter" | "setDiff" => {
            let (x, y) = (a.arr(0)?, a.arr(1)?);
            let kf = a.key_f(2)?;
            let mut vx = Vec::new();
            for t in x.iter() {
                vx.push((a.ev.force(t)?, t.clone()));
            }
            let mut vy = Vec::new();
            for t in y.iter() {
                vy.push((a.ev.force(t)?, t.clone()));
            }
            let kx = keys(a.ev, &kf, vx, at)?;
            let ky = keys(a.ev, &kf, vy, at)?;
            let (mut i, mut j) = (0, 0);
            let mut out = Vec::new();
            while i < kx.len() || j < ky.len() {
                let c = match (kx.get(i), ky.get(j)) {
                    (Some(p), Some(q)) => a.ev.compare(&p.0, &q.0, at)?,
                    (Some(_), None) => Ordering::Less,
                    _ => Ordering::Greater,
                };
                match c {
                    Ordering::Less => {
                        if name != "setInter" {
                            out.push(kx[i].2.clone());
                        }
                        i += 1;
                    }
                    Ordering::Greater => {
                        if name == "setUnion" {
                            out.push(ky[j].2.clone());
                        }
                        j += 1;
                    }
                    Ordering::Equal => {
                        if name != "setDiff" {
                            out.push(kx[i].2.clone());
                        }
                        i += 1;
                        j += 1;
                    }
                }
            }
            Ok(Val::Arr(Rc::new(out)))
        }
        "member" | "contains" => {
            let x = a.val(0)?;
            let e = a.val(1)?;
            match x {
                Val::Arr(items) => {
                    for t in items.iter() {
                        let v = a.ev.force(t)?;
                        if a.ev.equal(&v, &e, at)? {
                            return Ok(Val::Bool(true));
                        }
                    }
                    Ok(Val::Bool(false))
                }
                Val::Str(st) if name == "member" => match e {
                    Val::Str(c) => Ok(Val::Bool(st.contains(&*c))),
                    v => Err(a.want(1, "a string", &v)),
                },
                v => Err(a.want(0, "an array", &v)),
            }
        }
        "count" => {
            let items = a.arr(0)?;
            let e = a.val(1)?;
            let mut n = 0;
            for t in items.iter() {
                let v = a.ev.force(t)?;
                if a.ev.equal(&v, &e, at)? {
                    n += 1;
                }
            }
            Ok(Val::Num(n as f64))
        }
        "find" => {
            let e = a.val(0)?;
            let items = a.arr(1)?;
            let mut out = Vec::new();
            for (i, t) in items.iter().enumerate() {
                let v = a.ev.force(t)?;
                if a.ev.equal(&v, &e, at)? {
                    out.push(Val::Num(i as f64));
                }
            }
            arr(a.ev, out, at)
        }
        "all" | "any" => {
            let items = a.arr(0)?;
            let want = name == "any";
            for t in items.iter() {
                match a.ev.force(t)? {
                    Val::Bool(b) if b == want => return Ok(Val::Bool(want)),
                    Val::Bool(_) => {}
                    v => return Err(rt(format!("std.{name} expected boolean, got {}", type_name(&v)), at)),
                }
            }
            Ok(Val::Bool(!want))
        }
        "sum" => {
            let items = a.arr(0)?;
            let mut n = 0.0;
            for t in items.iter() {
                match a.ev.force(t)? {
                    Val::Num(x) => n += x,
                    v => return Err(rt(format!("std.sum expected number, got {}", type_name(&v)), at)),
                }
            }
            num(n, at)
        }
        "abs" => num(a.num(0)?.abs(), at),
        "sign" => {
            let n = a.num(0)?;
            Ok(Val::Num(if n > 0.0 {
                1.0
            } else if n < 0.0 {
                -1.0
            } else {
                0.0
            }))
        }
        "max" => {
            let (x, y) = (a.num(0)?, a.num(1)?);
            Ok(Val::Num(x.max(y)))
        }
        "min" => {
            let (x, y) = (a.num(0)?, a.num(1)?);
            Ok(Val::Num(x.min(y)))
        }
        "clamp" => {
            let (x, lo, hi) = (a.num(0)?, a.num(1)?, a.num(2)?);
            Ok(Val::Num(if x < lo {
                lo
            } else if x > hi {
                hi
            } else {
                x
            }))
        }
        "floor" => num(a.num(0)?.floor(), at),
        "ceil" => num(a.num(0)?.ceil(), at),
        "round" => num(a.num(0)?.round(), at),
        "sqrt" => num(a.num(0)?.sqrt(), at),
        "exp" => num(a.num(0)?.exp(), at),
        "log" => num(a.num(0)?.ln(), at),
        "pow" => {
            let (x, n) = (a.num(0)?, a.num(1)?);
            num(x.powf(n), at)
        }
        "mod" => {
            let x = a.val(0)?;
            let y = a.val(1)?;
            a.ev.binop(super::parser::BinOp::Mod, x, y, at)
        }
        "equals" => {
            let (x, y) = (a.val(0)?, a.val(1)?);
            Ok(Val::Bool(a.ev.equal(&x, &y, at)?))
        }
        "assertEqual" => {
            let (x, y) = (a.val(0)?, a.val(1)?);
            if a.ev.equal(&x, &y, at)? {
                return Ok(Val::Bool(true));
            }
            let (l, r) = (fmt::json(a.ev, &x, None, "", ": ", at)?, fmt::json(a.ev, &y, None, "", ": ", at)?);
            Err(rt(format!("Assertion failed. {l} != {r}"), at))
        }
        "trace" => {
            // go-jsonnet writes the message to stderr; the library never prints.
            a.str(0)?;
            a.val(1)
        }
        "slice" => {
            let v = a.val(0)?;
            let opt = |i: usize, a: &mut Args| -> R<Option<f64>> {
                if !a.has(i) {
                    return Ok(None);
                }
                match a.val(i)? {
                    Val::Null => Ok(None),
                    Val::Num(n) => Ok(Some(n)),
                    v => Err(a.want(i, "a number", &v)),
                }
            };
            let (b, e, st) = (opt(1, &mut a)?, opt(2, &mut a)?, opt(3, &mut a)?);
            slice(a.ev, v, b, e, st, at)
        }
        "base64" => {
            let bytes: Vec<u8> = match a.val(0)? {
                Val::Str(x) => x.as_bytes().to_vec(),
                Val::Arr(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for t in items.iter() {
                        match a.ev.force(t)? {
                            Val::Num(n) if (0.0..256.0).contains(&n) => out.push(n as u8),
                            v => {
                                return Err(rt(format!("base64 encountered invalid codepoint value in the array (must be 0 <= X <= 255), got {}", type_name(&v)), at))
                            }
                        }
                    }
                    out
                }
                v => return Err(a.want(0, "a string or an array", &v)),
            };
            a.ev.alloc_str(bytes.len() * 4 / 3 + 4, bytes.len() * 4 / 3 + 4, at)?;
            Ok(s(base64_encode(&bytes)))
        }
        "base64Decode" => {
            let st = a.str(0)?;
            let bytes = base64_decode(&st).ok_or_else(|| rt("illegal base64 data", at))?;
            Ok(s(String::from_utf8_lossy(&bytes).into_owned()))
        }
        _ => Err(rt(format!("field does not exist: {name}"), at)),
    }
}

/// The location of field `n` of `o` for a rebuilt object: `[name, value start, value end]`.
fn span_of(ev: &Ev, o: &super::eval::Obj, n: &str, at: usize) -> [usize; 3] {
    ev.field_def(o, n).map_or([at; 3], |f| [f.at, f.start, f.end])
}

type Keyed = Vec<(Val, Val, Th)>;

fn key_of(ev: &mut Ev, kf: &Option<Rc<Func>>, v: Val, at: usize) -> R<Val> {
    match kf {
        Some(f) => ev.call_vals(f, vec![v], at),
        None => Ok(v),
    }
}

fn keys(ev: &mut Ev, kf: &Option<Rc<Func>>, vals: Vec<(Val, Th)>, at: usize) -> R<Keyed> {
    let mut out = Vec::with_capacity(vals.len());
    for (v, t) in vals {
        let k = key_of(ev, kf, v.clone(), at)?;
        out.push((k, v, t));
    }
    Ok(out)
}

/// A stable merge sort by key whose comparisons may fail (and pay the budget).
fn sort(ev: &mut Ev, mut v: Keyed, at: usize) -> R<Keyed> {
    if v.len() <= 1 {
        return Ok(v);
    }
    let right = v.split_off(v.len() / 2);
    let l = sort(ev, v, at)?;
    let r = sort(ev, right, at)?;
    let mut out = Vec::with_capacity(l.len() + r.len());
    let (mut li, mut ri) = (l.into_iter().peekable(), r.into_iter().peekable());
    while let (Some(x), Some(y)) = (li.peek(), ri.peek()) {
        let c = ev.compare(&x.0, &y.0, at)?;
        let next = if c == Ordering::Greater { ri.next() } else { li.next() };
        out.extend(next);
    }
    out.extend(li);
    out.extend(ri);
    Ok(out)
}

fn uniq(ev: &mut Ev, v: Keyed, at: usize) -> R<Keyed> {
    let mut out: Keyed = Vec::with_capacity(v.len());
    for k in v {
        if let Some(last) = out.last() {
            if ev.equal(&last.0, &k.0, at)? {
                continue;
            }
        }
        out.push(k);
    }
    Ok(out)
}

fn merge_patch(ev: &mut Ev, target: Val, patch: Val, at: usize) -> R<Val> {
    let Val::Obj(p) = patch else { return Ok(patch) };
    let t = match &target {
        Val::Obj(t) => Some(t.clone()),
        _ => None,
    };
    let pf: Vec<Rc<str>> = ev.fields(&p).into_iter().filter(|f| f.1).map(|f| f.0).collect();
    let mut fields = Vec::new();
    if let Some(t) = &t {
        for (n, _) in ev.fields(t).into_iter().filter(|f| f.1) {
            if pf.contains(&n) {
                continue;
            }
            let v = ev.get(t, &n, at)?;
            let span = span_of(ev, t, &n, at);
            fields.push((n, v, span));
        }
    }
    for n in pf {
        let pv = ev.get(&p, &n, at)?;
        if matches!(pv, Val::Null) {
            continue;
        }
        let tv = match &t {
            Some(t) if ev.fields(t).iter().any(|f| f.1 && f.0 == n) => ev.get(t, &n, at)?,
            _ => Val::Null,
        };
        let v = ev.deeper(|ev| merge_patch(ev, tv, pv, at), at)?;
        let span = span_of(ev, &p, &n, at);
        fields.push((n, v, span));
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    ev.alloc(fields.len(), at)?;
    Ok(Val::Obj(ev.plain_obj(fields)))
}

fn prune(ev: &mut Ev, v: Val, at: usize) -> R<Val> {
    let empty = |v: &Val| match v {
        Val::Null => true,
        Val::Arr(a) => a.is_empty(),
        Val::Obj(o) => o.layers.iter().all(|l| l.fields.is_empty()),
        _ => false,
    };
    match v {
        Val::Arr(items) => {
            let mut out = Vec::new();
            for t in items.iter() {
                let x = ev.force(t)?;
                let x = ev.deeper(|ev| prune(ev, x, at), at)?;
                if !empty(&x) {
                    out.push(Ev::done(x, t.start, t.end));
                }
            }
            Ok(Val::Arr(Rc::new(out)))
        }
        Val::Obj(o) => {
            let mut fields = Vec::new();
            for (n, _) in ev.fields(&o).into_iter().filter(|f| f.1) {
                let x = ev.get(&o, &n, at)?;
                let x = ev.deeper(|ev| prune(ev, x, at), at)?;
                if !empty(&x) {
                    let span = span_of(ev, &o, &n, at);
                    fields.push((n, x, span));
                }
            }
            Ok(Val::Obj(ev.plain_obj(fields)))
        }
        v => Ok(v),
    }
}

/// `x[a:b:c]` of an array or string (Python's slice of non-negative indexes, as std.slice).
pub fn slice(ev: &mut Ev, v: Val, a: Option<f64>, b: Option<f64>, c: Option<f64>, at: usize) -> R<Val> {
    let step = c.unwrap_or(1.0);
    if step < 1.0 || step.fract() != 0.0 {
        return Err(rt(
            format!("got [{}:{}:{}] but step must be greater than 0", a.unwrap_or(0.0), b.unwrap_or(0.0), step),
            at,
        ));
    }
    let step = step as usize;
    match v {
        Val::Arr(items) => {
            let len = items.len();
            let from = a.map_or(0, |x| x.max(0.0) as usize).min(len);
            let to = b.map_or(len, |x| x.max(0.0) as usize).min(len);
            ev.pay(len.saturating_sub(from) / step / 8, at)?;
            let out = if from < to { items[from..to].iter().step_by(step).cloned().collect() } else { Vec::new() };
            Ok(Val::Arr(Rc::new(out)))
        }
        Val::Str(st) => {
            ev.pay(st.len() / 8, at)?;
            let chars: Vec<char> = st.chars().collect();
            let len = chars.len();
            let from = a.map_or(0, |x| x.max(0.0) as usize).min(len);
            let to = b.map_or(len, |x| x.max(0.0) as usize).min(len);
            let out: String = if from < to { chars[from..to].iter().step_by(step).collect() } else { String::new() };
            Ok(s(out))
        }
        v => Err(rt(format!("std.slice accepts a string or an array, but got: {}", type_name(&v)), at)),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() * 4 / 3 + 4);
    for c in b.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for chunk in s.as_bytes().chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for (k, &c) in chunk.iter().enumerate() {
            let v = if c == b'=' && k >= 2 {
                pad += 1;
                0
            } else if pad > 0 {
                return None;
            } else {
                B64.iter().position(|&x| x == c)? as u32
            };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(base64_encode(b"hi"), "aGk=");
        assert_eq!(base64_decode("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("aGk="), Some(b"hi".to_vec()));
        assert_eq!(base64_decode("a"), None);
    }
}
