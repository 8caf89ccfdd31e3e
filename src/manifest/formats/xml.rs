//! XML files as conftest gives them to policies (goxml2json): the document is an object of its
//! root element; an element with attributes or child elements is an object (attributes as `-name`,
//! children by local name, a name repeated an array, text as `#content`), any other element its
//! text; every value is a string. Read by `quick-xml`, whose byte positions locate every element
//! and attribute. No DTD is read and no entity it declares is expanded, so an entity bomb is an
//! error at its first reference, never an expansion.

use std::collections::HashMap;

use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use super::{Bad, Kind, Member, Node};

/// Children of one name (or one attribute), where the first one is.
struct Group {
    key: String,
    at: usize,
    nodes: Vec<Node>,
}

/// An element being read.
struct Open {
    label: String,
    start: usize,
    groups: Vec<Group>,
    index: HashMap<String, usize>,
    /// goxml2json's `Data`: the last run of text in the element, trimmed, and where it starts.
    data: Option<(String, usize)>,
}

impl Open {
    fn new(label: String, start: usize) -> Open {
        Open { label, start, groups: Vec::new(), index: HashMap::new(), data: None }
    }

    fn add(&mut self, key: String, at: usize, node: Node) {
        match self.index.get(&key) {
            Some(&i) => self.groups[i].nodes.push(node),
            None => {
                self.index.insert(key.clone(), self.groups.len());
                self.groups.push(Group { key, at, nodes: vec![node] });
            }
        }
    }

    /// The element's value as goxml2json encodes it: text alone when it has no attribute or child.
    fn close(self, end: usize) -> Node {
        let (data, data_at) = self.data.unwrap_or_default();
        if self.groups.is_empty() {
            return Node::str(data, self.start, end);
        }
        let mut members = Vec::with_capacity(self.groups.len() + 1);
        if !data.is_empty() {
            let data_end = data_at + data.len();
            members.push(Member { key: "#content".into(), at: data_at, value: Node::str(data, data_at, data_end) });
        }
        for g in self.groups {
            let value = if g.nodes.len() == 1 {
                g.nodes.into_iter().next().unwrap_or_else(|| Node::str("", g.at, g.at))
            } else {
                let (first, last) = (g.nodes.first().map_or(g.at, |n| n.start), g.nodes.last().map_or(g.at, |n| n.end));
                Node::new(Kind::Arr(g.nodes), first, last)
            };
            members.push(Member { key: g.key, at: g.at, value });
        }
        Node::new(Kind::Obj(members), self.start, end)
    }
}

/// Go's `encoding/xml` turns `\r\n` and a lone `\r` into `\n` in text and attribute values.
pub(super) fn eol(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        s.into()
    }
}

/// goxml2json's `trimNonGraphic`: leading and trailing space and characters that are not graphic
/// (Go's `unicode.IsGraphic`: controls, format characters, private use) removed.
fn trim_non_graphic(s: &str) -> &str {
    fn drop(c: char) -> bool {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}')
            || matches!(c, '\u{feff}' | '\u{fff9}'..='\u{fffb}' | '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..)
    }
    s.trim_matches(drop)
}

/// The byte of `part` in `text` when it is a slice of it (quick-xml lends slices of the input).
fn offset_in(text: &str, part: &[u8], fallback: usize) -> usize {
    let (base, p) = (text.as_ptr() as usize, part.as_ptr() as usize);
    if p >= base && p + part.len() <= base + text.len() {
        p - base
    } else {
        fallback
    }
}

pub(super) fn utf8(b: &[u8], at: usize) -> Result<&str, Bad> {
    std::str::from_utf8(b).map_err(|_| Bad::new("invalid UTF-8", at))
}

/// A start tag: its element with its attributes, `-name` each.
fn open(text: &str, e: &BytesStart<'_>, start: usize) -> Result<Open, Bad> {
    let label = utf8(e.local_name().as_ref(), start)?.to_string();
    let mut el = Open::new(label, start);
    for a in attributes(text, e, start)? {
        el.add(format!("-{}", a.name), a.at, Node::str(a.value, a.value_at, a.value_end));
    }
    Ok(el)
}

/// An attribute of a start tag: its local name, where it is, its value (line ends and references
/// decoded as Go's decoder decodes them) and where the value's text is.
pub(super) struct Attr {
    pub name: String,
    pub at: usize,
    pub value: String,
    pub value_at: usize,
    pub value_end: usize,
}

