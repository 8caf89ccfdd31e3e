//! CycloneDX XML BOMs as conftest gives them to policies: conftest decodes the XML into
//! cyclonedx-go's model with Go's `encoding/xml` and hands policies that model encoded as JSON, so
//! a policy sees the BOM's JSON field names, only the fields the model has, and Go's zero values
//! where it prints them (`"bomFormat": ""`, `"specVersion": "SpecVersion(0)"`, `"version": 0`). The
//! model is written down here as tables, one per type of the CycloneDX spec that tollgate reads;
//! a part of the spec outside them (vulnerabilities, pedigree, evidence, ...) is a located
//! `parse/unsupported-cyclonedx` error, never silently dropped. Read by `quick-xml` with the XML
//! reader's rules (no DTD read, no entity a DTD declares expanded), so every value keeps its place.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::xml::{attributes, eol, next, reference, utf8, Attr};
use super::{go_bool, Bad, Kind, Member, Node};

/// Start of the message of a part of the CycloneDX model tollgate does not read.
pub const UNSUPPORTED: &str = "unsupported: ";

/// An element: its local name, span, attributes, child elements and its own text (Go's
/// `,chardata`: the text directly inside it, child elements' text left out).
struct El {
    name: String,
    start: usize,
    end: usize,
    attrs: Vec<Attr>,
    children: Vec<El>,
    text: String,
    text_at: usize,
}

fn element(text: &str, e: &BytesStart<'_>, start: usize) -> Result<El, Bad> {
    let name = utf8(e.local_name().as_ref(), start)?.to_string();
    let attrs = attributes(text, e, start)?;
    Ok(El { name, start, end: start, attrs, children: Vec::new(), text: String::new(), text_at: start })
}

/// The root element, as Go's decoder reads the first element of a document (what comes after it
/// is not read). Elements nested deeper than `max_depth` are an error.
fn read(text: &str, max_depth: usize) -> Result<El, Bad> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = Vec::new();
    loop {
        let (before, event, at) = next(&mut reader)?;
        let Some(top) = stack.last_mut() else {
            // Before the root: Go's decoder skips text, comments, the declaration and the DTD.
            match event {
                Event::Start(e) => stack.push(element(text, &e, before)?),
                Event::Empty(e) => {
                    let mut root = element(text, &e, before)?;
                    root.end = at;
                    return Ok(root);
                }
                Event::End(_) => return Err(Bad::new("closing tag without an opening one", before)),
                Event::Eof => return Err(Bad::new("no root element", text.len())),
                _ => {}
            }
            continue;
        };
        match event {
            Event::Text(t) => {
                let s = utf8(&t, before)?;
                if top.text.is_empty() {
                    top.text_at = before;
                }
                top.text.push_str(&eol(s));
            }
            Event::GeneralRef(r) => {
                if top.text.is_empty() {
                    top.text_at = before;
                }
                reference(&r, before, &mut top.text)?;
            }
            Event::CData(c) => {
                let s = utf8(&c, before)?;
                if top.text.is_empty() {
                    top.text_at = before + 9;
                }
                top.text.push_str(&eol(s));
            }
            Event::Start(e) => {
                if stack.len() >= max_depth {
                    return Err(Bad::new(format!("nesting deeper than {max_depth} levels"), before));
                }
                stack.push(element(text, &e, before)?);
            }
            Event::Empty(e) => {
                let mut el = element(text, &e, before)?;
                el.end = at;
                top.children.push(el);
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else { continue };
                el.end = at;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Eof => {
                return Err(Bad::new(format!("element <{}> is not closed", top.name), top.start));
            }
            _ => {}
        }
    }
}

/// What a field of the model holds.
#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    Bool,
    Obj(&'static &'static [F]),
    /// `Licenses`: a list of `license` and `expression` choices.
    Licenses,
    /// `ToolsChoice`: legacy `tool`s (a JSON array) or `components`/`services` (an object).
    Tools,
    /// `Dependency`: `ref` with nested `dependency`/`provides` refs.
    Dependency,
    /// A part of the spec tollgate does not read: an error where it holds something.
    No,
}

