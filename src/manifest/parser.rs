//! YAML events from the tokens of `scanner`, with libyaml's grammar (the parser under go-yaml v2
//! and so under kubectl): the same states, the same empty nodes where a key or value is missing,
//! the same tag handles (`!` and `!!`; directives never reach here) and the same errors.

use std::borrow::Cow;

use super::scanner::{err, Mark, Scanner, Style, Tok, YamlError, K};

#[derive(Debug)]
pub enum Ev<'a> {
    StreamStart,
    StreamEnd,
    DocStart,
    DocEnd,
    Alias(&'a str),
    Scalar {
        anchor: Option<&'a str>,
        /// The resolved tag (`tag:yaml.org,2002:int`, `!foo`, `!`), if one was written.
        tag: Option<Cow<'a, str>>,
        value: Cow<'a, str>,
        style: Style,
        /// go-yaml's `implicit`: a plain scalar without a tag, or one tagged `!`.
        plain_implicit: bool,
    },
    SeqStart {
        anchor: Option<&'a str>,
        flow: bool,
    },
    SeqEnd,
    MapStart {
        anchor: Option<&'a str>,
        flow: bool,
    },
    MapEnd,
}

#[derive(Debug)]
pub struct Event<'a> {
    pub ev: Ev<'a>,
    pub start: Mark,
    pub end: Mark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StreamStart,
    ImplicitDocStart,
    DocStart,
    DocContent,
    DocEnd,
    BlockNode,
    BlockSeqFirst,
    BlockSeqEntry,
    IndentlessSeqEntry,
    BlockMapFirstKey,
    BlockMapKey,
    BlockMapValue,
    FlowSeqFirst,
    FlowSeqEntry,
    FlowSeqMapKey,
    FlowSeqMapValue,
    FlowSeqMapEnd,
    FlowMapFirstKey,
    FlowMapKey,
    FlowMapValue,
    FlowMapEmptyValue,
    End,
}

pub struct Parser<'a> {
    sc: Scanner<'a>,
    state: State,
    states: Vec<State>,
    marks: Vec<Mark>,
}

const YAML_TAG_PREFIX: &str = "tag:yaml.org,2002:";

impl<'a> Parser<'a> {
    pub fn new(sc: Scanner<'a>) -> Parser<'a> {
        Parser { sc, state: State::StreamStart, states: Vec::new(), marks: Vec::new() }
    }

    /// The next event, or `None` after the end of the stream.
    pub fn next_event(&mut self) -> Result<Option<Event<'a>>, YamlError> {
        if self.state == State::End {
            return Ok(None);
        }
        self.step().map(Some)
    }

    fn peek(&mut self) -> Result<(K, Mark, Mark), YamlError> {
        let t = self.sc.peek()?;
        Ok((t.kind(), t.start, t.end))
    }

    fn skip(&mut self) {
        self.sc.pop();
    }

    fn pop_state(&mut self) -> State {
        self.states.pop().unwrap_or(State::End)
    }

