//! Jsonnet (`*.jsonnet`, or `--parser jsonnet`) as conftest gives it to policies: the JSON value
//! the file evaluates to (conftest runs google/go-jsonnet, then decodes its output). Evaluated by
//! an evaluator of our own, because every file of a pull request is hostile: the steps it takes,
//! the size of what it builds and the depth of its calls are bounded, so a ten-line file cannot
//! stall the gate or exhaust its memory; `import`, `importstr`, `importbin` and `std.extVar` are
//! located errors (tollgate never reads another file and passes no external variables).
//!
//! [`lexer`] → [`parser`] (the expression tree) → [`eval`] (lazy values, objects as layers; the
//! `std` functions in [`stdlib`], text out of values in [`fmt`]) → here, the value manifested
//! into a [`Node`] tree whose fields point at their keys in the source.

pub mod eval;
pub mod fmt;
pub mod lexer;
pub mod parser;
pub mod stdlib;

use std::rc::Rc;

use eval::{Ev, Val, R};

use super::{number, Bad, Kind, Member, Node};

/// The start of the message of an error that is a bound of tollgate's (`parse/jsonnet-limit`),
/// not a fault of the file's Jsonnet.
pub const LIMIT: &str = "evaluation limit: ";

/// Steps of evaluation a file may take: a base, plus more for a longer file.
const BASE_STEPS: usize = 4_000_000;
const STEPS_PER_BYTE: usize = 64;

/// The stack of the thread a file is evaluated on: the walk's depth is capped (see
/// [`eval::MAX_WALK`], [`parser::MAX_NESTING`]) well within it, whatever thread reads the file.
const STACK: usize = 256 << 20;

/// The value a Jsonnet file gives, as a tree with byte spans.
pub fn parse(text: &str, max_depth: usize) -> Result<Node, Bad> {
    let run = || evaluate(text, max_depth);
    std::thread::scope(|s| {
        match std::thread::Builder::new().name("jsonnet".into()).stack_size(STACK).spawn_scoped(s, run) {
            Ok(h) => h.join().unwrap_or_else(|_| Err(Bad::new("the evaluation failed", 0))),
            Err(e) => Err(Bad::new(format!("{LIMIT}cannot start the evaluation thread: {e}"), 0)),
        }
    })
}

fn evaluate(text: &str, max_depth: usize) -> Result<Node, Bad> {
    let toks = lexer::lex(text)?;
    let tree = parser::parse(&toks)?;
    parser::check(&tree)?;
    let mut ev = Ev::new(BASE_STEPS.saturating_add(STEPS_PER_BYTE.saturating_mul(text.len())));
    let v = ev.eval(&eval::Env::default(), &tree)?;
    manifest(&mut ev, v, tree.start, tree.end, 0, max_depth)
}

/// The JSON value go-jsonnet would write, as a node spanning `start..end`: hidden fields left out,
/// each field at its key, each element at its expression.
fn manifest(ev: &mut Ev, v: Val, start: usize, end: usize, depth: usize, max_depth: usize) -> R<Node> {
    if depth > max_depth {
        return Err(Bad::new(format!("{LIMIT}nesting deeper than {max_depth} levels"), start));
    }
    ev.pay(1, start)?;
    let kind = match v {
        Val::Null => Kind::Null,
        Val::Bool(b) => Kind::Bool(b),
        Val::Num(n) => number(n),
        Val::Str(s) => {
            // One string may be referred to many times; each copy in the output is paid for.
            ev.alloc_str(s.len(), s.len(), start)?;
            Kind::Str(s.to_string())
        }
        Val::Func(_) => return Err(eval::rt("couldn't manifest function as JSON", start)),
        Val::Arr(items) => {
            let mut out = Vec::with_capacity(items.len());
            for t in items.iter() {
                let x = ev.force(t)?;
                out.push(manifest(ev, x, t.start, t.end, depth + 1, max_depth)?);
            }
            Kind::Arr(out)
        }
        Val::Obj(o) => {
            ev.check(&o)?;
            let names: Vec<Rc<str>> = ev.fields(&o).into_iter().filter(|f| f.1).map(|f| f.0).collect();
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                let (at, s, e) = ev.field_def(&o, &n).map_or((start, start, end), |f| (f.at, f.start, f.end));
                let x = ev.get(&o, &n, at)?;
                let value = manifest(ev, x, s, e, depth + 1, max_depth)?;
                out.push(Member { key: n.to_string(), at, value });
            }
            Kind::Obj(out)
        }
    };
    Ok(Node::new(kind, start, end))
}

#[cfg(test)]
mod tests {
    use super::super::json_of;
    use super::*;
    use serde_json::json;

    fn run(src: &str) -> serde_json::Value {
        json_of(parse(src, 100))
    }

    fn err(src: &str) -> (String, usize) {
        match parse(src, 100) {
            Ok(n) => (format!("no error: {n:?}"), 0),
            Err(b) => (b.message, b.at),
        }
    }

