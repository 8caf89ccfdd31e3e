//! Documents as the validator reads them: the loader's own tree (a regorus `Value`) seen through
//! jsonschema's `Json` representation trait, so that validating a document copies nothing. What it
//! reads is exactly what `convert::to_json` would build: `null` members absent, sets as arrays,
//! `undefined` and the numbers serde_json cannot hold as null, a SOPS document's `sops` set aside.

use std::borrow::Cow;
use std::sync::Arc;

use jsonschema::json::{Array, Json, Node, NodeIdentity, Object};
use jsonschema::JsonType;
use regorus::value::{Object as Members, Set};
use regorus::Value;
use serde_json::{Number, Value as JsonValue};

use super::convert::{is_absent, key_text, number, to_json};

/// The representation: validators compiled for it take an [`At`].
pub struct Doc;

/// A node of a document, with the top-level member that is set aside, if any.
#[derive(Clone, Copy)]
pub struct At<'a> {
    v: &'a Value,
    hidden: Option<&'a str>,
}

impl<'a> At<'a> {
    /// A whole document.
    pub fn root(v: &'a Value) -> Self {
        At { v, hidden: None }
    }

    /// A whole document without its top-level member `name` (a SOPS document's metadata).
    pub fn root_without(v: &'a Value, name: &'a str) -> Self {
        At { v, hidden: Some(name) }
    }

    fn child(v: &'a Value) -> Self {
        At { v, hidden: None }
    }
}

/// Backs the string nodes of `propertyNames`.
pub struct NameBuf(Value);

impl Default for NameBuf {
    fn default() -> Self {
        NameBuf(Value::Null)
    }
}

impl Json for Doc {
    type Node<'a> = At<'a>;
    type PreparedKey = Value;
    type StringBuffer = NameBuf;

    // A regorus value is immutable and reference-counted: no node contains itself.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Value {
        Value::String(key.into())
    }

    fn with_string_node<T>(buffer: &mut NameBuf, string: &str, f: impl FnOnce(At<'_>) -> T) -> T {
        buffer.0 = Value::String(string.into());
        f(At::root(&buffer.0))
    }
}

/// What a node is to JSON: a number serde_json cannot hold is null, as in `to_json`.
fn json_type(v: &Value) -> JsonType {
    match v {
        Value::Null | Value::Undefined => JsonType::Null,
        Value::Bool(_) => JsonType::Boolean,
        Value::Number(_) if number(v).is_some() => JsonType::Number,
        Value::Number(_) => JsonType::Null,
        Value::String(_) => JsonType::String,
        Value::Array(_) | Value::Set(_) => JsonType::Array,
        Value::Object(_) => JsonType::Object,
    }
}

