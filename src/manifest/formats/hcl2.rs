//! HCL2 (Terraform `.tf`, `.tfvars`, `.hcl`) as conftest gives it to policies (tmccombs/hcl2json's
//! shape): a body is an object; an attribute is its key with its value; a block nests one object
//! per label under its type and ends in an array of bodies (`resource "aws_s3_bucket" "b" {…}` is
//! `input.resource.aws_s3_bucket.b[0]`); literals are JSON values; any other expression is its
//! source text wrapped in `${…}` (`"${var.region}"`, `"${length(var.x)}"`), a template with
//! interpolations is its text with each interpolation so wrapped. Read by our own parser
//! ([`syntax`]), whose spans locate every attribute and block; [`text`] holds the literal rules.

mod syntax;
mod text;

use std::collections::HashMap;

use self::syntax::{El, Ex, Key, Structure, V};
use self::text::Num;
use super::{Bad, Kind, Member, Node};

/// An object being built: blocks of one type add to the same nested objects, so members are
/// found by name (an index, not a scan: a file of 100,000 blocks stays linear).
#[derive(Default)]
struct Obj {
    members: Vec<(String, usize, Built)>,
    index: HashMap<String, usize>,
    start: usize,
    end: usize,
}

enum Built {
    Value(Node),
    Obj(Obj),
    /// The bodies of the blocks with this type and these labels.
    Bodies(Vec<Node>, usize, usize),
}

impl Obj {
    fn finish(self) -> Node {
        let members = self.members.into_iter().map(|(key, at, b)| Member { key, at, value: b.finish() }).collect();
        Node::new(Kind::Obj(members), self.start, self.end)
    }
}

impl Built {
    fn finish(self) -> Node {
        match self {
            Built::Value(n) => n,
            Built::Obj(o) => o.finish(),
            Built::Bodies(items, start, end) => Node::new(Kind::Arr(items), start, end),
        }
    }
}

/// The deepest tree of blocks and labels read (the loader's default nesting limit).
const MAX_DEPTH: usize = 100;

struct Conv<'a> {
    text: &'a str,
}

