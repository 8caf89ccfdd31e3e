//! Anchors and aliases: an alias expands to a copy of its anchored node (its spans at the
//! definition), within kubectl's bounds (go-yaml's "excessive aliasing" ratio, self-reference,
//! unknown anchors) and tollgate's (nodes and bytes aliases may add).

use regorus::Rc;

use super::keys::{Ids, KeyResult};
use super::{Body, Builder, Frame, Kind, Node, PendingKey, Stop, INVALID};
use crate::manifest::scanner::Mark;
use crate::manifest::span::{SpanEntry, NO_KEY, ROOT};
use regorus::Value;

/// What aliases may add to a file, as JSON: this many times its size, and at least the floor.
/// Every consumer of a document (schema validation, policies, reports) may expand aliases, and
/// an alias costs a few bytes of text however big the node it names (go-yaml counts nodes only).
const ALIAS_BYTES_PER_BYTE: u64 = 4;
const ALIAS_BYTES_FLOOR: u64 = 16 << 20;

/// An anchored node, for its aliases.
pub(super) struct Anchored {
    pub(super) value: Value,
    pub(super) first: usize,
    pub(super) end: usize,
    pub(super) kind: Kind,
    pub(super) units: u64,
    pub(super) size: u64,
    pub(super) height: u32,
    pub(super) ids: Option<Rc<Ids>>,
    /// For a scalar: what it is as a mapping key.
    pub(super) key: Option<KeyResult>,
}

pub(super) enum AnchorState {
    /// The node is still being read: an alias to it is a self-reference.
    Open,
    Done(Rc<Anchored>),
}

pub(super) struct Anchor {
    pub(super) generation: u32,
    pub(super) state: AnchorState,
}

/// One step of go-yaml's decode count: a node, or an alias and the nodes it expands to.
#[derive(Clone, Copy)]
pub(super) enum Op {
    Node,
    Alias(u64),
}

/// A `<<` sequence: go-yaml decodes its items last to first, so their counts are replayed so.
#[derive(Default)]
pub(super) struct Trace {
    pub(super) items: Vec<Vec<Op>>,
    pub(super) cur: Vec<Op>,
}

/// go-yaml's allowed share of decode operations that come from aliases (`allowedAliasRatio`).
pub(super) fn allowed_alias_ratio(decoded: u64) -> f64 {
    const LOW: f64 = 400_000.0;
    const HIGH: f64 = 4_000_000.0;
    let d = decoded as f64;
    if d <= LOW {
        0.99
    } else if d >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((d - LOW) / (HIGH - LOW))
    }
}

impl<'a> Builder<'a> {
    /// Count decode operations as go-yaml does, and stop where it stops ("excessive aliasing").
    pub(super) fn count(&mut self, op: Op, at: Mark) -> Result<(), Stop> {
        if let Some(t) = self.traces.last_mut() {
            t.cur.push(op);
            return Ok(());
        }
        self.apply(op, at)
    }

    pub(super) fn apply(&mut self, op: Op, at: Mark) -> Result<(), Stop> {
        match op {
            Op::Node => self.decoded += 1,
            Op::Alias(units) => {
                self.decoded += 1 + units;
                self.decoded_by_alias += units;
            }
        }
        let (d, a) = (self.decoded, self.decoded_by_alias);
        if a > 100 && d > 1000 && a as f64 / d as f64 > allowed_alias_ratio(d) {
            return Err(self.stop(
                "parse/alias-budget",
                "aliases make up more of this document than kubectl allows (\"document contains excessive aliasing\"); \
                 kubectl rejects it"
                    .into(),
                at,
                Some("write the repeated content out, or use fewer aliases"),
            ));
        }
        Ok(())
    }

    pub(super) fn open_anchor(&mut self, anchor: Option<&'a str>) -> Option<(&'a str, u32)> {
        let name = anchor?;
        self.generation += 1;
        self.anchors.insert(name, Anchor { generation: self.generation, state: AnchorState::Open });
        Some((name, self.generation))
    }