/// The attributes of the start tag at byte `start`, in order.
pub(super) fn attributes(text: &str, e: &BytesStart<'_>, start: usize) -> Result<Vec<Attr>, Bad> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| attr_error(&err, start))?;
        let at = offset_in(text, attr.key.as_ref(), start);
        let local = attr.key.local_name();
        let name = utf8(local.as_ref(), at)?.to_string();
        let raw = utf8(attr.value.as_ref(), at)?;
        let value_at = offset_in(text, attr.value.as_ref(), at);
        let value = quick_xml::escape::unescape(&eol(raw))
            .map_err(|err| Bad::new(format!("attribute `{name}`: {err}"), value_at))?
            .into_owned();
        out.push(Attr { name, at, value, value_at, value_end: value_at + raw.len() });
    }
    Ok(out)
}

/// An attribute error at its byte (quick-xml counts from after the tag's `<`).
fn attr_error(err: &AttrError, start: usize) -> Bad {
    use AttrError::*;
    let pos = match err {
        ExpectedEq(p) | ExpectedValue(p) | UnquotedValue(p) | ExpectedQuote(p, _) | Duplicated(p, _) => *p,
    };
    let message = err.to_string();
    let message = message.split_once(": ").map_or(message.as_str(), |(_, m)| m).to_string();
    Bad::new(message, start + 1 + pos)
}

/// A reference in text: a character reference or one of XML's five entities. An entity a DTD
/// declares is not expanded (Go's decoder stops at it; goxml2json then hands over what it read).
pub(super) fn reference(r: &BytesRef<'_>, at: usize, out: &mut String) -> Result<(), Bad> {
    let name = utf8(r, at)?;
    if r.is_char_ref() {
        match r.resolve_char_ref() {
            Ok(Some(c)) => out.push(c),
            _ => return Err(Bad::new(format!("invalid character reference &{name};"), at)),
        }
        return Ok(());
    }
    out.push(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return Err(Bad::new(format!("unknown entity &{name}; (entities a DTD declares are not expanded)"), at)),
    });
    Ok(())
}

/// The next event with the byte where it starts and the byte after it; a reader error at its place.
pub(super) fn next<'a>(reader: &mut Reader<&'a [u8]>) -> Result<(usize, Event<'a>, usize), Bad> {
    let before = reader.buffer_position() as usize;
    match reader.read_event() {
        Ok(e) => Ok((before, e, reader.buffer_position() as usize)),
        Err(err) => Err(Bad::new(format!("{err}"), reader.error_position() as usize)),
    }
}

/// Parse an XML document. Elements nested deeper than `max_depth` + 1 are not read: the tree then
/// ends there, and `finish` reports it as too deep.
pub fn parse(text: &str, max_depth: usize) -> Result<Node, Bad> {
    let mut reader = Reader::from_str(text);
    // The document: goxml2json's root node, whose children are the top-level elements.
    let mut stack: Vec<Open> = vec![Open::new(String::new(), 0)];
    // Text and references up to the next markup, which Go's decoder gives as one `CharData`.
    let mut run: Option<(String, usize)> = None;
    loop {
        let (before, event, at) = next(&mut reader)?;
        match &event {
            Event::Text(t) => {
                let s = utf8(t, before)?;
                if !s.is_empty() {
                    run.get_or_insert_with(|| (String::new(), before)).0.push_str(&eol(s));
                }
                continue;
            }
            Event::GeneralRef(r) => {
                let (buf, _) = run.get_or_insert_with(|| (String::new(), before));
                reference(r, before, buf)?;
                continue;
            }
            _ => {}
        }
        let top = stack.len() - 1;
        if let Some((s, start)) = run.take() {
            stack[top].data = Some(data(&s, start));
        }
        match event {
            Event::Start(e) => {
                if stack.len() > max_depth + 1 {
                    // Deep enough for `finish` to refuse: fold what is open and stop reading.
                    stack.push(open(text, &e, before)?);
                    return Ok(fold(stack, at));
                }
                stack.push(open(text, &e, before)?);
            }
            Event::Empty(e) => {
                let el = open(text, &e, before)?;
                let label = el.label.clone();
                stack[top].add(label, before, el.close(at));
            }
            Event::End(_) => {
                if top == 0 {
                    return Err(Bad::new("closing tag without an opening one", before));
                }
                if let Some(el) = stack.pop() {
                    let (label, start) = (el.label.clone(), el.start);
                    let node = el.close(at);
                    stack[top - 1].add(label, start, node);
                }
            }
            Event::CData(c) => {
                let s = utf8(&c, before)?;
                // `<![CDATA[` is 9 bytes.
                stack[top].data = Some(data(&eol(s), before + 9));
            }
            Event::Eof => break,
            // Comments, processing instructions, the declaration and the DTD give policies nothing.
            _ => {}
        }
    }
    if stack.len() > 1 {
        let el = &stack[stack.len() - 1];
        return Err(Bad::new(format!("element <{}> is not closed", el.label), el.start));
    }
    let root = stack.pop().map(|r| r.close(text.len()));
    match root {
        Some(node) if matches!(node.kind, Kind::Obj(_)) => Ok(node),
        _ => Err(Bad::new("no root element", 0)),
    }
}