    #[test]
    fn operators_as_the_tutorial_shows_them() {
        let src = include_str!("../../../../fixtures/formats/jsonnet/arith.jsonnet");
        assert_eq!(
            run(src),
            json!({
                "joined": [10, 20, 30],
                "text": "port 8080",
                "loose": false,
                "deep": true,
                "ratio": 5.333333333333334,
                "masked": 5,
                "rest": 2.333333333333334,
                "logic": true,
                "merged": {"x": 1, "y": 20, "z": 30},
                "present": true,
                "note": "masked is 5",
                "pair": "ratio=5.333 masked=5",
                "named": "ratio=5.3",
                "block": "ratio=5.33\nrest=2.33\n",
            })
        );
    }

    #[test]
    fn objects_inheritance_and_visibility() {
        let src = r#"
local Base = { name: "a", greeting: "hi " + self.name, hidden:: 1, n: 1 };
local fn(x, y=2) = x * y;
{
  person1: Base,
  person2: Base { name: "b", n+: 10, hidden::: super.hidden + 1 },
  call: [fn(3), fn(3, y=4), fn(y=1, x=5)],
  comp: { [k]: k + "!" for k in ["x", "y"] if k != "y" },
  arr: [x * x for x in std.range(1, 4) if x % 2 == 0],
  top: { inner: $.person1.name },
  slice: [std.range(0, 9)[2:8:3], "hello"[1:3]],
  local l = 5,
  loc: l,
  m(a):: a + 1,
  mm: self.m(1),
  ifs: if l > 3 then "big" else "small",
  noelse: if false then 1,
  has: [std.objectHas(Base, "hidden"), std.objectHasAll(Base, "hidden"), "n" in Base],
}
"#;
        assert_eq!(
            run(src),
            json!({
                "person1": {"name": "a", "greeting": "hi a", "n": 1},
                "person2": {"name": "b", "greeting": "hi b", "n": 11, "hidden": 2},
                "call": [6, 12, 5],
                "comp": {"x": "x!"},
                "arr": [4, 16],
                "top": {"inner": "a"},
                "slice": [[2, 5], "el"],
                "loc": 5,
                "mm": 2,
                "ifs": "big",
                "noelse": null,
                "has": [false, true, true],
            })
        );
    }

