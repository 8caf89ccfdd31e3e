//! YAML tokens the way kubectl's reader scans them. kubectl decodes manifests with go-yaml v2
//! (through sigs.k8s.io/yaml), whose scanner is libyaml's; this one follows the same rules so that
//! a stream means to tollgate what it means to kubectl: simple keys (on one line, at most 1024
//! characters), indentation and tab rules, where a plain scalar ends (`?`, `,`, brackets and braces
//! end one in flow context, `: ` and ` #` anywhere), quoted-scalar escapes and line folding,
//! block-scalar indentation and chomping, and the same errors. Written from that behaviour.
//!
//! The scanner reads one part of a text (kubectl parses each part between `---` lines on its
//! own) and may be told to see a line feed after the part's last byte: kubectl's line reader ends
//! every line with one. Positions are byte offsets into the whole text, 1-based lines and 0-based
//! columns counted in characters.

use std::borrow::Cow;
use std::collections::VecDeque;

/// A position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    pub byte: usize,
    /// Characters from the start of the part (the 1024-character simple-key limit counts these).
    pub ch: usize,
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

#[derive(Debug)]
pub enum Tok<'a> {
    StreamStart,
    StreamEnd,
    DocStart,
    DocEnd,
    BlockSeqStart,
    BlockMapStart,
    BlockEnd,
    FlowSeqStart,
    FlowSeqEnd,
    FlowMapStart,
    FlowMapEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias(&'a str),
    Anchor(&'a str),
    /// Handle (`!`, `!!`, `!x!` or empty for a verbatim tag) and suffix.
    Tag(Cow<'a, str>, Cow<'a, str>),
    Scalar(Cow<'a, str>, Style),
}

/// The kind of a token, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum K {
    StreamStart,
    StreamEnd,
    DocStart,
    DocEnd,
    BlockSeqStart,
    BlockMapStart,
    BlockEnd,
    FlowSeqStart,
    FlowSeqEnd,
    FlowMapStart,
    FlowMapEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

#[derive(Debug)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: Mark,
    pub end: Mark,
}

impl Token<'_> {
    pub fn kind(&self) -> K {
        match self.tok {
            Tok::StreamStart => K::StreamStart,
            Tok::StreamEnd => K::StreamEnd,
            Tok::DocStart => K::DocStart,
            Tok::DocEnd => K::DocEnd,
            Tok::BlockSeqStart => K::BlockSeqStart,
            Tok::BlockMapStart => K::BlockMapStart,
            Tok::BlockEnd => K::BlockEnd,
            Tok::FlowSeqStart => K::FlowSeqStart,
            Tok::FlowSeqEnd => K::FlowSeqEnd,
            Tok::FlowMapStart => K::FlowMapStart,
            Tok::FlowMapEnd => K::FlowMapEnd,
            Tok::BlockEntry => K::BlockEntry,
            Tok::FlowEntry => K::FlowEntry,
            Tok::Key => K::Key,
            Tok::Value => K::Value,
            Tok::Alias(_) => K::Alias,
            Tok::Anchor(_) => K::Anchor,
            Tok::Tag(..) => K::Tag,
            Tok::Scalar(..) => K::Scalar,
        }
    }
}

/// Why scanning or parsing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrKind {
    /// Invalid YAML (kubectl rejects it too).
    Syntax,
    /// A `%YAML` or `%TAG` directive.
    Directive,
}

#[derive(Debug, Clone)]
pub struct YamlError {
    pub at: Mark,
    pub context: Option<(&'static str, Mark)>,
    pub problem: Cow<'static, str>,
    pub kind: ErrKind,
}

pub(crate) fn err<T>(
    context: &'static str,
    context_mark: Mark,
    problem: impl Into<Cow<'static, str>>,
    at: Mark,
) -> Result<T, YamlError> {
    let context = (!context.is_empty()).then_some((context, context_mark));
    Err(YamlError { at, context, problem: problem.into(), kind: ErrKind::Syntax })
}

#[derive(Debug, Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    required: bool,
    number: usize,
    mark: Mark,
}

/// go-yaml's limits on flow nesting and indentation levels.
const MAX_FLOW_LEVEL: usize = 10_000;
const MAX_INDENTS: usize = 10_000;

/// A scalar's bytes: a range of the source while they are contiguous in it, else a copy.
#[derive(Default)]
struct Buf {
    start: usize,
    end: usize,
    owned: Option<Vec<u8>>,
}

impl Buf {
    fn push_src(&mut self, src: &[u8], a: usize, b: usize) {
        let piece = src.get(a..b).unwrap_or(&[]);
        match &mut self.owned {
            Some(v) => v.extend_from_slice(piece),
            None if self.start == self.end => {
                self.start = a;
                self.end = b;
            }
            None if self.end == a => self.end = b,
            None => {
                let mut v = src.get(self.start..self.end).unwrap_or(&[]).to_vec();
                v.extend_from_slice(piece);
                self.owned = Some(v);
            }
        }
    }