/// Where a field is in the XML.
#[derive(Clone, Copy)]
enum At {
    Attr(&'static str),
    El(&'static str),
    /// `wrapper>item`: the items inside every wrapper element.
    Wrap(&'static str, &'static str),
    Text,
}

/// How a Go field is encoded: a plain value (printed unless `omitempty` and zero), a pointer
/// (printed when the XML had it) or a list (printed when it has an item).
#[derive(Clone, Copy, PartialEq)]
enum Card {
    Value { omit: bool },
    Ptr,
    List,
}

/// A field of a type of the model: its JSON name, where it is in XML, what it holds.
#[derive(Clone, Copy)]
struct F {
    json: &'static str,
    at: At,
    ty: Ty,
    card: Card,
}

const fn f(json: &'static str, at: At, ty: Ty, card: Card) -> F {
    F { json, at, ty, card }
}
/// A string element printed only when not empty.
const fn s(json: &'static str) -> F {
    f(json, At::El(json), Ty::Str, Card::Value { omit: true })
}
/// A string element always printed.
const fn s_always(json: &'static str) -> F {
    f(json, At::El(json), Ty::Str, Card::Value { omit: false })
}
/// A string attribute printed only when not empty.
const fn attr(json: &'static str) -> F {
    f(json, At::Attr(json), Ty::Str, Card::Value { omit: true })
}
const fn attr_always(json: &'static str) -> F {
    f(json, At::Attr(json), Ty::Str, Card::Value { omit: false })
}
/// An element of a type of its own, printed when present.
const fn obj(json: &'static str, ty: &'static &'static [F]) -> F {
    f(json, At::El(json), Ty::Obj(ty), Card::Ptr)
}
/// A list of objects inside a wrapper element.
const fn list(json: &'static str, item: &'static str, ty: &'static &'static [F]) -> F {
    f(json, At::Wrap(json, item), Ty::Obj(ty), Card::List)
}
const fn flag(json: &'static str) -> F {
    f(json, At::El(json), Ty::Bool, Card::Ptr)
}
const fn no(json: &'static str) -> F {
    f(json, At::El(json), Ty::No, Card::Ptr)
}
const fn no_list(json: &'static str, item: &'static str) -> F {
    f(json, At::Wrap(json, item), Ty::No, Card::List)
}
const fn licenses() -> F {
    f("licenses", At::El("licenses"), Ty::Licenses, Card::Ptr)
}
const fn hashes() -> F {
    list("hashes", "hash", &HASH)
}
const fn ext_refs() -> F {
    list("externalReferences", "reference", &EXTERNAL_REFERENCE)
}
const fn properties() -> F {
    list("properties", "property", &PROPERTY)
}

static BOM: &[F] = &[
    attr("serialNumber"),
    f("version", At::Attr("version"), Ty::Int, Card::Value { omit: false }),
    obj("metadata", &METADATA),
    list("components", "component", &COMPONENT),
    list("services", "service", &SERVICE),
    ext_refs(),
    f("dependencies", At::Wrap("dependencies", "dependency"), Ty::Dependency, Card::List),
    no_list("compositions", "composition"),
    properties(),
    no_list("vulnerabilities", "vulnerability"),
    no_list("annotations", "annotation"),
    no_list("formulation", "formula"),
    no("declarations"),
    no("definitions"),
    no_list("citations", "citation"),
];

static METADATA: &[F] = &[
    s("timestamp"),
    list("lifecycles", "lifecycle", &LIFECYCLE),
    f("tools", At::El("tools"), Ty::Tools, Card::Ptr),
    list("authors", "author", &CONTACT),
    obj("component", &COMPONENT),
    obj("manufacture", &ENTITY),
    obj("manufacturer", &ENTITY),
    obj("supplier", &ENTITY),
    licenses(),
    properties(),
    no("distributionConstraints"),
];

static LIFECYCLE: &[F] = &[s("name"), s("phase"), s("description")];

static TOOL: &[F] = &[s("vendor"), s_always("name"), s("version"), hashes(), ext_refs()];

static HASH: &[F] = &[attr_always("alg"), f("content", At::Text, Ty::Str, Card::Value { omit: false })];

static COMPONENT: &[F] = &[
    attr("bom-ref"),
    attr("mime-type"),
    attr_always("type"),
    obj("supplier", &ENTITY),
    obj("manufacturer", &ENTITY),
    s("author"),
    list("authors", "author", &CONTACT),
    s("publisher"),
    s("group"),
    s_always("name"),
    s("version"),
    s("description"),
    s("scope"),
    hashes(),
    licenses(),
    s("copyright"),
    s("cpe"),
    s("purl"),
    f("omniborId", At::El("omniborId"), Ty::Str, Card::List),
    f("swhid", At::El("swhid"), Ty::Str, Card::List),
    obj("swid", &SWID),
    flag("modified"),
    no("pedigree"),
    ext_refs(),
    properties(),
    list("components", "component", &COMPONENT),
    no("evidence"),
    no("releaseNotes"),
    no("modelCard"),
    no("data"),
    no("cryptoProperties"),
    f("tags", At::Wrap("tags", "tag"), Ty::Str, Card::List),
    flag("isExternal"),
    no_list("patentAssertions", "patentAssertion"),
    s("versionRange"),
];

static SWID: &[F] = &[
    obj("text", &ATTACHED_TEXT),
    attr("url"),
    attr_always("tagId"),
    attr_always("name"),
    attr("version"),
    f("tagVersion", At::Attr("tagVersion"), Ty::Int, Card::Ptr),
    f("patch", At::Attr("patch"), Ty::Bool, Card::Ptr),
];

static ATTACHED_TEXT: &[F] = &[
    f("content", At::Text, Ty::Str, Card::Value { omit: false }),
    f("contentType", At::Attr("content-type"), Ty::Str, Card::Value { omit: true }),
    attr("encoding"),
];

static SERVICE: &[F] = &[
    attr("bom-ref"),
    obj("provider", &ENTITY),
    s("group"),
    s_always("name"),
    s("version"),
    s("description"),
    f("endpoints", At::Wrap("endpoints", "endpoint"), Ty::Str, Card::List),
    flag("authenticated"),
    flag("x-trust-boundary"),
    list("data", "dataflow", &DATAFLOW),
    licenses(),
    ext_refs(),
    properties(),
    list("services", "service", &SERVICE),
    no("releaseNotes"),
    f("tags", At::Wrap("tags", "tag"), Ty::Str, Card::List),
    s("trustZone"),
    no_list("patentAssertions", "patentAssertion"),
];

static DATAFLOW: &[F] = &[
    attr_always("flow"),
    f("classification", At::Text, Ty::Str, Card::Value { omit: false }),
    attr("name"),
    attr("description"),
    no("governance"),
    f("source", At::Wrap("source", "url"), Ty::Str, Card::List),
    f("destination", At::Wrap("destination", "url"), Ty::Str, Card::List),
];

static LICENSE: &[F] = &[
    attr("bom-ref"),
    s("id"),
    s("name"),
    attr("acknowledgement"),
    obj("text", &ATTACHED_TEXT),
    s("url"),
    no("licensing"),
    properties(),
];

static EXTERNAL_REFERENCE: &[F] = &[s_always("url"), s("comment"), hashes(), attr_always("type"), properties()];

static PROPERTY: &[F] = &[attr_always("name"), f("value", At::Text, Ty::Str, Card::Value { omit: false })];

static ENTITY: &[F] = &[
    attr("bom-ref"),
    s_always("name"),
    obj("address", &ADDRESS),
    f("url", At::El("url"), Ty::Str, Card::List),
    f("contact", At::El("contact"), Ty::Obj(&CONTACT), Card::List),
];

static ADDRESS: &[F] = &[
    attr("bom-ref"),
    s("country"),
    s("region"),
    s("locality"),
    s("postOfficeBoxNumber"),
    s("postalCode"),
    s("streetAddress"),
];

static CONTACT: &[F] = &[attr("bom-ref"), s("name"), s("email"), s("phone")];

/// Parse a CycloneDX XML BOM into the value conftest gives policies.
pub fn parse(text: &str, max_depth: usize) -> Result<Node, Bad> {
    let root = read(text, max_depth)?;
    if root.name != "bom" {
        return Err(Bad::new(format!("expected element type <bom> but have <{}>", root.name), root.start));
    }
    let Kind::Obj(fields) = object(&[&root], BOM)?.kind else {
        return Err(Bad::new("a BOM is an object", root.start));
    };
    // The fields only the JSON encoding has, at Go's zero values: the XML decoder sets neither.
    let at = root.start;
    let mut members = vec![
        Member { key: "bomFormat".into(), at, value: Node::str("", at, at) },
        Member { key: "specVersion".into(), at, value: Node::str("SpecVersion(0)", at, at) },
    ];
    members.extend(fields);
    Ok(Node::new(Kind::Obj(members), root.start, root.end))
}

/// One value of the model from the elements that hold it (Go decodes an element met twice into
/// the same value: attributes and single fields the last one's, lists from both).
fn object(els: &[&El], fields: &[F]) -> Result<Node, Bad> {
    let (start, end) = (els.first().map_or(0, |e| e.start), els.last().map_or(0, |e| e.end));
    let mut members = Vec::new();
    for field in fields {
        if let Some((at, value)) = self::field(els, field, start)? {
            members.push(Member { key: field.json.into(), at, value });
        }
    }
    Ok(Node::new(Kind::Obj(members), start, end))
}

/// A field's member (where its key is, its value), or `None` where Go leaves it out.
fn field(els: &[&El], field: &F, start: usize) -> Result<Option<(usize, Node)>, Bad> {
    // The XML nodes the field is read from: (where, value text or element).
    let mut found: Vec<Source<'_>> = Vec::new();
    for el in els {
        match field.at {
            At::Attr(name) => {
                if let Some(a) = el.attrs.iter().rev().find(|a| a.name == name) {
                    found.push(Source::Attr(a));
                }
            }
            At::Text => found.push(Source::Text(el)),
            At::El(name) => found.extend(el.children.iter().filter(|c| c.name == name).map(Source::El)),
            At::Wrap(wrapper, item) => {
                for w in el.children.iter().filter(|c| c.name == wrapper) {
                    found.extend(w.children.iter().filter(|c| c.name == item).map(Source::El));
                }
            }
        }
    }
    if let Ty::No = field.ty {
        return match found.first() {
            Some(src) => {
                let what = match field.at {
                    At::Wrap(w, _) => w,
                    _ => field.json,
                };
                Err(Bad::new(
                    format!("{UNSUPPORTED}`<{what}>` is not read by tollgate (it reads CycloneDX XML's components, services, metadata, dependencies, licenses, hashes, external references and properties; `cyclonedx convert --output-format json` writes the whole BOM as JSON, which tollgate reads as written)"),
                    src.at(),
                ))
            }
            None => Ok(None),
        };
    }
    match field.card {
        Card::List => {
            if found.is_empty() {
                return Ok(None);
            }
            let at = found[0].at();
            let mut items = Vec::with_capacity(found.len());
            for src in &found {
                items.push(value(field, std::slice::from_ref(src))?);
            }
            let end = items.last().map_or(at, |n| n.end);
            Ok(Some((at, Node::new(Kind::Arr(items), at, end))))
        }
        Card::Ptr => {
            if found.is_empty() {
                return Ok(None);
            }
            let at = found[0].at();
            Ok(Some((at, value(field, &found)?)))
        }
        Card::Value { omit } => {
            let node = match found.last() {
                Some(_) => value(field, &found)?,
                None => Node::new(zero(field.ty), start, start),
            };
            let empty = match &node.kind {
                Kind::Str(s) => s.is_empty(),
                Kind::Int(i) => *i == 0,
                Kind::Bool(b) => !b,
                _ => false,
            };
            if omit && empty {
                return Ok(None);
            }
            let at = found.first().map_or(start, Source::at);
            Ok(Some((at, node)))
        }
    }
}

/// Where a field's value comes from.
enum Source<'a> {
    Attr(&'a Attr),
    El(&'a El),
    /// The element's own text.
    Text(&'a El),
}

impl Source<'_> {
    fn at(&self) -> usize {
        match self {
            Source::Attr(a) => a.at,
            Source::El(e) => e.start,
            Source::Text(e) => e.text_at,
        }
    }

    /// The text Go decodes a plain value from, with its span.
    fn text(&self) -> (&str, usize, usize) {
        match self {
            Source::Attr(a) => (&a.value, a.value_at, a.value_end),
            Source::El(e) => (&e.text, e.start, e.end),
            Source::Text(e) => (&e.text, e.text_at, e.text_at + e.text.len()),
        }
    }

    fn el(&self) -> Option<&El> {
        match self {
            Source::El(e) => Some(e),
            _ => None,
        }
    }
}

fn zero(ty: Ty) -> Kind {
    match ty {
        Ty::Int => Kind::Int(0),
        Ty::Bool => Kind::Bool(false),
        _ => Kind::Str(String::new()),
    }
}

/// The value of a field read from `found` (more than one: an element met again).
fn value(field: &F, found: &[Source<'_>]) -> Result<Node, Bad> {
    let last = found.last().ok_or_else(|| Bad::new("no value", 0))?;
    let (text, start, end) = last.text();
    let els: Vec<&El> = found.iter().filter_map(Source::el).collect();
    Ok(match field.ty {
        Ty::Str => Node::str(text, start, end),
        Ty::Int => Node::new(Kind::Int(go_int(text, start)?), start, end),
        Ty::Bool => {
            let t = text.trim();
            let b = if t.is_empty() { Some(false) } else { go_bool(t) };
            let b = b.ok_or_else(|| Bad::new(format!("strconv.ParseBool: parsing {t:?}: invalid syntax"), start))?;
            Node::new(Kind::Bool(b), start, end)
        }
        Ty::Obj(fields) => {
            let node = object(&els, fields)?;
            if std::ptr::eq(*fields, LICENSE) {
                license_check(&node)?;
            }
            node
        }
        Ty::Licenses => license_choices(&els)?,
        Ty::Tools => tools(&els)?,
        Ty::Dependency => dependency(&els)?,
        Ty::No => return Err(Bad::new(UNSUPPORTED, start)),
    })
}

/// Go's `strconv.ParseInt` on the trimmed text; empty text is 0.
fn go_int(text: &str, at: usize) -> Result<i64, Bad> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => "value out of range",
            _ => "invalid syntax",
        };
        Bad::new(format!("strconv.ParseInt: parsing {t:?}: {why}"), at)
    })
}