/// Text as goxml2json keeps it, with the byte its first kept character has in the run.
fn data(s: &str, start: usize) -> (String, usize) {
    let t = trim_non_graphic(s);
    // `t` is a slice of `s`.
    let lead = (t.as_ptr() as usize).saturating_sub(s.as_ptr() as usize);
    (t.to_string(), start + lead)
}

/// Close every open element into its parent, for a tree cut short.
fn fold(mut stack: Vec<Open>, end: usize) -> Node {
    while stack.len() > 1 {
        if let Some(el) = stack.pop() {
            let (label, start) = (el.label.clone(), el.start);
            let node = el.close(end);
            if let Some(parent) = stack.last_mut() {
                parent.add(label, start, node);
            }
        }
    }
    stack.pop().map_or_else(|| Node::str("", 0, end), |r| r.close(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        super::super::json_of(parse(text, 100))
    }

    #[test]
    fn shape_as_goxml2json() {
        let text = "<?xml version=\"1.0\"?>\n<!-- c -->\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\" xmlns:x=\"u\">\n  <modelVersion>4.0.0</modelVersion>\n  <dependencies>\n    <dependency scope=\"test\"><artifactId>junit</artifactId></dependency>\n    <dependency><artifactId>a&amp;b &#65;</artifactId><x:opt/></dependency>\n  </dependencies>\n  <name lang=\"en\">  My\r\n app </name>\n  <desc>one<br/>two</desc>\n  <tail>x<b/>\n  </tail>\n  <cdata><![CDATA[<raw>]]></cdata>\n</project>\n";
        assert_eq!(
            json(text),
            serde_json::json!({"project": {
                "-xmlns": "http://maven.apache.org/POM/4.0.0", "-x": "u",
                "modelVersion": "4.0.0",
                "dependencies": {"dependency": [
                    {"-scope": "test", "artifactId": "junit"},
                    {"artifactId": "a&b A", "opt": ""}
                ]},
                "name": {"-lang": "en", "#content": "My\n app"},
                "desc": {"#content": "two", "br": ""},
                "tail": {"b": ""},
                "cdata": "<raw>"
            }})
        );
    }

    #[test]
    fn spans_locate_elements_and_attributes() {
        let text = "<a>\n  <b k=\"v\">t</b>\n  <b>u</b>\n</a>\n";
        let (_, spans) = super::super::finish(parse(text, 100).expect("parses"), 100).expect("shallow");
        let (entry, matched) = spans.resolve(&crate::manifest::span::parse_pointer("/a/b/0/-k")).expect("resolves");
        assert_eq!(matched, 4);
        assert_eq!(spans.entries[entry].key as usize, text.find("k=").expect("k"));
        let (entry, _) = spans.resolve(&crate::manifest::span::parse_pointer("/a/b/1")).expect("resolves");
        assert_eq!(spans.entries[entry].start as usize, text.find("<b>u").expect("b"));
    }

    #[test]
    fn bad_input_has_a_place() {
        let at = |t: &str| parse(t, 100).expect_err("invalid").at;
        assert_eq!(at("<a>\n<b></c>\n</a>"), 7);
        assert_eq!(at("<a>\n  <b>\n</a>"), 10);
        assert_eq!(at("<a>\n <b x=1/></a>"), 10);
        assert_eq!(at("<a>x &nope; y</a>"), 5);
        assert!(parse("", 100).is_err());
        assert!(parse("  \n", 100).is_err());
        assert!(parse("<a x></a>", 100).is_err());
        let bomb =
            "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<l>&b;</l>";
        assert_eq!(
            parse(bomb, 100).expect_err("not expanded").message,
            "unknown entity &b; (entities a DTD declares are not expanded)"
        );
    }

    #[test]
    fn deep_nesting_stops_at_the_limit() {
        let text = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        let node = parse(&text, 10).expect("cut short");
        assert!(super::super::finish(node, 10).is_err());
    }
}