    fn push_bytes(&mut self, src: &[u8], bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let (start, end) = (self.start, self.end);
        let v = self.owned.get_or_insert_with(|| src.get(start..end).unwrap_or(&[]).to_vec());
        v.extend_from_slice(bytes);
    }

    fn finish<'a>(self, src: &'a str) -> Cow<'a, str> {
        match self.owned {
            // Built from whole characters of a `str` and UTF-8 encoded escapes: always valid.
            Some(v) => match String::from_utf8(v) {
                Ok(s) => Cow::Owned(s),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            },
            None => Cow::Borrowed(src.get(self.start..self.end).unwrap_or("")),
        }
    }
}

fn width(c: u8) -> usize {
    if c < 0x80 {
        1
    } else if c & 0xE0 == 0xC0 {
        2
    } else if c & 0xF0 == 0xE0 {
        3
    } else if c & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

fn hex(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

pub struct Scanner<'a> {
    src: &'a str,
    b: &'a [u8],
    end: usize,
    /// A line feed is seen at `end` (kubectl ends the last line of every part with one).
    newline_at_end: bool,
    mark: Mark,
    tokens: VecDeque<Token<'a>>,
    parsed: usize,
    available: bool,
    started: bool,
    indent: i64,
    indents: Vec<i64>,
    allowed: bool,
    keys: Vec<SimpleKey>,
    /// go-yaml's `simple_keys_by_tok`: (token number, level) of possible simple keys, in token
    /// order (numbers only grow, so a deque sorted by insertion).
    keys_by_tok: VecDeque<(usize, usize)>,
    flow: usize,
}

impl<'a> Scanner<'a> {
    /// Scan `src[start..end]`, which begins at the start of line `line`.
    pub fn new(src: &'a str, start: usize, end: usize, newline_at_end: bool, line: u32) -> Scanner<'a> {
        Scanner {
            src,
            b: src.as_bytes(),
            end: end.min(src.len()),
            newline_at_end,
            mark: Mark { byte: start, ch: 0, line, col: 0 },
            tokens: VecDeque::new(),
            parsed: 0,
            available: false,
            started: false,
            indent: -1,
            indents: Vec::new(),
            allowed: false,
            keys: Vec::new(),
            keys_by_tok: VecDeque::new(),
            flow: 0,
        }
    }

    /// The next token, scanned as far ahead as needed to know whether it starts a simple key.
    pub fn peek(&mut self) -> Result<&Token<'a>, YamlError> {
        if !self.available || self.tokens.is_empty() {
            self.fetch_more()?;
        }
        match self.tokens.front() {
            Some(t) => Ok(t),
            None => err("", self.mark, "unexpected end of the token stream", self.mark),
        }
    }

    /// Consume the token `peek` returned.
    pub fn pop(&mut self) -> Option<Token<'a>> {
        self.available = false;
        self.parsed += 1;
        self.tokens.pop_front()
    }

    #[inline]
    fn at(&self, i: usize) -> u8 {
        if i < self.end {
            self.b[i]
        } else if i == self.end && self.newline_at_end {
            b'\n'
        } else {
            0
        }
    }

    #[inline]
    fn cur(&self) -> u8 {
        self.at(self.mark.byte)
    }

    #[inline]
    fn is_break(&self, i: usize) -> bool {
        match self.at(i) {
            b'\r' | b'\n' => true,
            0xC2 => self.at(i + 1) == 0x85,
            0xE2 => self.at(i + 1) == 0x80 && matches!(self.at(i + 2), 0xA8 | 0xA9),
            _ => false,
        }
    }

    #[inline]
    fn is_breakz(&self, i: usize) -> bool {
        self.at(i) == 0 || self.is_break(i)
    }

    #[inline]
    fn is_blank(&self, i: usize) -> bool {
        matches!(self.at(i), b' ' | b'\t')
    }

    #[inline]
    fn is_blankz(&self, i: usize) -> bool {
        self.is_blank(i) || self.is_breakz(i)
    }

    #[inline]
    fn is_alpha(&self, i: usize) -> bool {
        matches!(self.at(i), b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'_' | b'-')
    }

    #[inline]
    fn skip(&mut self) {
        self.mark.byte += width(self.cur());
        self.mark.ch += 1;
        self.mark.col += 1;
    }

    fn skip_line(&mut self) {
        let p = self.mark.byte;
        if self.at(p) == b'\r' && self.at(p + 1) == b'\n' {
            self.mark.byte += 2;
            self.mark.ch += 2;
            self.mark.col = 0;
            self.mark.line += 1;
        } else if self.is_break(p) {
            self.mark.byte += width(self.at(p));
            self.mark.ch += 1;
            self.mark.col = 0;
            self.mark.line += 1;
        }
    }

    #[inline]
    fn read(&mut self, s: &mut Buf) {
        let a = self.mark.byte;
        self.skip();
        s.push_src(self.b, a, self.mark.byte);
    }

    /// Consume a line break into `s`: CR LF, CR, LF and NEL become `\n`; LS and PS are kept.
    fn read_line(&mut self, s: &mut Vec<u8>) {
        let p = self.mark.byte;
        let (c, d) = (self.at(p), self.at(p + 1));
        if c == b'\r' && d == b'\n' {
            s.push(b'\n');
            self.mark.byte += 2;
            self.mark.ch += 2;
        } else if c == b'\r' || c == b'\n' {
            s.push(b'\n');
            self.mark.byte += 1;
            self.mark.ch += 1;
        } else if c == 0xC2 && d == 0x85 {
            s.push(b'\n');
            self.mark.byte += 2;
            self.mark.ch += 1;
        } else if c == 0xE2 && d == 0x80 && matches!(self.at(p + 2), 0xA8 | 0xA9) {
            s.extend_from_slice(&[c, d, self.at(p + 2)]);
            self.mark.byte += 3;
            self.mark.ch += 1;
        } else {
            return;
        }
        self.mark.col = 0;
        self.mark.line += 1;
    }

    fn push(&mut self, tok: Tok<'a>, start: Mark, end: Mark) {
        self.tokens.push_back(Token { tok, start, end });
    }

    /// Insert a token `number` (counted from the start of the stream); a token already handed out
    /// makes it go to the end, as in go-yaml.
    fn insert(&mut self, number: Option<usize>, token: Token<'a>) {
        match number {
            Some(n) if n >= self.parsed && n - self.parsed <= self.tokens.len() => {
                self.tokens.insert(n - self.parsed, token)
            }
            _ => self.tokens.push_back(token),
        }
    }

    fn fetch_more(&mut self) -> Result<(), YamlError> {
        loop {
            if !self.tokens.is_empty() {
                // Entries for tokens already handed out are never looked up again.
                while self.keys_by_tok.front().is_some_and(|&(n, _)| n < self.parsed) {
                    self.keys_by_tok.pop_front();
                }
                match self.keys_by_tok.front().copied() {
                    Some((n, i)) if n == self.parsed => {
                        if !self.key_valid(i)? {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            self.fetch_next()?;
        }
        self.available = true;
        Ok(())
    }

    fn fetch_next(&mut self) -> Result<(), YamlError> {
        if !self.started {
            self.indent = -1;
            self.keys.push(SimpleKey::default());
            self.allowed = true;
            self.started = true;
            self.push(Tok::StreamStart, self.mark, self.mark);
            return Ok(());
        }
        self.scan_to_next_token();
        self.unroll_indent(self.mark.col as i64);
        let p = self.mark.byte;
        let c = self.at(p);
        if c == 0 {
            return self.fetch_stream_end();
        }
        let col0 = self.mark.col == 0;
        if col0 && c == b'%' {
            return Err(YamlError {
                at: self.mark,
                context: None,
                problem: "a `%YAML` or `%TAG` directive".into(),
                kind: ErrKind::Directive,
            });
        }
        let three = |ch: u8| self.at(p) == ch && self.at(p + 1) == ch && self.at(p + 2) == ch;
        if col0 && three(b'-') && self.is_blankz(p + 3) {
            return self.fetch_document_indicator(Tok::DocStart);
        }
        if col0 && three(b'.') && self.is_blankz(p + 3) {
            return self.fetch_document_indicator(Tok::DocEnd);
        }
        let next_blankz = self.is_blankz(p + 1);
        match c {
            b'[' => return self.fetch_flow_start(Tok::FlowSeqStart),
            b'{' => return self.fetch_flow_start(Tok::FlowMapStart),
            b']' => return self.fetch_flow_end(Tok::FlowSeqEnd),
            b'}' => return self.fetch_flow_end(Tok::FlowMapEnd),
            b',' => return self.fetch_flow_entry(),
            b'-' if next_blankz => return self.fetch_block_entry(),
            b'?' if self.flow > 0 || next_blankz => return self.fetch_key(),
            b':' if self.flow > 0 || next_blankz => return self.fetch_value(),
            b'*' => return self.fetch_anchor(true),
            b'&' => return self.fetch_anchor(false),
            b'!' => return self.fetch_tag(),
            b'|' if self.flow == 0 => return self.fetch_block_scalar(true),
            b'>' if self.flow == 0 => return self.fetch_block_scalar(false),
            b'\'' => return self.fetch_flow_scalar(true),
            b'"' => return self.fetch_flow_scalar(false),
            _ => {}
        }
        let indicator = self.is_blankz(p)
            || matches!(
                c,
                b'-' | b'?'
                    | b':'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            );
        if !indicator
            || (c == b'-' && !self.is_blank(p + 1))
            || (self.flow == 0 && (c == b'?' || c == b':') && !next_blankz)
        {
            return self.fetch_plain_scalar();
        }
        err("while scanning for the next token", self.mark, "found character that cannot start any token", self.mark)
    }

    fn key_valid(&mut self, i: usize) -> Result<bool, YamlError> {
        let mark = self.mark;
        let Some(k) = self.keys.get_mut(i) else {
            return Ok(false);
        };
        if !k.possible {
            return Ok(false);
        }
        if k.mark.line < mark.line || k.mark.ch + 1024 < mark.ch {
            if k.required {
                return err("while scanning a simple key", k.mark, "could not find expected ':'", mark);
            }
            k.possible = false;
            return Ok(false);
        }
        Ok(true)
    }

    fn key_by_tok_insert(&mut self, number: usize, level: usize) {
        match self.keys_by_tok.binary_search_by_key(&number, |&(n, _)| n) {
            Ok(at) => self.keys_by_tok[at] = (number, level),
            Err(at) => self.keys_by_tok.insert(at, (number, level)),
        }
    }

    fn key_by_tok_remove(&mut self, number: usize) {
        if let Ok(at) = self.keys_by_tok.binary_search_by_key(&number, |&(n, _)| n) {
            self.keys_by_tok.remove(at);
        }
    }

    fn save_key(&mut self) -> Result<(), YamlError> {
        let required = self.flow == 0 && self.indent == self.mark.col as i64;
        if self.allowed {
            let key = SimpleKey { possible: true, required, number: self.parsed + self.tokens.len(), mark: self.mark };
            self.remove_key()?;
            let last = self.keys.len() - 1;
            self.keys[last] = key;
            self.key_by_tok_insert(key.number, last);
        }
        Ok(())
    }

    fn remove_key(&mut self) -> Result<(), YamlError> {
        let mark = self.mark;
        let Some(k) = self.keys.last_mut() else {
            return Ok(());
        };
        if k.possible {
            if k.required {
                return err("while scanning a simple key", k.mark, "could not find expected ':'", mark);
            }
            k.possible = false;
            let n = k.number;
            self.key_by_tok_remove(n);
        }
        Ok(())
    }

    fn increase_flow(&mut self) -> Result<(), YamlError> {
        self.keys.push(SimpleKey {
            possible: false,
            required: false,
            number: self.parsed + self.tokens.len(),
            mark: self.mark,
        });
        self.flow += 1;
        if self.flow > MAX_FLOW_LEVEL {
            return err("while increasing flow level", self.mark, "exceeded max depth of 10000", self.mark);
        }
        Ok(())
    }

    fn decrease_flow(&mut self) {
        if self.flow > 0 {
            self.flow -= 1;
            // go-yaml forgets the key of this token number even when another level saved it.
            if let Some(k) = self.keys.pop() {
                self.key_by_tok_remove(k.number);
            }
        }
    }

    fn roll_indent(&mut self, col: i64, number: Option<usize>, tok: Tok<'a>, mark: Mark) -> Result<(), YamlError> {
        if self.flow > 0 {
            return Ok(());
        }
        if self.indent < col {
            self.indents.push(self.indent);
            self.indent = col;
            if self.indents.len() > MAX_INDENTS {
                return err("while increasing indent level", mark, "exceeded max depth of 10000", self.mark);
            }
            self.insert(number, Token { tok, start: mark, end: mark });
        }
        Ok(())
    }

    fn unroll_indent(&mut self, col: i64) {
        if self.flow > 0 {
            return;
        }
        while self.indent > col {
            self.push(Tok::BlockEnd, self.mark, self.mark);
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    fn fetch_stream_end(&mut self) -> Result<(), YamlError> {
        if self.mark.col != 0 {
            self.mark.col = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1);
        self.remove_key()?;
        self.allowed = false;
        self.push(Tok::StreamEnd, self.mark, self.mark);
        Ok(())
    }

    fn fetch_document_indicator(&mut self, tok: Tok<'a>) -> Result<(), YamlError> {
        self.unroll_indent(-1);
        self.remove_key()?;
        self.allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        self.push(tok, start, self.mark);
        Ok(())
    }

    fn fetch_flow_start(&mut self, tok: Tok<'a>) -> Result<(), YamlError> {
        self.save_key()?;
        self.increase_flow()?;
        self.allowed = true;
        let start = self.mark;
        self.skip();
        self.push(tok, start, self.mark);
        Ok(())
    }

    fn fetch_flow_end(&mut self, tok: Tok<'a>) -> Result<(), YamlError> {
        self.remove_key()?;
        self.decrease_flow();
        self.allowed = false;
        let start = self.mark;
        self.skip();
        self.push(tok, start, self.mark);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Result<(), YamlError> {
        self.remove_key()?;
        self.allowed = true;
        let start = self.mark;
        self.skip();
        self.push(Tok::FlowEntry, start, self.mark);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Result<(), YamlError> {
        if self.flow == 0 {
            if !self.allowed {
                return err("", self.mark, "block sequence entries are not allowed in this context", self.mark);
            }
            self.roll_indent(self.mark.col as i64, None, Tok::BlockSeqStart, self.mark)?;
        }
        self.remove_key()?;
        self.allowed = true;
        let start = self.mark;
        self.skip();
        self.push(Tok::BlockEntry, start, self.mark);
        Ok(())
    }

    fn fetch_key(&mut self) -> Result<(), YamlError> {
        if self.flow == 0 {
            if !self.allowed {
                return err("", self.mark, "mapping keys are not allowed in this context", self.mark);
            }
            self.roll_indent(self.mark.col as i64, None, Tok::BlockMapStart, self.mark)?;
        }
        self.remove_key()?;
        self.allowed = self.flow == 0;
        let start = self.mark;
        self.skip();
        self.push(Tok::Key, start, self.mark);
        Ok(())
    }

    fn fetch_value(&mut self) -> Result<(), YamlError> {
        let i = self.keys.len().saturating_sub(1);
        if self.key_valid(i)? {
            let k = self.keys[i];
            self.insert(Some(k.number), Token { tok: Tok::Key, start: k.mark, end: k.mark });
            self.roll_indent(k.mark.col as i64, Some(k.number), Tok::BlockMapStart, k.mark)?;
            self.keys[i].possible = false;
            self.key_by_tok_remove(k.number);
            self.allowed = false;
        } else {
            if self.flow == 0 {
                if !self.allowed {
                    return err("", self.mark, "mapping values are not allowed in this context", self.mark);
                }
                self.roll_indent(self.mark.col as i64, None, Tok::BlockMapStart, self.mark)?;
            }
            self.allowed = self.flow == 0;
        }
        let start = self.mark;
        self.skip();
        self.push(Tok::Value, start, self.mark);
        Ok(())
    }

    fn fetch_anchor(&mut self, alias: bool) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        self.skip();
        let a = self.mark.byte;
        while self.is_alpha(self.mark.byte) {
            self.skip();
        }
        let name = self.src.get(a..self.mark.byte).unwrap_or("");
        let end = self.mark;
        let p = self.mark.byte;
        let follows = self.is_blankz(p) || matches!(self.at(p), b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`');
        if name.is_empty() || !follows {
            let context = if alias { "while scanning an alias" } else { "while scanning an anchor" };
            return err(context, start, "did not find expected alphabetic or numeric character", self.mark);
        }
        self.push(if alias { Tok::Alias(name) } else { Tok::Anchor(name) }, start, end);
        Ok(())
    }

    fn fetch_tag(&mut self) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        let (handle, suffix): (Cow<'a, str>, Cow<'a, str>);
        if self.at(self.mark.byte + 1) == b'<' {
            self.skip();
            self.skip();
            suffix = self.scan_tag_uri(None, start)?;
            if self.cur() != b'>' {
                return err("while scanning a tag", start, "did not find the expected '>'", self.mark);
            }
            self.skip();
            handle = Cow::Borrowed("");
        } else {
            let h = self.scan_tag_handle(start)?;
            if h.len() > 1 && h.ends_with('!') {
                handle = Cow::Borrowed(h);
                suffix = self.scan_tag_uri(None, start)?;
            } else {
                let s = self.scan_tag_uri(Some(h), start)?;
                if s.is_empty() {
                    handle = Cow::Borrowed("");
                    suffix = Cow::Borrowed("!");
                } else {
                    handle = Cow::Borrowed("!");
                    suffix = s;
                }
            }
        }
        if !self.is_blankz(self.mark.byte) {
            return err("while scanning a tag", start, "did not find expected whitespace or line break", self.mark);
        }
        let end = self.mark;
        self.push(Tok::Tag(handle, suffix), start, end);
        Ok(())
    }

    fn scan_tag_handle(&mut self, start: Mark) -> Result<&'a str, YamlError> {
        if self.cur() != b'!' {
            return err("while parsing a tag", start, "did not find expected '!'", self.mark);
        }
        let a = self.mark.byte;
        self.skip();
        while self.is_alpha(self.mark.byte) {
            self.skip();
        }
        if self.cur() == b'!' {
            self.skip();
        }
        Ok(self.src.get(a..self.mark.byte).unwrap_or("!"))
    }

    /// A tag's URI part, `%`-escapes decoded; `head` is a primary handle read as part of it.
    fn scan_tag_uri(&mut self, head: Option<&'a str>, start: Mark) -> Result<Cow<'a, str>, YamlError> {
        let mut s = Buf::default();
        let mut has = head.is_some_and(|h| !h.is_empty());
        if let Some(h) = head.filter(|h| h.len() > 1) {
            // The handle's text minus its `!`, contiguous with what follows.
            let a = self.mark.byte - (h.len() - 1);
            s.push_src(self.b, a, self.mark.byte);
        }
        let mut escaped = Vec::new();
        loop {
            let c = self.cur();
            let uri = self.is_alpha(self.mark.byte)
                || matches!(
                    c,
                    b';' | b'/'
                        | b'?'
                        | b':'
                        | b'@'
                        | b'&'
                        | b'='
                        | b'+'
                        | b'$'
                        | b','
                        | b'.'
                        | b'!'
                        | b'~'
                        | b'*'
                        | b'\''
                        | b'('
                        | b')'
                        | b'['
                        | b']'
                        | b'%'
                );
            if !uri {
                break;
            }
            if c == b'%' {
                escaped.clear();
                self.scan_uri_escapes(start, &mut escaped)?;
                s.push_bytes(self.b, &escaped);
            } else {
                self.read(&mut s);
            }
            has = true;
        }
        if !has {
            return err("while parsing a tag", start, "did not find expected tag URI", self.mark);
        }
        Ok(s.finish(self.src))
    }

    fn scan_uri_escapes(&mut self, start: Mark, out: &mut Vec<u8>) -> Result<(), YamlError> {
        let mut w = 1024usize;
        while w > 0 {
            let p = self.mark.byte;
            let (h, l) = (hex(self.at(p + 1)), hex(self.at(p + 2)));
            let (Some(h), Some(l)) = (h, l) else {
                return err("while parsing a tag", start, "did not find URI escaped octet", self.mark);
            };
            if self.at(p) != b'%' {
                return err("while parsing a tag", start, "did not find URI escaped octet", self.mark);
            }
            let octet = (h * 16 + l) as u8;
            if w == 1024 {
                w = match octet {
                    0x00..=0x7F => 1,
                    _ if octet & 0xE0 == 0xC0 => 2,
                    _ if octet & 0xF0 == 0xE0 => 3,
                    _ if octet & 0xF8 == 0xF0 => 4,
                    _ => 0,
                };
                if w == 0 {
                    return err("while parsing a tag", start, "found an incorrect leading UTF-8 octet", self.mark);
                }
            } else if octet & 0xC0 != 0x80 {
                return err("while parsing a tag", start, "found an incorrect trailing UTF-8 octet", self.mark);
            }
            out.push(octet);
            self.skip();
            self.skip();
            self.skip();
            w -= 1;
        }
        Ok(())
    }

    fn scan_to_next_token(&mut self) {
        // (libyaml skips a byte order mark at the start of a line here; the loader refuses U+FEFF
        // anywhere but at the start of a file, which is gone before scanning.)
        loop {
            while self.cur() == b' ' || ((self.flow > 0 || !self.allowed) && self.cur() == b'\t') {
                self.skip();
            }
            if self.cur() == b'#' {
                while !self.is_breakz(self.mark.byte) {
                    self.skip();
                }
            }
            if self.is_break(self.mark.byte) {
                self.skip_line();
                if self.flow == 0 {
                    self.allowed = true;
                }
            } else {
                break;
            }
        }
    }

    fn fetch_block_scalar(&mut self, literal: bool) -> Result<(), YamlError> {
        self.remove_key()?;
        self.allowed = true;
        let start = self.mark;
        self.skip();
        let mut chomping = 0i8;
        let mut increment = 0i64;
        let c = self.cur();
        if c == b'+' || c == b'-' {
            chomping = if c == b'+' { 1 } else { -1 };
            self.skip();
            if self.cur().is_ascii_digit() {
                if self.cur() == b'0' {
                    return err(
                        "while scanning a block scalar",
                        start,
                        "found an indentation indicator equal to 0",
                        self.mark,
                    );
                }
                increment = i64::from(self.cur() - b'0');
                self.skip();
            }
        } else if c.is_ascii_digit() {
            if c == b'0' {
                return err(
                    "while scanning a block scalar",
                    start,
                    "found an indentation indicator equal to 0",
                    self.mark,
                );
            }
            increment = i64::from(c - b'0');
            self.skip();
            let c = self.cur();
            if c == b'+' || c == b'-' {
                chomping = if c == b'+' { 1 } else { -1 };
                self.skip();
            }
        }
        while self.is_blank(self.mark.byte) {
            self.skip();
        }
        if self.cur() == b'#' {
            while !self.is_breakz(self.mark.byte) {
                self.skip();
            }
        }
        if !self.is_breakz(self.mark.byte) {
            return err(
                "while scanning a block scalar",
                start,
                "did not find expected comment or line break",
                self.mark,
            );
        }
        if self.is_break(self.mark.byte) {
            self.skip_line();
        }
        let mut end = self.mark;
        let mut indent = 0i64;
        if increment > 0 {
            indent = if self.indent >= 0 { self.indent + increment } else { increment };
        }
        let mut s = Buf::default();
        let mut leading_break: Vec<u8> = Vec::new();
        let mut trailing: Vec<u8> = Vec::new();
        self.block_scalar_breaks(&mut indent, &mut trailing, start, &mut end)?;
        let mut leading_blank = false;
        while self.mark.col as i64 == indent && self.cur() != 0 {
            let trailing_blank = self.is_blank(self.mark.byte);
            if !literal && !leading_blank && !trailing_blank && leading_break.first() == Some(&b'\n') {
                if trailing.is_empty() {
                    s.push_bytes(self.b, b" ");
                }
            } else {
                s.push_bytes(self.b, &leading_break);
            }
            leading_break.clear();
            s.push_bytes(self.b, &trailing);
            trailing.clear();
            leading_blank = self.is_blank(self.mark.byte);
            while !self.is_breakz(self.mark.byte) {
                self.read(&mut s);
            }
            self.read_line(&mut leading_break);
            self.block_scalar_breaks(&mut indent, &mut trailing, start, &mut end)?;
        }
        if chomping != -1 {
            s.push_bytes(self.b, &leading_break);
        }
        if chomping == 1 {
            s.push_bytes(self.b, &trailing);
        }
        let style = if literal { Style::Literal } else { Style::Folded };
        self.push(Tok::Scalar(s.finish(self.src), style), start, end);
        Ok(())
    }

    fn block_scalar_breaks(
        &mut self,
        indent: &mut i64,
        breaks: &mut Vec<u8>,
        start: Mark,
        end: &mut Mark,
    ) -> Result<(), YamlError> {
        *end = self.mark;
        let mut max_indent = 0i64;
        loop {
            while (*indent == 0 || (self.mark.col as i64) < *indent) && self.cur() == b' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.mark.col as i64);
            if (*indent == 0 || (self.mark.col as i64) < *indent) && self.cur() == b'\t' {
                return err(
                    "while scanning a block scalar",
                    start,
                    "found a tab character where an indentation space is expected",
                    self.mark,
                );
            }
            if !self.is_break(self.mark.byte) {
                break;
            }
            self.read_line(breaks);
            *end = self.mark;
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        Ok(())
    }

    fn fetch_flow_scalar(&mut self, single: bool) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        self.skip();
        let mut s = Buf::default();
        let mut leading_break: Vec<u8> = Vec::new();
        let mut trailing: Vec<u8> = Vec::new();
        let mut ws = (0usize, 0usize);
        loop {
            let p = self.mark.byte;
            let indicator = |ch: u8| self.at(p) == ch && self.at(p + 1) == ch && self.at(p + 2) == ch;
            if self.mark.col == 0 && (indicator(b'-') || indicator(b'.')) && self.is_blankz(p + 3) {
                return err("while scanning a quoted scalar", start, "found unexpected document indicator", self.mark);
            }
            if self.cur() == 0 {
                return err("while scanning a quoted scalar", start, "found unexpected end of stream", self.mark);
            }
            let mut leading_blanks = false;
            while !self.is_blankz(self.mark.byte) {
                let p = self.mark.byte;
                let c = self.at(p);
                if single && c == b'\'' && self.at(p + 1) == b'\'' {
                    s.push_bytes(self.b, b"'");
                    self.skip();
                    self.skip();
                } else if (single && c == b'\'') || (!single && c == b'"') {
                    break;
                } else if !single && c == b'\\' && self.is_break(p + 1) {
                    self.skip();
                    self.skip_line();
                    leading_blanks = true;
                    break;
                } else if !single && c == b'\\' {
                    let mut code_len = 0;
                    let simple: &[u8] = match self.at(p + 1) {
                        b'0' => b"\0",
                        b'a' => b"\x07",
                        b'b' => b"\x08",
                        b't' | b'\t' => b"\t",
                        b'n' => b"\n",
                        b'v' => b"\x0B",
                        b'f' => b"\x0C",
                        b'r' => b"\r",
                        b'e' => b"\x1B",
                        b' ' => b" ",
                        b'"' => b"\"",
                        b'\'' => b"'",
                        b'\\' => b"\\",
                        b'N' => "\u{85}".as_bytes(),
                        b'_' => "\u{A0}".as_bytes(),
                        b'L' => "\u{2028}".as_bytes(),
                        b'P' => "\u{2029}".as_bytes(),
                        b'x' => {
                            code_len = 2;
                            b""
                        }
                        b'u' => {
                            code_len = 4;
                            b""
                        }
                        b'U' => {
                            code_len = 8;
                            b""
                        }
                        _ => {
                            return err(
                                "while parsing a quoted scalar",
                                start,
                                "found unknown escape character",
                                self.mark,
                            )
                        }
                    };
                    s.push_bytes(self.b, simple);
                    self.skip();
                    self.skip();
                    if code_len > 0 {
                        let mut value = 0u32;
                        for k in 0..code_len {
                            match hex(self.at(self.mark.byte + k)) {
                                Some(d) => value = (value << 4) + d,
                                None => {
                                    return err(
                                        "while parsing a quoted scalar",
                                        start,
                                        "did not find expected hexdecimal number",
                                        self.mark,
                                    )
                                }
                            }
                        }
                        let Some(ch) = char::from_u32(value) else {
                            return err(
                                "while parsing a quoted scalar",
                                start,
                                "found invalid Unicode character escape code",
                                self.mark,
                            );
                        };
                        let mut tmp = [0u8; 4];
                        s.push_bytes(self.b, ch.encode_utf8(&mut tmp).as_bytes());
                        for _ in 0..code_len {
                            self.skip();
                        }
                    }
                } else {
                    self.read(&mut s);
                }
            }
            let c = self.cur();
            if (single && c == b'\'') || (!single && c == b'"') {
                break;
            }
            while self.is_blank(self.mark.byte) || self.is_break(self.mark.byte) {
                if self.is_blank(self.mark.byte) {
                    if !leading_blanks {
                        if ws.0 == ws.1 {
                            ws = (self.mark.byte, self.mark.byte);
                        }
                        self.skip();
                        ws.1 = self.mark.byte;
                    } else {
                        self.skip();
                    }
                } else if !leading_blanks {
                    ws = (0, 0);
                    self.read_line(&mut leading_break);
                    leading_blanks = true;
                } else {
                    self.read_line(&mut trailing);
                }
            }
            if leading_blanks {
                if leading_break.first() == Some(&b'\n') {
                    if trailing.is_empty() {
                        s.push_bytes(self.b, b" ");
                    } else {
                        s.push_bytes(self.b, &trailing);
                    }
                } else {
                    s.push_bytes(self.b, &leading_break);
                    s.push_bytes(self.b, &trailing);
                }
                trailing.clear();
                leading_break.clear();
            } else if ws.0 != ws.1 {
                s.push_src(self.b, ws.0, ws.1);
                ws = (0, 0);
            }
        }
        self.skip();
        let style = if single { Style::Single } else { Style::Double };
        self.push(Tok::Scalar(s.finish(self.src), style), start, self.mark);
        Ok(())
    }

    fn fetch_plain_scalar(&mut self) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        let mut end = self.mark;
        let indent = self.indent + 1;
        let mut s = Buf::default();
        let mut leading_break: Vec<u8> = Vec::new();
        let mut trailing: Vec<u8> = Vec::new();
        let mut ws = (0usize, 0usize);
        let mut leading_blanks = false;
        loop {
            let p = self.mark.byte;
            let indicator = |ch: u8| self.at(p) == ch && self.at(p + 1) == ch && self.at(p + 2) == ch;
            if self.mark.col == 0 && (indicator(b'-') || indicator(b'.')) && self.is_blankz(p + 3) {
                break;
            }
            if self.cur() == b'#' {
                break;
            }
            while !self.is_blankz(self.mark.byte) {
                let p = self.mark.byte;
                let c = self.at(p);
                if (c == b':' && self.is_blankz(p + 1))
                    || (self.flow > 0 && matches!(c, b',' | b'?' | b'[' | b']' | b'{' | b'}'))
                {
                    break;
                }
                if leading_blanks || ws.0 != ws.1 {
                    if leading_blanks {
                        if leading_break.first() == Some(&b'\n') {
                            if trailing.is_empty() {
                                s.push_bytes(self.b, b" ");
                            } else {
                                s.push_bytes(self.b, &trailing);
                            }
                        } else {
                            s.push_bytes(self.b, &leading_break);
                            s.push_bytes(self.b, &trailing);
                        }
                        trailing.clear();
                        leading_break.clear();
                        leading_blanks = false;
                    } else {
                        s.push_src(self.b, ws.0, ws.1);
                        ws = (0, 0);
                    }
                }
                self.read(&mut s);
                end = self.mark;
            }
            if !(self.is_blank(self.mark.byte) || self.is_break(self.mark.byte)) {
                break;
            }
            while self.is_blank(self.mark.byte) || self.is_break(self.mark.byte) {
                if self.is_blank(self.mark.byte) {
                    if leading_blanks && (self.mark.col as i64) < indent && self.cur() == b'\t' {
                        return err(
                            "while scanning a plain scalar",
                            start,
                            "found a tab character that violates indentation",
                            self.mark,
                        );
                    }
                    if !leading_blanks {
                        if ws.0 == ws.1 {
                            ws = (self.mark.byte, self.mark.byte);
                        }
                        self.skip();
                        ws.1 = self.mark.byte;
                    } else {
                        self.skip();
                    }
                } else if !leading_blanks {
                    ws = (0, 0);
                    self.read_line(&mut leading_break);
                    leading_blanks = true;
                } else {
                    self.read_line(&mut trailing);
                }
            }
            if self.flow == 0 && (self.mark.col as i64) < indent {
                break;
            }
        }
        if leading_blanks {
            self.allowed = true;
        }
        self.push(Tok::Scalar(s.finish(self.src), Style::Plain), start, end);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<K> {
        let mut s = Scanner::new(src, 0, src.len(), !src.ends_with('\n'), 1);
        let mut out = Vec::new();
        loop {
            let k = match s.peek() {
                Ok(t) => t.kind(),
                Err(e) => panic!("{e:?}"),
            };
            out.push(k);
            s.pop();
            if k == K::StreamEnd {
                return out;
            }
        }
    }

    #[test]
    fn simple_keys_become_key_tokens() {
        use K::*;
        assert_eq!(
            kinds("a: 1\nb: [x, y]\n"),
            vec![
                StreamStart,
                BlockMapStart,
                Key,
                Scalar,
                Value,
                Scalar,
                Key,
                Scalar,
                Value,
                FlowSeqStart,
                Scalar,
                FlowEntry,
                Scalar,
                FlowSeqEnd,
                BlockEnd,
                StreamEnd
            ]
        );
    }

    #[test]
    fn question_mark_ends_a_plain_scalar_in_flow_context() {
        use K::*;
        assert_eq!(kinds("[a?b]"), vec![StreamStart, FlowSeqStart, Scalar, Key, Scalar, FlowSeqEnd, StreamEnd]);
    }
}