    /// Record a finished anchored node, unless its name was taken by another node meanwhile
    /// (go-yaml keeps the latest definition of a name).
    pub(super) fn close_anchor(&mut self, anchor: Option<(&'a str, u32)>, done: Anchored) {
        let Some((name, generation)) = anchor else {
            return;
        };
        if let Some(a) = self.anchors.get_mut(name) {
            if a.generation == generation {
                a.state = AnchorState::Done(Rc::new(done));
            }
        }
    }

    pub(super) fn replay_trace(&mut self, at: Mark) -> Result<(), Stop> {
        let Some(mut t) = self.traces.pop() else {
            return Ok(());
        };
        if !t.cur.is_empty() {
            t.items.push(std::mem::take(&mut t.cur));
        }
        for item in t.items.into_iter().rev() {
            for op in item {
                self.count(op, at)?;
            }
        }
        Ok(())
    }

    pub(super) fn alias(&mut self, name: &'a str, start: Mark, end: Mark) -> Result<(), Stop> {
        let target = match self.anchors.get(name) {
            None => {
                return Err(self.stop(INVALID, format!("alias `*{name}` to an unknown anchor (kubectl rejects it)"), start, None))
            }
            Some(Anchor { state: AnchorState::Open, .. }) => {
                return Err(self.stop(
                    INVALID,
                    format!("alias `*{name}` inside the node anchored `&{name}`: kubectl rejects it (\"anchor value contains itself\")"),
                    start,
                    None,
                ))
            }
            Some(Anchor { state: AnchorState::Done(a), .. }) => a.clone(),
        };
        if self.expecting_key() {
            let key = match &target.key {
                None => {
                    return Err(self.stop(
                        INVALID,
                        format!("alias `*{name}` to a collection used as a mapping key: kubectl rejects it (\"invalid map key\")"),
                        start,
                        None,
                    ))
                }
                Some(Err((rule, message))) => return Err(self.stop(rule, message.clone(), start, None)),
                Some(Ok(k)) => k.clone(),
            };
            self.count(Op::Alias(target.units), start)?;
            if let Some(Frame { units, size, body: Body::Map(ms), .. }) = self.stack.last_mut() {
                *units += 1 + target.units;
                *size += key.0.len() as u64 + 3;
                ms.key = Some(PendingKey { name: key.0, id: key.1, at: start, merge: false });
            }
            return Ok(());
        }
        self.alias_nodes += (target.end - target.first).max(1);
        if self.alias_nodes > self.limits.alias_budget {
            return Err(self.stop(
                "parse/alias-budget",
                format!(
                    "aliases expand to more than {} nodes (a \"billion laughs\" document?)",
                    self.limits.alias_budget
                ),
                start,
                Some("write the repeated content out, or use fewer nested aliases"),
            ));
        }
        self.alias_bytes += target.size;
        let byte_budget = ALIAS_BYTES_FLOOR.max(ALIAS_BYTES_PER_BYTE * self.text.len() as u64);
        if self.alias_bytes > byte_budget {
            return Err(self.stop(
                "parse/alias-budget",
                format!(
                    "aliases expand to more than {} MiB of data ({} times the file, at least {} MiB)",
                    byte_budget >> 20,
                    ALIAS_BYTES_PER_BYTE,
                    ALIAS_BYTES_FLOOR >> 20
                ),
                start,
                Some("write the repeated content out, or alias smaller nodes"),
            ));
        }
        if target.height > 0 {
            self.check_depth(target.height, start)?;
        }
        self.count(Op::Alias(target.units), start)?;
        let root = if target.kind == Kind::Scalar {
            let e = self.push_entry(start, end);
            self.entries[e].subtree_end = (e + 1) as u32;
            e
        } else {
            // The alias node itself is located at its use site; its children keep the positions
            // of the anchored definition.
            let (seg, key) = self.placement();
            let root = self.copy_subtree(target.first, target.end);
            let (s, e) = (self.byte(start), self.byte(end));
            let r = &mut self.entries[root];
            r.seg = seg;
            r.key = key;
            r.start = s;
            r.end = e;
            root
        };
        self.attach(
            Node {
                value: target.value.clone(),
                entry: root,
                kind: target.kind,
                units: 1 + target.units,
                size: target.size,
                height: target.height,
                ids: target.ids.clone(),
                merge_items: None,
            },
            start,
        )
    }

    /// Copy the entries of a (finished) subtree to the end of the table; returns the new root.
    pub(super) fn copy_subtree(&mut self, first: usize, end: usize) -> usize {
        let base = self.entries.len();
        for i in first..end.min(base) {
            let mut e = self.entries[i];
            e.subtree_end = (e.subtree_end as usize).saturating_sub(first) as u32 + base as u32;
            self.entries.push(e);
        }
        if self.entries.len() == base {
            self.entries.push(SpanEntry { seg: ROOT, key: NO_KEY, start: 0, end: 0, subtree_end: (base + 1) as u32 });
        }
        base
    }
}