/// cyclonedx-go refuses to encode a license with both an id and a name, or neither.
fn license_check(node: &Node) -> Result<(), Bad> {
    let Kind::Obj(members) = &node.kind else { return Ok(()) };
    let has = |k: &str| members.iter().any(|m| m.key == k);
    match (has("id"), has("name")) {
        (true, true) => Err(Bad::new("license must have either id or name, not both", node.start)),
        (false, false) => Err(Bad::new("license must have either id or name", node.start)),
        _ => Ok(()),
    }
}

/// `<licenses>`: each `license` or `expression` a choice; any other element is cyclonedx-go's error.
/// A `licenses` element met again replaces the list.
fn license_choices(els: &[&El]) -> Result<Node, Bad> {
    let Some(el) = els.last() else { return Err(Bad::new("no licenses", 0)) };
    let mut items = Vec::new();
    for c in &el.children {
        let member = match c.name.as_str() {
            "license" => Member { key: "license".into(), at: c.start, value: value_of(&LICENSE_FIELD, c)? },
            "expression" => {
                let mut m = Vec::new();
                if !c.text.is_empty() {
                    let text = Node::str(c.text.as_str(), c.text_at, c.text_at + c.text.len());
                    m.push(Member { key: "expression".into(), at: c.start, value: text });
                }
                for name in ["acknowledgement", "bom-ref"] {
                    if let Some(a) = c.attrs.iter().rev().find(|a| a.name == name && !a.value.is_empty()) {
                        m.push(Member {
                            key: name.into(),
                            at: a.at,
                            value: Node::str(a.value.as_str(), a.value_at, a.value_end),
                        });
                    }
                }
                items.push(Node::new(Kind::Obj(m), c.start, c.end));
                continue;
            }
            "expression-detailed" => {
                return Err(Bad::new(
                    format!(
                        "{UNSUPPORTED}`<expression-detailed>` is not read by tollgate (a JSON BOM is read as written)"
                    ),
                    c.start,
                ))
            }
            other => return Err(Bad::new(format!("unknown element: {other}"), c.start)),
        };
        items.push(Node::new(Kind::Obj(vec![member]), c.start, c.end));
    }
    Ok(Node::new(Kind::Arr(items), el.start, el.end))
}