impl<'a> Node<'a, Doc> for At<'a> {
    type Object = Obj<'a>;
    type Array = Arr<'a>;
    type Number = Number;

    fn as_object(&self) -> Option<Obj<'a>> {
        let Value::Object(o) = self.v else { return None };
        let o: &'a Members = o;
        // Keys sort by variant and strings sit between numbers and arrays: when the first and
        // the last key are strings, every key is.
        let mut ends = o.iter_sorted();
        let first = ends.next();
        let last = ends.next_back().or(first);
        let strings = matches!((first, last), (Some((Value::String(_), _)), Some((Value::String(_), _))) | (None, _));
        if strings {
            return Some(Obj::Sorted { o, hidden: self.hidden });
        }
        // Keys that are no strings (a value built by hand): named as `to_json` names them, the
        // last of two that name alike keeping the first one's place.
        let mut named: Vec<(String, &'a Value)> = Vec::with_capacity(o.len());
        for (k, v) in o.iter_sorted() {
            if is_absent(v) {
                continue;
            }
            let name = key_text(k);
            if Some(name.as_str()) == self.hidden {
                continue;
            }
            match named.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = v,
                None => named.push((name, v)),
            }
        }
        Some(Obj::Named(Arc::new(named)))
    }

    fn as_array(&self) -> Option<Arr<'a>> {
        match self.v {
            Value::Array(a) => Some(Arr::Slice(a.as_slice())),
            Value::Set(s) => Some(Arr::Set(s)),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.v {
            Value::String(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<Number> {
        number(self.v)
    }

    fn is_number(&self) -> bool {
        matches!(self.v, Value::Number(_)) && number(self.v).is_some()
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.v {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        json_type(self.v) == JsonType::Null
    }

    fn is_string(&self) -> bool {
        matches!(self.v, Value::String(_))
    }

    fn json_type(&self) -> JsonType {
        json_type(self.v)
    }

    fn string_length_within(&self, min: u64, max: u64) -> Option<bool> {
        let Value::String(s) = self.v else { return None };
        // A code point takes one to four bytes, so the count lies in `ceil(bytes / 4)..=bytes`.
        let bytes = s.len() as u64;
        let fewest = bytes.div_ceil(4);
        if bytes < min || fewest > max {
            return Some(false);
        }
        if min <= fewest && bytes <= max {
            return Some(true);
        }
        Some((min..=max).contains(&(s.chars().count() as u64)))
    }

    fn equals_value(&self, expected: &JsonValue) -> bool {
        // `enum` of strings is the common case: compared without building the value.
        match (self.v, expected) {
            (Value::String(s), JsonValue::String(e)) => **s == **e,
            (Value::String(_), _) => false,
            _ => jsonschema::json::cmp::equal(&self.to_value(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, JsonValue> {
        let mut v = to_json(self.v);
        if let (Some(name), JsonValue::Object(m)) = (self.hidden, &mut v) {
            m.shift_remove(name);
        }
        Cow::Owned(v)
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Value>(self.v) as usize))
    }
}

/// An object node's members.
pub enum Obj<'a> {
    /// String keys (every document the loaders build), `null` members skipped as they are met.
    Sorted { o: &'a Members, hidden: Option<&'a str> },
    /// Keys that are no strings, named.
    Named(Arc<Vec<(String, &'a Value)>>),
}

/// The members of an object node, in key order.
pub enum MembersIter<'a> {
    Sorted(regorus::value::Iter<'a>, Option<&'a str>),
    Named(Arc<Vec<(String, &'a Value)>>, usize),
}

impl<'a> Iterator for MembersIter<'a> {
    type Item = (Cow<'a, str>, At<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            MembersIter::Sorted(it, hidden) => loop {
                let (k, v) = it.next()?;
                let Value::String(k) = k else { continue };
                if is_absent(v) || Some(&**k) == *hidden {
                    continue;
                }
                return Some((Cow::Borrowed(&**k), At::child(v)));
            },
            MembersIter::Named(named, i) => {
                let (k, v) = named.get(*i)?;
                *i += 1;
                Some((Cow::Owned(k.clone()), At::child(v)))
            }
        }
    }
}

impl<'a> Object<'a, Doc> for Obj<'a> {
    type Node = At<'a>;
    type MemberName = Cow<'a, str>;
    type MembersIter = MembersIter<'a>;

    fn len(&self) -> usize {
        match self {
            Obj::Sorted { o, hidden } => o
                .iter_sorted()
                .filter(|(k, v)| !is_absent(v) && !matches!((k, hidden), (Value::String(k), Some(h)) if **k == **h))
                .count(),
            Obj::Named(named) => named.len(),
        }
    }

    fn get(&self, key: &Value) -> Option<At<'a>> {
        match self {
            Obj::Sorted { o, hidden } => {
                if let (Some(h), Value::String(k)) = (hidden, key) {
                    if **k == **h {
                        return None;
                    }
                }
                o.get(key).filter(|v| !is_absent(v)).map(At::child)
            }
            Obj::Named(named) => {
                let Value::String(k) = key else { return None };
                named.iter().find(|(n, _)| **n == **k).map(|(_, v)| At::child(v))
            }
        }
    }

    fn members(&self) -> MembersIter<'a> {
        match self {
            Obj::Sorted { o, hidden } => MembersIter::Sorted(o.iter_sorted(), *hidden),
            Obj::Named(named) => MembersIter::Named(named.clone(), 0),
        }
    }
}

/// An array node's elements (a set's in its order).
pub enum Arr<'a> {
    Slice(&'a [Value]),
    Set(&'a Set),
}

/// The elements of an array node.
pub enum Elements<'a> {
    Slice(std::slice::Iter<'a, Value>),
    Set(std::vec::IntoIter<&'a Value>),
}

impl<'a> Iterator for Elements<'a> {
    type Item = At<'a>;

    fn next(&mut self) -> Option<At<'a>> {
        match self {
            Elements::Slice(it) => it.next().map(At::child),
            Elements::Set(it) => it.next().map(At::child),
        }
    }
}

impl<'a> Array<'a, Doc> for Arr<'a> {
    type Node = At<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        match self {
            Arr::Slice(s) => s.len(),
            Arr::Set(s) => s.len(),
        }
    }

    fn elements(&self) -> Elements<'a> {
        match self {
            Arr::Slice(s) => Elements::Slice(s.iter()),
            // Sets are no document's (only a value built by hand has one).
            Arr::Set(s) => Elements::Set(s.iter().collect::<Vec<_>>().into_iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    /// Schemas that reach every accessor: members, lengths, numbers, enums, names, uniqueness.
    fn schemas() -> Vec<JsonValue> {
        vec![
            json!({"type": "object", "required": ["a", "sops"], "additionalProperties": false, "minProperties": 2,
                   "maxProperties": 3, "properties": {"a": {"type": "string", "maxLength": 3, "minLength": 2},
                   "n": {"type": "integer", "minimum": 0, "multipleOf": 2}, "sops": {"type": "object"},
                   "x": {"type": ["number", "null"]}}}),
            json!({"type": "object", "propertyNames": {"maxLength": 2}, "patternProperties": {"^[0-9]+$": {"enum": ["one", 1, 2.0, null]}},
                   "additionalProperties": {"type": "array", "uniqueItems": true, "items": {"type": ["integer", "string"]},
                   "maxItems": 2}}),
            json!({"oneOf": [{"type": "object", "required": ["a"]}, {"type": "array", "contains": {"const": 1}},
                   {"type": "null"}], "not": {"const": {"a": "b"}}}),
            json!({"type": "object", "properties": {"big": {"type": "number", "exclusiveMaximum": 1e300}, "f": {"type": "integer"},
                   "s": {"type": "string", "pattern": "^é+$", "format": "email"}}, "required": ["big"]}),
        ]
    }

    fn documents() -> Vec<Value> {
        let mut docs: Vec<Value> = [
            r#"{"a": "xy", "sops": {}}"#,
            r#"{"a": "xyzw", "n": 3, "x": null, "sops": {"k": 1}}"#,
            r#"{"a": null, "n": -2, "sops": null, "z": null}"#,
            r#"{"a": "é", "n": 4.0, "x": 1.5, "y": null, "sops": {}}"#,
            r#"{"1": "one", "22": [1, "a", 1], "333": null, "b": [1, 2, 3], "c": [1.0, "1"], "2": 2}"#,
            r#"{"a": "b"}"#,
            r#"{"a": "c", "b": null}"#,
            r#"[null, 1, {"a": null}]"#,
            r#"[2, 3]"#,
            r#"null"#,
            r#"{"big": 123456789012345678901234567890, "f": 3.0, "s": "éé"}"#,
            r#"{"big": 1.5, "f": 3.5, "s": "e"}"#,
            r#"{"big": null, "s": 7}"#,
            r#"{"x": {"sops": 1}}"#,
        ]
        .iter()
        .map(|t| Value::from_json_str(t).unwrap())
        .collect();
        // Values only a hand can build: keys that are no strings (two naming "1"), a set, an
        // undefined member, floats that are not finite, integers beyond 64 bits.
        let mut m = BTreeMap::new();
        m.insert(Value::from(1i64), Value::from("one"));
        m.insert(Value::from("1"), Value::from("uno"));
        m.insert(Value::Bool(true), Value::Null);
        m.insert(Value::from("22"), Value::from_json_str("[1, 2]").unwrap());
        docs.push(Value::from(m));
        let mut m = BTreeMap::new();
        m.insert(Value::from("a"), Value::from("ab"));
        m.insert(Value::from("sops"), Value::Undefined);
        m.insert(Value::from("x"), Value::from(f64::NAN));
        m.insert(Value::from("n"), Value::from(f64::INFINITY));
        m.insert(
            Value::from("b"),
            Value::from(std::collections::BTreeSet::from([Value::from(1i64), Value::from("a")])),
        );
        docs.push(Value::from(m));
        let mut m = BTreeMap::new();
        m.insert(Value::from("big"), Value::from(u128::MAX));
        m.insert(Value::from("f"), Value::from(i128::MIN));
        docs.push(Value::from(m));
        docs
    }

    /// What a person is told of each error, in order.
    fn errors<'a, F: Json>(v: &'a jsonschema::Validator<F>, at: F::Node<'a>) -> Vec<String> {
        v.iter_errors(at)
            .map(|e| {
                let keyword = e.absolute_keyword_location().map(|u| u.to_string()).unwrap_or_default();
                format!("{e} at {} ({keyword}, {:?}): {}", e.instance_path().as_str(), e.kind(), e.instance())
            })
            .collect()
    }

    #[test]
    fn reads_as_the_serde_json_copy_does() {
        for schema in schemas() {
            let copy = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
            let here = jsonschema::options_for::<Doc>().should_validate_formats(true).build(&schema).unwrap();
            for doc in documents() {
                for hidden in [None, Some("sops")] {
                    let mut json = to_json(&doc);
                    let at = match hidden {
                        Some(name) => {
                            if let JsonValue::Object(m) = &mut json {
                                m.shift_remove(name);
                            }
                            At::root_without(&doc, name)
                        }
                        None => At::root(&doc),
                    };
                    let what = format!("{schema} on {json} (hidden {hidden:?})");
                    assert_eq!(here.is_valid(at), copy.is_valid(&json), "{what}");
                    assert_eq!(errors(&here, at), errors(&copy, &json), "{what}");
                    assert_eq!(at.to_value().into_owned(), json, "{what}");
                }
            }
        }
    }
}
