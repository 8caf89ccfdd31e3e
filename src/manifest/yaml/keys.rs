//! Mapping keys as kubectl reads them: scalars converted to JSON keys as sigs.k8s.io/yaml does,
//! duplicates, keys kubectl would read nondeterministically, and `<<` merges.

use std::collections::btree_map::Entry;
use std::collections::HashMap;

use regorus::{Rc, Value};

use super::aliases::{Anchor, AnchorState, Anchored, Op};
use super::values::{json_size, resolve, Resolved};
use super::{Body, Builder, Frame, Kind, MapState, Node, PendingKey, Stop, INVALID, UNSUPPORTED};
use crate::manifest::scalar::{self, Scalar};
use crate::manifest::scanner::{Mark, Style};
use crate::manifest::span::SpanEntry;

/// How go-yaml identifies a key before sigs.k8s.io/yaml turns it into a string: two keys that
/// become the same string but are different keys to go-yaml (`1` and `"1"`) both reach the
/// conversion, and which one kubectl keeps is random.
#[derive(Debug, Clone, Copy)]
pub(super) enum KeyId {
    Str,
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl KeyId {
    pub(super) fn same(self, other: KeyId) -> bool {
        match (self, other) {
            (KeyId::Str, KeyId::Str) => true,
            (KeyId::Int(a), KeyId::Int(b)) => a == b,
            (KeyId::Float(a), KeyId::Float(b)) => a == b,
            (KeyId::Bool(a), KeyId::Bool(b)) => a == b,
            _ => false,
        }
    }

    pub(super) fn describe(self, name: &str) -> String {
        match self {
            KeyId::Str => format!("the string `{name}`"),
            KeyId::Int(i) => format!("the integer {i}"),
            KeyId::Float(f) => format!("the float {f}"),
            KeyId::Bool(b) => format!("the boolean {b}"),
        }
    }
}

/// A scalar as a mapping key, or why kubectl refuses it: (rule, message).
pub(super) type KeyResult = Result<(Rc<str>, KeyId), (&'static str, String)>;

/// Keys of a mapping that are no strings to go-yaml (most mappings have none).
pub(super) type Ids = HashMap<Rc<str>, KeyId>;

pub(super) fn set_id(ms: &mut MapState, name: &Rc<str>, id: KeyId) {
    match id {
        KeyId::Str => {
            if let Some(ids) = &mut ms.ids {
                ids.remove(name);
            }
        }
        other => {
            ms.ids.get_or_insert_with(HashMap::new).insert(name.clone(), other);
        }
    }
}

impl<'a> Builder<'a> {
    pub(super) fn insert_explicit(&mut self, k: PendingKey, value: Value) -> Result<(), Stop> {
        let Some(ms) = self.map_state() else {
            return Ok(());
        };
        let key = Value::String(k.name.clone());
        let mut duplicate = false;
        let mut clash: Option<KeyId> = None;
        // One search of the map for both the check and the insert.
        match ms.map.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(value);
            }
            Entry::Occupied(mut slot) => {
                let explicit_before = ms.explicit.as_ref().is_none_or(|set| set.contains(&k.name));
                let old = ms.ids.as_ref().and_then(|ids| ids.get(&k.name)).copied().unwrap_or(KeyId::Str);
                if explicit_before {
                    duplicate = true;
                } else if !old.same(k.id) {
                    clash = Some(old);
                }
                slot.insert(value);
            }
        }
        set_id(ms, &k.name, k.id);
        if let Some(set) = &mut ms.explicit {
            set.insert(k.name.clone());
        }
        if let Some(old) = clash {
            return Err(self.ambiguous(&k.name, old, k.id, k.at));
        }
        if duplicate {
            self.issue(
                "parse/duplicate-key",
                format!("duplicate key `{}`: Kubernetes keeps the last value, other tools the first", k.name),
                k.at,
                None,
            );
        }
        Ok(())
    }