const LICENSE_FIELD: F = f("license", At::El("license"), Ty::Obj(&LICENSE), Card::Ptr);

fn value_of(field: &F, el: &El) -> Result<Node, Bad> {
    value(field, &[Source::El(el)])
}

const TOOL_FIELD: F = f("tool", At::El("tool"), Ty::Obj(&TOOL), Card::Ptr);
const COMPONENT_FIELD: F = f("component", At::El("component"), Ty::Obj(&COMPONENT), Card::Ptr);
const SERVICE_FIELD: F = f("service", At::El("service"), Ty::Obj(&SERVICE), Card::Ptr);

/// `<tools>`: legacy `tool` elements (a JSON array) or `components`/`services` (an object); both
/// at once, another element, or nothing at all is an error in cyclonedx-go.
fn tools(els: &[&El]) -> Result<Node, Bad> {
    let (start, end) = (els.first().map_or(0, |e| e.start), els.last().map_or(0, |e| e.end));
    let (mut legacy, mut components, mut services) = (Vec::new(), None, None);
    for el in els {
        for c in &el.children {
            match c.name.as_str() {
                "tool" => legacy.push(value_of(&TOOL_FIELD, c)?),
                "components" | "services" => {
                    let (item, field) = if c.name == "components" {
                        ("component", &COMPONENT_FIELD)
                    } else {
                        ("service", &SERVICE_FIELD)
                    };
                    let mut list = Vec::new();
                    for i in c.children.iter().filter(|i| i.name == item) {
                        list.push(value_of(field, i)?);
                    }
                    if !list.is_empty() {
                        let slot = if c.name == "components" { &mut components } else { &mut services };
                        *slot = Some(Member {
                            key: c.name.clone(),
                            at: c.start,
                            value: Node::new(Kind::Arr(list), c.start, c.end),
                        });
                    }
                }
                other => return Err(Bad::new(format!("unknown element: {other}"), c.start)),
            }
        }
    }
    if !legacy.is_empty() && (components.is_some() || services.is_some()) {
        return Err(Bad::new(
            "either a list of tools, or an object holding components and services can be used, but not both",
            start,
        ));
    }
    if !legacy.is_empty() {
        return Ok(Node::new(Kind::Arr(legacy), start, end));
    }
    let members: Vec<Member> = components.into_iter().chain(services).collect();
    if members.is_empty() {
        // cyclonedx-go encodes an empty tools choice as nothing, which Go's JSON encoder refuses.
        return Err(Bad::new(
            "`<tools>` holds no tool: cyclonedx-go cannot encode it (unexpected end of JSON input)",
            start,
        ));
    }
    Ok(Node::new(Kind::Obj(members), start, end))
}