impl Conv<'_> {
    fn source(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or("")
    }

    /// hcl2json's `${…}` for an expression it does not evaluate.
    fn wrap(&self, e: &Ex) -> String {
        format!("${{{}}}", self.source(e.start, e.end))
    }

    /// `depth`: the levels of objects and arrays above this body. Each block adds one per label
    /// plus two; the parser bounds how deep blocks nest but not how many labels one has, and a
    /// block with 50,000 labels made a tree that overflowed the stack.
    fn body(&self, body: Vec<Structure>, start: usize, end: usize, depth: usize) -> Result<Node, Bad> {
        let mut obj = Obj { start, end, ..Obj::default() };
        for s in body {
            match s {
                Structure::Attr { key, key_at: at, start: s0, end: e0, value } => {
                    if obj.index.contains_key(&key) {
                        return Err(Bad::new(format!("attribute `{key}` redefined"), at));
                    }
                    let mut value = self.expr(value)?;
                    // The attribute's whole extent, key to value, as a YAML member's.
                    value.start = value.start.min(s0);
                    value.end = value.end.max(e0);
                    obj.index.insert(key.clone(), obj.members.len());
                    obj.members.push((key, at, Built::Value(value)));
                }
                Structure::Block { ident, ident_at: at, labels, start: bs, end: be, body } => {
                    let depth = depth + labels.len() + 2;
                    if depth > MAX_DEPTH {
                        return Err(Bad::new(format!("blocks and labels nest deeper than {MAX_DEPTH} levels"), at));
                    }
                    let body = self.body(body, bs, be, depth)?;
                    let mut cur = &mut obj;
                    let mut key = ident;
                    let mut key_at = at;
                    for (label, label_at) in labels {
                        let next = cur.index.get(&key).copied();
                        let i = match next {
                            Some(i) => i,
                            None => {
                                cur.index.insert(key.clone(), cur.members.len());
                                let child = Obj { start: bs, end: be, ..Obj::default() };
                                cur.members.push((key.clone(), key_at, Built::Obj(child)));
                                cur.members.len() - 1
                            }
                        };
                        cur = match &mut cur.members[i].2 {
                            Built::Obj(o) => {
                                o.end = o.end.max(be);
                                o
                            }
                            _ => return Err(Bad::new(format!("`{key}` is both an attribute and a block"), at)),
                        };
                        key = label;
                        key_at = label_at;
                    }
                    match cur.index.get(&key).copied() {
                        Some(i) => match &mut cur.members[i].2 {
                            Built::Bodies(items, _, end) => {
                                items.push(body);
                                *end = (*end).max(be);
                            }
                            _ => {
                                return Err(Bad::new(
                                    format!(
                                        "invalid HCL for `{key}` block: cannot have blocks with and without labels"
                                    ),
                                    at,
                                ))
                            }
                        },
                        None => {
                            cur.index.insert(key.clone(), cur.members.len());
                            cur.members.push((key, key_at, Built::Bodies(vec![body], bs, be)));
                        }
                    }
                }
            }
        }
        Ok(obj.finish())
    }

    fn expr(&self, e: Ex) -> Result<Node, Bad> {
        let (start, end) = (e.start, e.end);
        let kind = match e.v {
            V::Null => Kind::Null,
            V::Bool(b) => Kind::Bool(b),
            V::Num(n) => number(n),
            V::Str(s) => Kind::Str(s),
            V::Arr(items) => Kind::Arr(items.into_iter().map(|i| self.expr(i)).collect::<Result<_, _>>()?),
            V::Obj(items) => {
                let mut members: Vec<Member> = Vec::new();
                let mut seen: HashMap<String, usize> = HashMap::new();
                for (k, v) in items {
                    let at = k.start();
                    let key = match k {
                        Key::Ident(name, _) => name,
                        Key::Expr(x) => self.key(&x),
                    };
                    let mut value = self.expr(v)?;
                    value.start = value.start.min(at);
                    match seen.get(&key) {
                        Some(&i) => members[i] = Member { key, at, value },
                        None => {
                            seen.insert(key.clone(), members.len());
                            members.push(Member { key, at, value });
                        }
                    }
                }
                Kind::Obj(members)
            }
            V::Template(els) => return self.template(els, start, end),
            V::Heredoc(els) => return self.template(els, start, end),
            V::Neg(operand) => match operand.v {
                V::Num(n) => match number(n) {
                    Kind::Int(i) => Kind::Int(i.wrapping_neg()),
                    Kind::Float(f) => Kind::Float(-f),
                    other => other,
                },
                _ => Kind::Str(self.wrap(&e_of(start, end))),
            },
            V::Not(operand) => match operand.v {
                V::Bool(b) => Kind::Bool(!b),
                _ => Kind::Str(self.wrap(&e_of(start, end))),
            },
            V::Traversal | V::Var | V::Other => Kind::Str(self.wrap(&e_of(start, end))),
        };
        Ok(Node::new(kind, start, end))
    }

    /// An object key as hcl2json gives it: a name as written, a string's text, else `${…}`.
    fn key(&self, x: &Ex) -> String {
        match &x.v {
            V::Var | V::Traversal => self.source(x.start, x.end).to_string(),
            V::Str(s) => s.clone(),
            V::Template(els) => self.template_text(els),
            _ => self.wrap(x),
        }
    }

    fn template(&self, mut els: Vec<El>, start: usize, end: usize) -> Result<Node, Bad> {
        // `"${expr}"` alone is the expression itself (a literal inside stays a literal).
        if els.len() == 1 {
            if let Some(El::Interp(_)) = els.last() {
                if let Some(El::Interp(e)) = els.pop() {
                    let mut n = self.expr(e)?;
                    n.start = start;
                    n.end = end;
                    return Ok(n);
                }
            }
        }
        Ok(Node::new(Kind::Str(self.template_text(&els)), start, end))
    }

    fn template_text(&self, els: &[El]) -> String {
        let mut out = String::new();
        for el in els {
            match el {
                El::Lit(s) => out.push_str(s),
                El::Interp(e) => match &e.v {
                    V::Str(s) => out.push_str(s),
                    V::Num(n) => out.push_str(&n.text()),
                    V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    V::Template(els) => out.push_str(&self.template_text(els)),
                    _ => out.push_str(&self.wrap(e)),
                },
                // `%{if}`/`%{for}` as written.
                El::Dir(start, end) => out.push_str(self.source(*start, *end)),
            }
        }
        out
    }
}