    pub(super) fn ambiguous(&self, name: &str, a: KeyId, b: KeyId, at: Mark) -> Stop {
        self.stop(
            UNSUPPORTED,
            format!(
                "{} and {} are different keys to kubectl's YAML reader but the same JSON key `{name}`; which value \
                 kubectl keeps is random",
                a.describe(name),
                b.describe(name)
            ),
            at,
            Some("write the key once"),
        )
    }

    /// Apply the value of a `<<` key: a mapping, an alias to one, or a sequence of those (applied
    /// last to first, so the first wins). Every merged key overwrites what the mapping has so far.
    pub(super) fn merge(&mut self, node: Node, at: Mark) -> Result<(), Stop> {
        let bad = || {
            "the value of `<<` must be a mapping, an alias to one, or a sequence of those: kubectl rejects \
                      this (\"map merge requires map or sequence of maps\")"
        };
        let mut sources: Vec<(Value, usize, Option<Rc<Ids>>)> = Vec::new();
        match (node.kind, node.merge_items) {
            (Kind::Map, _) => sources.push((node.value, node.entry, node.ids)),
            (Kind::Seq, Some(items)) => {
                if items.iter().any(|s| !s.is_map) {
                    return Err(self.stop(INVALID, bad().into(), at, None));
                }
                for s in items.into_iter().rev() {
                    sources.push((s.value, s.entry, s.ids));
                }
            }
            _ => return Err(self.stop(INVALID, bad().into(), at, None)),
        }
        // The members' spans move from the merge value to the mapping.
        let mut moved: Vec<SpanEntry> = Vec::new();
        for (_, entry, _) in &sources {
            self.members(*entry, &mut moved);
        }
        self.entries.truncate(node.entry);
        let base = self.entries.len() as u32;
        for mut e in moved {
            e.subtree_end += base;
            self.entries.push(e);
        }
        let Some(ms) = self.map_state() else {
            return Ok(());
        };
        if ms.explicit.is_none() {
            ms.explicit = Some(ms.map.keys().filter_map(|k| k.as_string().ok().cloned()).collect());
        }
        let mut clash: Option<(Rc<str>, KeyId, KeyId)> = None;
        for (value, _, ids) in sources {
            let Ok(src) = value.as_object() else {
                continue;
            };
            for (k, v) in src.iter() {
                let Ok(name) = k.as_string() else {
                    continue;
                };
                let id = ids.as_ref().and_then(|i| i.get(name)).copied().unwrap_or(KeyId::Str);
                if ms.map.contains_key(k) && clash.is_none() {
                    let old = ms.ids.as_ref().and_then(|i| i.get(name)).copied().unwrap_or(KeyId::Str);
                    if !old.same(id) {
                        clash = Some((name.clone(), old, id));
                    }
                }
                ms.map.insert(k.clone(), v.clone());
                set_id(ms, name, id);
            }
        }
        if let Some((name, a, b)) = clash {
            return Err(self.ambiguous(&name, a, b, at));
        }
        Ok(())
    }

    /// Append the direct children of `entry` (whole subtrees, in order) to `out`, with their
    /// `subtree_end` relative to the start of `out`.
    pub(super) fn members(&self, entry: usize, out: &mut Vec<SpanEntry>) {
        let Some(e) = self.entries.get(entry) else {
            return;
        };
        let end = (e.subtree_end as usize).min(self.entries.len());
        let mut j = entry + 1;
        while j < end {
            let sub_end = (self.entries[j].subtree_end as usize).clamp(j + 1, end);
            let base = out.len();
            for i in j..sub_end {
                let mut c = self.entries[i];
                c.subtree_end = (c.subtree_end as usize - j + base) as u32;
                out.push(c);
            }
            j = sub_end;
        }
    }