/// `<dependency ref="a"><dependency ref="b"/></dependency>`: `{"ref": "a", "dependsOn": ["b"]}`.
fn dependency(els: &[&El]) -> Result<Node, Bad> {
    let Some(el) = els.last() else { return Err(Bad::new("no dependency", 0)) };
    let ref_of = |e: &El| match e.attrs.iter().rev().find(|a| a.name == "ref") {
        Some(a) => Node::str(a.value.as_str(), a.value_at, a.value_end),
        None => Node::str("", e.start, e.start),
    };
    let mut members = vec![Member { key: "ref".into(), at: el.start, value: ref_of(el) }];
    for (child, key) in [("dependency", "dependsOn"), ("provides", "provides")] {
        let refs: Vec<Node> = el.children.iter().filter(|c| c.name == child).map(&ref_of).collect();
        if let Some(first) = refs.first() {
            let (at, end) = (first.start, refs.last().map_or(first.end, |n| n.end));
            members.push(Member { key: key.into(), at, value: Node::new(Kind::Arr(refs), at, end) });
        }
    }
    Ok(Node::new(Kind::Obj(members), el.start, el.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        super::super::json_of(parse(text, 100))
    }

    fn error(text: &str) -> String {
        let bad = parse(text, 100).expect_err("refused");
        format!("{}: {}", bad.at, bad.message)
    }

    #[test]
    fn the_bom_as_cyclonedx_go_encodes_it() {
        let text = "\u{feff}<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" serialNumber=\"urn:x\" version=\" 2 \">\n  <metadata>\n    <timestamp>2021</timestamp>\n    <tools><tool><vendor>anchore</vendor><name>syft</name><hashes/></tool></tools>\n    <component type=\"container\" bom-ref=\"c\"><name>img</name><version>sha256:1</version><hashes/><components/></component>\n  </metadata>\n  <components>\n    <component type=\"library\"><name> a &amp; b </name><hashes><hash alg=\"SHA-256\">ab</hash></hashes><licenses><license><id>MIT</id></license><expression acknowledgement=\"declared\">A OR B</expression></licenses><modified>TRUE</modified><tags><tag>x</tag></tags><unknown>dropped</unknown><properties><property name=\"k\">v</property></properties></component>\n  </components>\n  <dependencies><dependency ref=\"a\"><dependency ref=\"b\"/></dependency></dependencies>\n  <externalReferences><reference type=\"website\"><url>https://x</url></reference></externalReferences>\n</bom>\n";
        assert_eq!(
            json(text),
            serde_json::json!({
                "bomFormat": "", "specVersion": "SpecVersion(0)", "serialNumber": "urn:x", "version": 2,
                "metadata": {
                    "timestamp": "2021",
                    "tools": [{"vendor": "anchore", "name": "syft"}],
                    "component": {"bom-ref": "c", "type": "container", "name": "img", "version": "sha256:1"}
                },
                "components": [{
                    "type": "library", "name": " a & b ",
                    "hashes": [{"alg": "SHA-256", "content": "ab"}],
                    "licenses": [{"license": {"id": "MIT"}}, {"expression": "A OR B", "acknowledgement": "declared"}],
                    "modified": true, "tags": ["x"], "properties": [{"name": "k", "value": "v"}]
                }],
                "dependencies": [{"ref": "a", "dependsOn": ["b"]}],
                "externalReferences": [{"url": "https://x", "type": "website"}]
            })
        );
        // The zero values Go prints: no version attribute is 0, an empty component has its type and name.
        assert_eq!(
            json("<bom><components><component/></components><services><service><tools/></service></services></bom>"),
            serde_json::json!({"bomFormat": "", "specVersion": "SpecVersion(0)", "version": 0,
                "components": [{"type": "", "name": ""}], "services": [{"name": ""}]})
        );
        // New-style tools are an object; an empty wrapper is no list.
        assert_eq!(
            json("<bom><metadata><tools><components><component type=\"application\"><name>t</name></component></components></tools></metadata><vulnerabilities/></bom>")["metadata"],
            serde_json::json!({"tools": {"components": [{"type": "application", "name": "t"}]}})
        );
    }

    #[test]
    fn what_cyclonedx_go_refuses_and_what_tollgate_does_not_read_have_a_place() {
        assert_eq!(error("<project/>"), "0: expected element type <bom> but have <project>");
        assert_eq!(error("<bom version=\"x\"/>"), "14: strconv.ParseInt: parsing \"x\": invalid syntax");
        assert_eq!(
            error("<bom>\n<components><component><modified>yes</modified></component></components></bom>"),
            "29: strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
        assert_eq!(error("<bom><metadata><licenses><foo/></licenses></metadata></bom>"), "25: unknown element: foo");
        assert_eq!(
            error("<bom><metadata><licenses><license><id>a</id><name>b</name></license></licenses></metadata></bom>"),
            "25: license must have either id or name, not both"
        );
        assert_eq!(
            error("<bom><metadata><licenses><license/></licenses></metadata></bom>"),
            "25: license must have either id or name"
        );
        assert!(error("<bom><metadata><tools/></metadata></bom>").starts_with("15: `<tools>` holds no tool"));
        assert!(error("<bom><metadata><tools><tool><name>a</name></tool><components><component><name>b</name></component></components></tools></metadata></bom>").contains("not both"));
        let v = error("<bom>\n  <vulnerabilities><vulnerability/></vulnerabilities></bom>");
        assert!(v.starts_with(&format!("25: {UNSUPPORTED}`<vulnerabilities>`")), "{v}");
        assert!(
            error("<bom><components><component><pedigree/></component></components></bom>").contains("`<pedigree>`")
        );
        assert!(error("<bom>").contains("not closed"));
        assert!(error("<bom>&ent;</bom>").contains("entities a DTD declares are not expanded"));
        let deep = format!("<bom>{}{}</bom>", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert!(error(&deep).contains("nesting deeper than 100 levels"));
    }

    #[test]
    fn spans_locate_values() {
        let text = "<bom>\n  <metadata>\n    <component type=\"container\">\n      <version>v1</version>\n    </component>\n  </metadata>\n</bom>\n";
        let (_, spans) = super::super::finish(parse(text, 100).expect("parses"), 100).expect("shallow");
        let (entry, matched) =
            spans.resolve(&crate::manifest::span::parse_pointer("/metadata/component/version")).expect("resolves");
        assert_eq!(matched, 3);
        assert_eq!(spans.entries[entry].key as usize, text.find("<version>").expect("version"));
    }
}