/// An expression known only by its bytes (to render it as its source text).
fn e_of(start: usize, end: usize) -> Ex {
    Ex { v: V::Other, start, end }
}

fn number(n: Num) -> Kind {
    match n {
        Num::NegInt(i) => Kind::Int(i),
        Num::PosInt(u) => super::number(u as f64),
        Num::Float(f) => super::number(f),
    }
}

/// Parse an HCL2 file into one object.
pub fn parse(text: &str) -> Result<Node, Bad> {
    match syntax::parse_body(text) {
        Ok(body) => Conv { text }.body(body, 0, text.len(), 0),
        Err((at, message)) => Err(Bad::new(message, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> serde_json::Value {
        let (v, _) = super::super::finish(parse(text).expect("parses"), 100).expect("shallow");
        serde_json::to_value(&v).expect("json")
    }

    #[test]
    fn blocks_nest_by_label_as_hcl2json() {
        let v = shape(
            r#"
variable "region" { default = "eu-west-1" }
resource "aws_s3_bucket" "a" {
  bucket = "a-${var.region}"
  acl    = "private"
  tags   = { owner = "ops", "team" = var.team }
  count  = 2
  ratio  = -1.5
  ids    = [1, "x", var.y]
  name   = "${var.name}"
  versioning { enabled = true }
}
resource "aws_s3_bucket" "b" { acl = upper("public-read") }
locals { on = !false }
"#,
        );
        assert_eq!(v["variable"]["region"][0]["default"], "eu-west-1");
        let a = &v["resource"]["aws_s3_bucket"]["a"][0];
        assert_eq!(a["bucket"], "a-${var.region}");
        assert_eq!(a["tags"], serde_json::json!({"owner": "ops", "team": "${var.team}"}));
        assert_eq!(a["count"], 2);
        assert_eq!(a["ratio"], -1.5);
        assert_eq!(a["ids"], serde_json::json!([1, "x", "${var.y}"]));
        assert_eq!(a["name"], "${var.name}");
        assert_eq!(a["versioning"], serde_json::json!([{"enabled": true}]));
        assert_eq!(v["resource"]["aws_s3_bucket"]["b"][0]["acl"], "${upper(\"public-read\")}");
        assert_eq!(v["locals"][0]["on"], true);
    }

    #[test]
    fn bad_hcl_is_an_error_at_its_place() {
        let bad = parse("a = 1\nb = = 2\n").expect_err("invalid");
        assert!(bad.at >= 6, "{bad:?}");
        assert_eq!(parse("a = 1\na = 2\n").expect_err("redefined").at, 6);
        assert!(parse("x = 1\nx { }\n").is_err(), "an attribute and a block of one name");
        let labels: Vec<String> = (0..50_000).map(|i| format!("l{i}")).collect();
        let many = format!("r {} {{}}\n", labels.join(" "));
        assert!(parse(&many).expect_err("too deep").message.contains("deeper than 100"));
    }

    #[test]
    fn numbers_inside_templates_in_their_shortest_form() {
        let v = shape("x = \"${1.5e300} ${0.0001} ${1e-7} ${123.456} ${18446744073709551616} ${-7} ${2.0}\"\n");
        assert_eq!(v["x"], "1.5e300 0.0001 1e-7 123.456 1.8446744073709552e19 -7 2");
        let v = shape("a = - -4\nb = -9223372036854775808\nc = 1.25e2\nd = 0.5\n");
        assert_eq!(v, serde_json::json!({"a": 4, "b": -9223372036854775808i64, "c": 125, "d": 0.5}));
    }
}