    pub(super) fn scalar_key(
        &mut self,
        text: &str,
        style: Style,
        tag: Option<&str>,
        plain_implicit: bool,
        anchor: Option<&'a str>,
        at: Mark,
    ) -> Result<(), Stop> {
        let merge = text == "<<" && (plain_implicit || tag == Some("tag:yaml.org,2002:merge"));
        if let Some(name) = anchor {
            // An anchored key can be used as a value or a key elsewhere.
            let value = self.scalar_value(text, style, tag, plain_implicit, at, false);
            let key = Some(self.key_of(text, style, tag, plain_implicit));
            self.generation += 1;
            if let Ok(value) = value {
                let size = json_size(&value);
                let done =
                    Anchored { value, first: 0, end: 0, kind: Kind::Scalar, units: 1, size, height: 0, ids: None, key };
                self.anchors
                    .insert(name, Anchor { generation: self.generation, state: AnchorState::Done(Rc::new(done)) });
            }
        }
        if merge {
            // go-yaml does not decode a merge key itself.
            let Some(Frame { body: Body::Map(ms), .. }) = self.stack.last_mut() else {
                return Ok(());
            };
            let again = std::mem::replace(&mut ms.merge_seen, true);
            ms.key = Some(PendingKey { name: Rc::from("<<"), id: KeyId::Str, at, merge: true });
            if again {
                self.issue(
                    "parse/duplicate-key",
                    "a second `<<` merge key in this mapping: kubectl applies both, in order, other tools only one"
                        .into(),
                    at,
                    Some("merge several mappings with one `<<: [*a, *b]`"),
                );
            }
            return Ok(());
        }
        let (name, id) = match self.key_of(text, style, tag, plain_implicit) {
            Ok(k) => k,
            Err((rule, message)) => return Err(self.stop(rule, message, at, None)),
        };
        if plain_implicit && tag.is_none() && !self.limits.yaml12 && self.limits.lint_ambiguous {
            if let KeyId::Bool(b) = id {
                if text != "true" && text != "false" {
                    self.warn(
                        format!("key `{text}` is read as `{b}` by Kubernetes (YAML 1.1); quote it to keep the name"),
                        at,
                    );
                }
            }
        }
        self.count(Op::Node, at)?;
        if let Some(Frame { units, size, body: Body::Map(ms), .. }) = self.stack.last_mut() {
            *units += 1;
            *size += name.len() as u64 + 3;
            ms.key = Some(PendingKey { name, id, at, merge: false });
        }
        Ok(())
    }

    /// What a scalar is as a mapping key once sigs.k8s.io/yaml made it a string.
    pub(super) fn key_of(&mut self, text: &str, style: Style, tag: Option<&str>, plain_implicit: bool) -> KeyResult {
        if self.limits.yaml12 {
            // Not read by kubectl: keys as YAML 1.2 tools read them.
            let name = match (plain_implicit && tag.is_none(), scalar::resolve_yaml12(text)) {
                (true, Scalar::Bool(b)) => b.to_string(),
                (true, Scalar::Null) if text.is_empty() || text == "~" => "null".to_string(),
                _ => text.to_string(),
            };
            return Ok((self.intern(&name), KeyId::Str));
        }
        match resolve(text, style, tag, plain_implicit, false) {
            Err(e) => Err(e),
            Ok(Resolved::Str) => Ok((self.intern(text), KeyId::Str)),
            Ok(Resolved::Binary(s)) => Ok((self.intern(&s), KeyId::Str)),
            Ok(Resolved::Scalar(s)) => match s {
                Scalar::Str => Ok((self.intern(text), KeyId::Str)),
                Scalar::Null => Err((INVALID, format!("a null key (`{text}`): kubectl rejects it (\"unsupported map key\")"))),
                Scalar::Bool(b) => Ok((self.intern(if b { "true" } else { "false" }), KeyId::Bool(b))),
                Scalar::Int(i) => Ok((self.intern(&i.to_string()), KeyId::Int(i))),
                Scalar::UInt(_) => Err((
                    INVALID,
                    format!("an integer key over 9223372036854775807 (`{text}`): kubectl rejects it (\"unsupported map key\")"),
                )),
                Scalar::Float(f) if f == 0.0 && f.is_sign_negative() => Err((
                    UNSUPPORTED,
                    format!("the key `{text}` is negative zero, which kubectl's reader treats as the same key as 0"),
                )),
                Scalar::Float(f) => Ok((self.intern(&scalar::go_float_key(f)), KeyId::Float(f))),
            },
        }
    }
}
