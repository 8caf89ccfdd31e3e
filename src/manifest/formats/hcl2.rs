//! HCL2 (Terraform `.tf`, `.tfvars`, `.hcl`) as conftest gives it to policies (tmccombs/hcl2json's
//! shape): a body is an object; an attribute is its key with its value; a block nests one object
//! per label under its type and ends in an array of bodies (`resource "aws_s3_bucket" "b" {…}` is
//! `input.resource.aws_s3_bucket.b[0]`); literals are JSON values; any other expression is its
//! source text wrapped in `${…}` (`"${var.region}"`, `"${length(var.x)}"`), a template with
//! interpolations is its text with each interpolation so wrapped. Parsed by `hcl-edit`, whose spans
//! locate every attribute and block.

use std::collections::HashMap;

use hcl_edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Element, Template};
use hcl_edit::Span;

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

fn span_of(s: &impl Span, fallback: usize) -> (usize, usize) {
    s.span().map_or((fallback, fallback), |r| (r.start, r.end))
}

/// The deepest tree of blocks and labels read (the loader's default nesting limit).
const MAX_DEPTH: usize = 100;

struct Conv<'a> {
    text: &'a str,
}

impl Conv<'_> {
    fn source(&self, s: &impl Span) -> &str {
        s.span().and_then(|r| self.text.get(r)).unwrap_or("")
    }

    /// hcl2json's `${…}` for an expression it does not evaluate.
    fn wrap(&self, e: &Expression) -> String {
        format!("${{{}}}", self.source(e))
    }

    /// `depth`: the levels of objects and arrays above this body. Each block adds one per label
    /// plus two; `hcl-edit` bounds how deep blocks nest but not how many labels one has, and a
    /// block with 50,000 labels made a tree that overflowed the stack.
    fn body(&self, body: &Body, start: usize, end: usize, depth: usize) -> Result<Node, Bad> {
        let mut obj = Obj { start, end, ..Obj::default() };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let (at, _) = span_of(&a.key, start);
                    let key = a.key.as_str().to_string();
                    if obj.index.contains_key(&key) {
                        return Err(Bad::new(format!("attribute `{key}` redefined"), at));
                    }
                    let (s0, e0) = span_of(a, at);
                    let mut value = self.expr(&a.value)?;
                    // The attribute's whole extent, key to value, as a YAML member's.
                    value.start = value.start.min(s0);
                    value.end = value.end.max(e0);
                    obj.index.insert(key.clone(), obj.members.len());
                    obj.members.push((key, at, Built::Value(value)));
                }
                Structure::Block(b) => {
                    let (bs, be) = span_of(b, start);
                    let (at, _) = span_of(&b.ident, bs);
                    let depth = depth + b.labels.len() + 2;
                    if depth > MAX_DEPTH {
                        return Err(Bad::new(format!("blocks and labels nest deeper than {MAX_DEPTH} levels"), at));
                    }
                    let body = self.body(&b.body, bs, be, depth)?;
                    let mut cur = &mut obj;
                    let mut key = b.ident.as_str().to_string();
                    let mut key_at = at;
                    for label in &b.labels {
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
                        key = label.as_str().to_string();
                        key_at = span_of(label, bs).0;
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

    fn expr(&self, e: &Expression) -> Result<Node, Bad> {
        let (start, end) = span_of(e, 0);
        let kind = match e {
            Expression::Null(_) => Kind::Null,
            Expression::Bool(b) => Kind::Bool(*b.value()),
            Expression::Number(n) => number(n.value()),
            Expression::String(s) => Kind::Str(s.value().to_string()),
            Expression::Array(items) => Kind::Arr(items.iter().map(|i| self.expr(i)).collect::<Result<_, _>>()?),
            Expression::Object(o) => {
                let mut members: Vec<Member> = Vec::new();
                let mut seen: HashMap<String, usize> = HashMap::new();
                for (k, v) in o.iter() {
                    let (key, at) = match k {
                        ObjectKey::Ident(id) => (id.as_str().to_string(), span_of(id, start).0),
                        ObjectKey::Expression(x) => (self.key(x), span_of(x, start).0),
                    };
                    let mut value = self.expr(v.expr())?;
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
            Expression::StringTemplate(t) => return self.template(t, start, end),
            Expression::HeredocTemplate(h) => {
                let mut h = (**h).clone();
                h.dedent();
                return self.template(&h.template, start, end);
            }
            Expression::UnaryOp(op) => match (op.operator.value(), &op.expr) {
                (UnaryOperator::Neg, Expression::Number(n)) => match number(n.value()) {
                    Kind::Int(i) => Kind::Int(-i),
                    Kind::Float(f) => Kind::Float(-f),
                    other => other,
                },
                (UnaryOperator::Not, Expression::Bool(b)) => Kind::Bool(!*b.value()),
                _ => Kind::Str(self.wrap(e)),
            },
            _ => Kind::Str(self.wrap(e)),
        };
        Ok(Node::new(kind, start, end))
    }

    /// An object key as hcl2json gives it: a name as written, a string's text, else `${…}`.
    fn key(&self, x: &Expression) -> String {
        match x {
            Expression::Variable(v) => v.as_str().to_string(),
            Expression::Traversal(_) => self.source(x).to_string(),
            Expression::String(s) => s.value().to_string(),
            Expression::StringTemplate(t) => self.template_text(t),
            _ => self.wrap(x),
        }
    }

    fn template(&self, t: &Template, start: usize, end: usize) -> Result<Node, Bad> {
        let elements: Vec<&Element> = t.iter().collect();
        // `"${expr}"` alone is the expression itself (a literal inside stays a literal).
        if let [Element::Interpolation(i)] = elements.as_slice() {
            let mut n = self.expr(&i.expr)?;
            n.start = start;
            n.end = end;
            return Ok(n);
        }
        Ok(Node::new(Kind::Str(self.template_text(t)), start, end))
    }

    fn template_text(&self, t: &Template) -> String {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => match &i.expr {
                    Expression::String(s) => out.push_str(s.value()),
                    Expression::Number(n) => out.push_str(&n.value().to_string()),
                    Expression::Bool(b) => out.push_str(if *b.value() { "true" } else { "false" }),
                    Expression::StringTemplate(t) => out.push_str(&self.template_text(t)),
                    x => out.push_str(&self.wrap(x)),
                },
                // `%{if}`/`%{for}` as written.
                Element::Directive(d) => out.push_str(self.source(&**d)),
            }
        }
        out
    }
}

fn number(n: &hcl_edit::Number) -> Kind {
    match n.as_i64() {
        Some(i) if n.is_i64() => Kind::Int(i),
        _ => super::number(n.as_f64().unwrap_or(0.0)),
    }
}

/// Parse an HCL2 file into one object.
pub fn parse(text: &str) -> Result<Node, Bad> {
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => Conv { text }.body(&body, 0, text.len(), 0),
        Err(e) => {
            let loc = e.location();
            Err(Bad::new(e.message().to_string(), loc.offset()))
        }
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
}