    #[test]
    fn std_functions() {
        let src = r#"{
  a: std.length([1, 2]) + std.length("héllo") + std.length({a: 1, b:: 2}),
  b: std.join(",", std.map(function(x) std.toString(x), [1, 2.5, null, true])),
  c: std.split("a,b,,c", ","),
  d: std.splitLimit("a,b,c", ",", 1),
  e: std.foldl(function(acc, x) acc + x, [1, 2, 3], 0),
  f: std.sort([3, 1, 2]),
  g: std.uniq([1, 1, 2, 1]),
  h: std.set(["b", "a", "b"]),
  i: std.mergePatch({a: 1, b: {c: 2, d: 3}}, {b: {c: null, e: 4}, f: 5}),
  j: std.manifestJsonEx({a: [1, {}], b: "x"}, "  "),
  k: std.format("%s-%d-%05.1f", ["x", 7.9, 3.14159]),
  l: std.flattenArrays([[1], [2, 3], []]),
  m: std.objectFields({b: 1, a: 2, c:: 3}),
  n: [std.startsWith("abc", "ab"), std.endsWith("abc", "bc"), std.member([1, 2], 2)],
  o: std.base64("hello"),
  p: [std.parseInt("-42"), std.abs(-3), std.max(1, 2), std.floor(2.7), std.pow(2, 10)],
  q: std.strReplace("a-b-c", "-", "+"),
  r: std.substr("hello", 1, 3),
  s: [std.asciiUpper("ab"), std.asciiLower("CD"), std.toString({a: [1, "x"]})],
  t: std.setUnion([1, 3], [2, 3]),
  u: std.get({a: 1}, "b", "dflt"),
  v: std.makeArray(3, function(i) i * 2),
  w: std.filter(function(x) x > 1, [1, 2, 3]),
  x: std.thisFile,
  y: std.escapeStringJson("a\"b"),
  z: std.type(null),
}"#;
        assert_eq!(
            run(src),
            json!({
                "a": 8,
                "b": "1,2.5,null,true",
                "c": ["a", "b", "", "c"],
                "d": ["a", "b,c"],
                "e": 6,
                "f": [1, 2, 3],
                "g": [1, 2, 1],
                "h": ["a", "b"],
                "i": {"a": 1, "b": {"d": 3, "e": 4}, "f": 5},
                "j": "{\n  \"a\": [\n    1,\n    { }\n  ],\n  \"b\": \"x\"\n}",
                "k": "x-7-003.1",
                "l": [1, 2, 3],
                "m": ["a", "b"],
                "n": [true, true, true],
                "o": "aGVsbG8=",
                "p": [-42, 3, 2, 2, 1024],
                "q": "a+b+c",
                "r": "ell",
                "s": ["AB", "cd", "{\"a\": [1, \"x\"]}"],
                "t": [1, 2, 3],
                "u": "dflt",
                "v": [0, 2, 4],
                "w": [2, 3],
                "x": "",
                "y": "\"a\\\"b\"",
                "z": "null",
            })
        );
    }

    #[test]
    fn laziness_as_the_spec_needs() {
        // An erroring field that is hidden, or never read, is no error; an unused local neither.
        assert_eq!(run("local x = error 'no'; { a:: error 'no', b: [error 'x'][1:], c: 1 }"), json!({"b": [], "c": 1}));
        assert_eq!(run("{ a: 1, b: self.a } { a: 2 }"), json!({"a": 2, "b": 2}));
    }

    #[test]
    fn errors_are_located() {
        let src = "{\n  a: 1,\n  b: error 'boom',\n}";
        assert_eq!(err(src), ("RUNTIME ERROR: boom".into(), src.find("error").unwrap_or(0)));
        let (m, at) = err("local f(x) = x;\n{ a: f(1, 2) }");
        assert_eq!((m.as_str(), at), ("RUNTIME ERROR: Too many arguments, there can be at most 1 arguments", 21));
        assert_eq!(err("{ a: nope }").0, "STATIC ERROR: Unknown variable: nope");
        // Found before evaluation, as go-jsonnet does: a hidden field nothing reads is no escape.
        assert_eq!(err("{ a:: [x for x in [1] if y] }").0, "STATIC ERROR: Unknown variable: y");
        assert_eq!(err("local f(a, b=a) = c; 1").0, "STATIC ERROR: Unknown variable: c");
        assert_eq!(err("{ a: 1 } + self").0, "STATIC ERROR: can't use self outside of an object.");
        assert_eq!(
            run("[{ local l = 'v', [k]: l + k for k in ['b'] }, { x: $.y, y: 2 }]"),
            json!([{"b": "vb"}, {"x": 2, "y": 2}])
        );
        assert_eq!(err("{ a: std.nope(1) }").0, "RUNTIME ERROR: field does not exist: nope");
        assert_eq!(
            err("{ a: 1 + {} }").0,
            "RUNTIME ERROR: Binary operator + does not operate on types number and object"
        );
        assert_eq!(run("{ a: 1 + 'x' + {} }"), json!({"a": "1x{ }"}));
        assert_eq!(err("assert 1 == 2 : 'no way'; {}").0, "RUNTIME ERROR: no way");
        assert_eq!(err("{ assert self.a > 1, a: 1 }").0, "RUNTIME ERROR: Assertion failed");
        assert_eq!(err("{ a: 1 / 0 }").0, "RUNTIME ERROR: Division by zero.");
        assert!(err("local x = import 'other.libsonnet'; x").0.contains("`import` is not read"));
        assert!(err("importstr '/etc/passwd'").0.contains("`importstr` is not read"));
        assert!(err("std.extVar('HOME')").0.contains("Undefined external variable: HOME"));
        assert_eq!(err("{ a: ").0, "STATIC ERROR: unexpected: end of file while parsing terminal");
        assert_eq!(err("{ a: 1, 2: 3 }"), ("STATIC ERROR: expected a field name but got (2)".to_string(), 8));
        assert_eq!(err("{").0, "STATIC ERROR: expected a field name but got end of file");
        assert_eq!(err("{ f: function(x) x }").0, "RUNTIME ERROR: couldn't manifest function as JSON");
    }

    #[test]
    fn bounds_end_hostile_files() {
        // conftest's own case: go-jsonnet stops at 500 frames.
        let (m, _) = err("local recurse(x) = if x == 0 then 0 else recurse(x-1) + 1;\n{ result: recurse(1000) }");
        assert_eq!(m, "RUNTIME ERROR: max stack frames exceeded.");
        assert_eq!(run("local r(x) = if x == 0 then 0 else r(x-1) + 1; r(400)"), json!(400));
        let limit = |src: &str| {
            let (m, _) = err(src);
            assert!(m.starts_with(LIMIT), "{}: {m}", &src[..src.len().min(60)]);
        };
        limit("std.makeArray(1e9, function(i) i)");
        limit("local f(n) = if n == 0 then 1 else f(n - 1) + f(n - 1); f(60)");
        limit("std.repeat('x', 1e9)");
        limit("std.range(1, 2000000)");
        limit("local d(s, n) = if n == 0 then s else d(s + s, n - 1); std.length(d('x', 64))");
        limit("std.length(std.foldl(function(a, x) a + [x], std.range(1, 100000), []))");
        limit(&format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)));
        limit(&format!("{}1", "1+".repeat(100_000)));
        limit(&format!("local x = {{a: 1}}; x{}", ".a".repeat(100_000)));
        limit("local x = [x]; std.length(std.toString(x))");
        limit("local o = { a: o }; o");
    }
}