    fn empty(&self, at: Mark) -> Event<'a> {
        Event {
            ev: Ev::Scalar {
                anchor: None,
                tag: None,
                value: Cow::Borrowed(""),
                style: Style::Plain,
                plain_implicit: true,
            },
            start: at,
            end: at,
        }
    }

    fn step(&mut self) -> Result<Event<'a>, YamlError> {
        match self.state {
            State::StreamStart => {
                let (k, s, e) = self.peek()?;
                if k != K::StreamStart {
                    return err("", s, "did not find expected <stream-start>", s);
                }
                self.state = State::ImplicitDocStart;
                self.skip();
                Ok(Event { ev: Ev::StreamStart, start: s, end: e })
            }
            State::ImplicitDocStart => self.document_start(true),
            State::DocStart => self.document_start(false),
            State::DocContent => {
                let (k, s, _) = self.peek()?;
                if matches!(k, K::DocStart | K::DocEnd | K::StreamEnd) {
                    self.state = self.pop_state();
                    return Ok(self.empty(s));
                }
                self.node(true, false)
            }
            State::DocEnd => {
                let (k, s, e) = self.peek()?;
                let mut end = s;
                if k == K::DocEnd {
                    end = e;
                    self.skip();
                }
                self.state = State::DocStart;
                Ok(Event { ev: Ev::DocEnd, start: s, end })
            }
            State::BlockNode => self.node(true, false),
            State::BlockSeqFirst => self.block_sequence_entry(true),
            State::BlockSeqEntry => self.block_sequence_entry(false),
            State::IndentlessSeqEntry => self.indentless_sequence_entry(),
            State::BlockMapFirstKey => self.block_mapping_key(true),
            State::BlockMapKey => self.block_mapping_key(false),
            State::BlockMapValue => self.block_mapping_value(),
            State::FlowSeqFirst => self.flow_sequence_entry(true),
            State::FlowSeqEntry => self.flow_sequence_entry(false),
            State::FlowSeqMapKey => {
                let (k, _, e) = self.peek()?;
                if !matches!(k, K::Value | K::FlowEntry | K::FlowSeqEnd) {
                    self.states.push(State::FlowSeqMapValue);
                    return self.node(false, false);
                }
                // libyaml consumes the token here (so `[? : x]` is an error, as in kubectl).
                self.skip();
                self.state = State::FlowSeqMapValue;
                Ok(self.empty(e))
            }
            State::FlowSeqMapValue => {
                // An empty value sits where the `:` was (go-yaml keeps that token's mark).
                let (k, s, _) = self.peek()?;
                if k == K::Value {
                    self.skip();
                    let (next, _, _) = self.peek()?;
                    if !matches!(next, K::FlowEntry | K::FlowSeqEnd) {
                        self.states.push(State::FlowSeqMapEnd);
                        return self.node(false, false);
                    }
                }
                self.state = State::FlowSeqMapEnd;
                Ok(self.empty(s))
            }
            State::FlowSeqMapEnd => {
                let (_, s, _) = self.peek()?;
                self.state = State::FlowSeqEntry;
                Ok(Event { ev: Ev::MapEnd, start: s, end: s })
            }
            State::FlowMapFirstKey => self.flow_mapping_key(true),
            State::FlowMapKey => self.flow_mapping_key(false),
            State::FlowMapValue => self.flow_mapping_value(false),
            State::FlowMapEmptyValue => self.flow_mapping_value(true),
            State::End => err("", Mark::default(), "parsing went past the end of the stream", Mark::default()),
        }
    }

    fn document_start(&mut self, implicit: bool) -> Result<Event<'a>, YamlError> {
        let (mut k, mut s, mut e) = self.peek()?;
        if !implicit {
            while k == K::DocEnd {
                self.skip();
                (k, s, e) = self.peek()?;
            }
        }
        if implicit && k != K::DocStart && k != K::StreamEnd {
            self.states.push(State::DocEnd);
            self.state = State::BlockNode;
            return Ok(Event { ev: Ev::DocStart, start: s, end: e });
        }
        if k != K::StreamEnd {
            if k != K::DocStart {
                return err("", s, "did not find expected <document start>", s);
            }
            self.states.push(State::DocEnd);
            self.state = State::DocContent;
            self.skip();
            return Ok(Event { ev: Ev::DocStart, start: s, end: e });
        }
        self.state = State::End;
        self.skip();
        Ok(Event { ev: Ev::StreamEnd, start: s, end: e })
    }

    fn node(&mut self, block: bool, indentless: bool) -> Result<Event<'a>, YamlError> {
        let (k, s, e) = self.peek()?;
        if k == K::Alias {
            self.state = self.pop_state();
            let name = match self.sc.pop().map(|t| t.tok) {
                Some(Tok::Alias(n)) => n,
                _ => "",
            };
            return Ok(Event { ev: Ev::Alias(name), start: s, end: e });
        }
        let mut start = s;
        let mut end = s;
        let mut anchor: Option<&'a str> = None;
        let mut tag: Option<(Cow<'a, str>, Cow<'a, str>)> = None;
        let mut tag_mark = s;
        let mut k = k;
        if k == K::Anchor {
            end = e;
            if let Some(Tok::Anchor(n)) = self.sc.pop().map(|t| t.tok) {
                anchor = Some(n);
            }
            let (k2, s2, e2) = self.peek()?;
            k = k2;
            if k == K::Tag {
                tag_mark = s2;
                end = e2;
                if let Some(Tok::Tag(t)) = self.sc.pop().map(|t| t.tok) {
                    tag = Some(*t);
                }
                k = self.peek()?.0;
            }
        } else if k == K::Tag {
            start = s;
            tag_mark = s;
            end = e;
            if let Some(Tok::Tag(t)) = self.sc.pop().map(|t| t.tok) {
                tag = Some(*t);
            }
            let (k2, _, e2) = self.peek()?;
            k = k2;
            if k == K::Anchor {
                end = e2;
                if let Some(Tok::Anchor(n)) = self.sc.pop().map(|t| t.tok) {
                    anchor = Some(n);
                }
                k = self.peek()?.0;
            }
        }
        let tag: Option<Cow<'a, str>> = match tag {
            None => None,
            Some((h, x)) if h.is_empty() => Some(x),
            Some((h, x)) if h == "!" => Some(Cow::Owned(format!("!{x}"))),
            Some((h, x)) if h == "!!" => Some(Cow::Owned(format!("{YAML_TAG_PREFIX}{x}"))),
            Some(_) => {
                return err("while parsing a node", start, "found undefined tag handle", tag_mark);
            }
        };
        let (_, ts, te) = self.peek()?;
        if indentless && k == K::BlockEntry {
            self.state = State::IndentlessSeqEntry;
            return Ok(Event { ev: Ev::SeqStart { anchor, flow: false }, start, end: te });
        }
        match k {
            K::Scalar => {
                let (value, style) = match self.sc.pop().map(|t| t.tok) {
                    Some(Tok::Scalar(v, st)) => (v, st),
                    _ => (Cow::Borrowed(""), Style::Plain),
                };
                let plain_implicit = (tag.is_none() && style == Style::Plain) || tag.as_deref() == Some("!");
                self.state = self.pop_state();
                Ok(Event { ev: Ev::Scalar { anchor, tag, value, style, plain_implicit }, start, end: te })
            }
            K::FlowSeqStart => {
                self.state = State::FlowSeqFirst;
                Ok(Event { ev: Ev::SeqStart { anchor, flow: true }, start, end: te })
            }
            K::FlowMapStart => {
                self.state = State::FlowMapFirstKey;
                Ok(Event { ev: Ev::MapStart { anchor, flow: true }, start, end: te })
            }
            K::BlockSeqStart if block => {
                self.state = State::BlockSeqFirst;
                Ok(Event { ev: Ev::SeqStart { anchor, flow: false }, start, end: te })
            }
            K::BlockMapStart if block => {
                self.state = State::BlockMapFirstKey;
                Ok(Event { ev: Ev::MapStart { anchor, flow: false }, start, end: te })
            }
            _ if anchor.is_some() || tag.is_some() => {
                self.state = self.pop_state();
                let plain_implicit = tag.is_none();
                Ok(Event {
                    ev: Ev::Scalar { anchor, tag, value: Cow::Borrowed(""), style: Style::Plain, plain_implicit },
                    start,
                    end,
                })
            }
            _ => {
                let context = if block { "while parsing a block node" } else { "while parsing a flow node" };
                err(context, start, "did not find expected node content", ts)
            }
        }
    }

    fn block_sequence_entry(&mut self, first: bool) -> Result<Event<'a>, YamlError> {
        if first {
            let (_, s, _) = self.peek()?;
            self.marks.push(s);
            self.skip();
        }
        let (k, s, e) = self.peek()?;
        if k == K::BlockEntry {
            let mark = e;
            self.skip();
            let (k, _, _) = self.peek()?;
            if k != K::BlockEntry && k != K::BlockEnd {
                self.states.push(State::BlockSeqEntry);
                return self.node(true, false);
            }
            self.state = State::BlockSeqEntry;
            return Ok(self.empty(mark));
        }
        if k == K::BlockEnd {
            self.state = self.pop_state();
            self.marks.pop();
            self.skip();
            return Ok(Event { ev: Ev::SeqEnd, start: s, end: e });
        }
        let context = self.marks.pop().unwrap_or(s);
        err("while parsing a block collection", context, "did not find expected '-' indicator", s)
    }

    fn indentless_sequence_entry(&mut self) -> Result<Event<'a>, YamlError> {
        let (k, s, e) = self.peek()?;
        if k == K::BlockEntry {
            let mark = e;
            self.skip();
            let (k, _, _) = self.peek()?;
            if !matches!(k, K::BlockEntry | K::Key | K::Value | K::BlockEnd) {
                self.states.push(State::IndentlessSeqEntry);
                return self.node(true, false);
            }
            self.state = State::IndentlessSeqEntry;
            return Ok(self.empty(mark));
        }
        self.state = self.pop_state();
        Ok(Event { ev: Ev::SeqEnd, start: s, end: s })
    }

    fn block_mapping_key(&mut self, first: bool) -> Result<Event<'a>, YamlError> {
        if first {
            let (_, s, _) = self.peek()?;
            self.marks.push(s);
            self.skip();
        }
        let (k, s, e) = self.peek()?;
        if k == K::Key {
            let mark = e;
            self.skip();
            let (k, _, _) = self.peek()?;
            if !matches!(k, K::Key | K::Value | K::BlockEnd) {
                self.states.push(State::BlockMapValue);
                return self.node(true, true);
            }
            self.state = State::BlockMapValue;
            return Ok(self.empty(mark));
        }
        if k == K::BlockEnd {
            self.state = self.pop_state();
            self.marks.pop();
            self.skip();
            return Ok(Event { ev: Ev::MapEnd, start: s, end: e });
        }
        let context = self.marks.pop().unwrap_or(s);
        err("while parsing a block mapping", context, "did not find expected key", s)
    }

    fn block_mapping_value(&mut self) -> Result<Event<'a>, YamlError> {
        let (k, s, e) = self.peek()?;
        if k == K::Value {
            let mark = e;
            self.skip();
            let (k, _, _) = self.peek()?;
            if !matches!(k, K::Key | K::Value | K::BlockEnd) {
                self.states.push(State::BlockMapKey);
                return self.node(true, true);
            }
            self.state = State::BlockMapKey;
            return Ok(self.empty(mark));
        }
        self.state = State::BlockMapKey;
        Ok(self.empty(s))
    }

    fn flow_sequence_entry(&mut self, first: bool) -> Result<Event<'a>, YamlError> {
        if first {
            let (_, s, _) = self.peek()?;
            self.marks.push(s);
            self.skip();
        }
        let (mut k, mut s, mut e) = self.peek()?;
        if k != K::FlowSeqEnd {
            if !first {
                if k == K::FlowEntry {
                    self.skip();
                    (k, s, e) = self.peek()?;
                } else {
                    let context = self.marks.pop().unwrap_or(s);
                    return err("while parsing a flow sequence", context, "did not find expected ',' or ']'", s);
                }
            }
            if k == K::Key {
                self.state = State::FlowSeqMapKey;
                self.skip();
                return Ok(Event { ev: Ev::MapStart { anchor: None, flow: true }, start: s, end: e });
            }
            if k != K::FlowSeqEnd {
                self.states.push(State::FlowSeqEntry);
                return self.node(false, false);
            }
        }
        self.state = self.pop_state();
        self.marks.pop();
        self.skip();
        Ok(Event { ev: Ev::SeqEnd, start: s, end: e })
    }

    fn flow_mapping_key(&mut self, first: bool) -> Result<Event<'a>, YamlError> {
        if first {
            let (_, s, _) = self.peek()?;
            self.marks.push(s);
            self.skip();
        }
        let (mut k, mut s, mut e) = self.peek()?;
        if k != K::FlowMapEnd {
            if !first {
                if k == K::FlowEntry {
                    self.skip();
                    (k, s, e) = self.peek()?;
                } else {
                    let context = self.marks.pop().unwrap_or(s);
                    return err("while parsing a flow mapping", context, "did not find expected ',' or '}'", s);
                }
            }
            if k == K::Key {
                self.skip();
                let (k, s, _) = self.peek()?;
                if !matches!(k, K::Value | K::FlowEntry | K::FlowMapEnd) {
                    self.states.push(State::FlowMapValue);
                    return self.node(false, false);
                }
                self.state = State::FlowMapValue;
                return Ok(self.empty(s));
            }
            if k != K::FlowMapEnd {
                self.states.push(State::FlowMapEmptyValue);
                return self.node(false, false);
            }
        }
        self.state = self.pop_state();
        self.marks.pop();
        self.skip();
        Ok(Event { ev: Ev::MapEnd, start: s, end: e })
    }

    fn flow_mapping_value(&mut self, empty: bool) -> Result<Event<'a>, YamlError> {
        let (k, s, _) = self.peek()?;
        if empty {
            self.state = State::FlowMapKey;
            return Ok(self.empty(s));
        }
        if k == K::Value {
            self.skip();
            let (k, s, _) = self.peek()?;
            if !matches!(k, K::FlowEntry | K::FlowMapEnd) {
                self.states.push(State::FlowMapKey);
                return self.node(false, false);
            }
            self.state = State::FlowMapKey;
            return Ok(self.empty(s));
        }
        self.state = State::FlowMapKey;
        Ok(self.empty(s))
    }
}
