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

mod scalars;
mod tags;

use std::borrow::Cow;
use std::collections::VecDeque;

/// A position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    /// Byte offset in the text, which is at most `u32::MAX` bytes long (`yaml::parse` refuses a
    /// longer one): 16-byte marks keep tokens and events small, and they are moved many times.
    pub byte: u32,
    /// Characters from the start of the part (the 1024-character simple-key limit counts these).
    pub ch: u32,
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
    /// Handle (`!`, `!!`, `!x!` or empty for a verbatim tag) and suffix; boxed, as tags are rare
    /// and every token is as large as the largest kind.
    Tag(Box<(Cow<'a, str>, Cow<'a, str>)>),
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
        self.tok.kind()
    }
}

impl Tok<'_> {
    pub fn kind(&self) -> K {
        match self {
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

/// Written as the derived form of the unboxed tag wrote it (the reading digests compare it).
impl std::fmt::Debug for Tok<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Alias(n) => f.debug_tuple("Alias").field(n).finish(),
            Tok::Anchor(n) => f.debug_tuple("Anchor").field(n).finish(),
            Tok::Tag(t) => f.debug_tuple("Tag").field(&t.0).field(&t.1).finish(),
            Tok::Scalar(v, style) => f.debug_tuple("Scalar").field(v).field(style).finish(),
            other => std::fmt::Debug::fmt(&other.kind(), f),
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
    /// `b` up to where the part ends: one bounds check reads a byte of the part.
    part: &'a [u8],
    /// A line feed is seen where the part ends (kubectl ends the last line of every part with one).
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
    /// The line breaks a scalar has read and not yet folded (leading, trailing), kept between
    /// scalars: nearly every plain scalar ends with a line break, which allocated both anew.
    breaks: (Vec<u8>, Vec<u8>),
}

impl<'a> Scanner<'a> {
    /// Scan `src[start..end]`, which begins at the start of line `line`.
    pub fn new(src: &'a str, start: usize, end: usize, newline_at_end: bool, line: u32) -> Scanner<'a> {
        Scanner {
            src,
            b: src.as_bytes(),
            part: src.as_bytes().get(..end.min(src.len()).min(u32::MAX as usize)).unwrap_or(&[]),
            newline_at_end,
            mark: Mark { byte: start.min(u32::MAX as usize) as u32, ch: 0, line, col: 0 },
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
            breaks: (Vec::new(), Vec::new()),
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
        match self.part.get(i) {
            Some(&c) => c,
            None if i == self.part.len() && self.newline_at_end => b'\n',
            None => 0,
        }
    }

    /// Where the scanner is: the byte offset of `mark`.
    #[inline]
    fn pos(&self) -> usize {
        self.mark.byte as usize
    }

    #[inline]
    fn cur(&self) -> u8 {
        self.at(self.pos())
    }

    #[inline]
    fn is_break(&self, i: usize) -> bool {
        match self.at(i) {
            b'\r' | b'\n' => true,
            c if c < 0x80 => false,
            c => self.is_wide_break(c, i),
        }
    }

    /// NEL, LINE SEPARATOR or PARAGRAPH SEPARATOR at `i`, whose first byte is `c`: out of line,
    /// so that the ASCII test above is inlined where it is asked (it is asked at every step).
    #[inline(never)]
    fn is_wide_break(&self, c: u8, i: usize) -> bool {
        match c {
            0xC2 => self.at(i + 1) == 0x85,
            0xE2 => self.at(i + 1) == 0x80 && matches!(self.at(i + 2), 0xA8 | 0xA9),
            _ => false,
        }
    }

    #[inline]
    fn is_breakz(&self, i: usize) -> bool {
        match self.at(i) {
            b'\r' | b'\n' | 0 => true,
            c if c < 0x80 => false,
            c => self.is_wide_break(c, i),
        }
    }

    #[inline]
    fn is_blank(&self, i: usize) -> bool {
        matches!(self.at(i), b' ' | b'\t')
    }

    /// `is_blank` or `is_breakz`, the byte read once.
    #[inline]
    fn is_blankz(&self, i: usize) -> bool {
        match self.at(i) {
            b' ' | b'\t' | b'\r' | b'\n' | 0 => true,
            c if c < 0x80 => false,
            c => self.is_wide_break(c, i),
        }
    }

    #[inline]
    fn is_alpha(&self, i: usize) -> bool {
        matches!(self.at(i), b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'_' | b'-')
    }

    #[inline]
    fn skip(&mut self) {
        self.mark.byte += width(self.cur()) as u32;
        self.mark.ch += 1;
        self.mark.col += 1;
    }

    /// Skip the run of bytes from here for which `keep` holds, stopping at the end of the part and
    /// at any byte that is not plain ASCII text (a line break, NUL, or the start of a multi-byte
    /// character, whose width and line-break status the one-character steps decide): the fast
    /// path of the loops over indentation, comments and scalar text, which spent most of the
    /// scanner's time stepping one character at a time. How many bytes it skipped.
    #[inline]
    fn skip_ascii_while(&mut self, mut keep: impl FnMut(u8) -> bool) -> usize {
        let from = self.pos();
        let rest = self.part.get(from..).unwrap_or(&[]);
        let n = rest
            .iter()
            .position(|&c| c >= 0x80 || c == 0 || c == b'\n' || c == b'\r' || !keep(c))
            .unwrap_or(rest.len());
        self.mark.byte += n as u32;
        self.mark.ch += n as u32;
        self.mark.col += n as u32;
        n
    }

    /// Like `skip_ascii_while`, the bytes skipped also read into `s`.
    #[inline]
    fn read_ascii_while(&mut self, s: &mut Buf, keep: impl Fn(u8) -> bool) -> usize {
        let a = self.pos();
        let n = self.skip_ascii_while(keep);
        if n > 0 {
            s.push_src(self.b, a, self.pos());
        }
        n
    }

    /// Read into `s` the run of text from here that a scalar takes as written: ASCII bytes that
    /// `keep` takes, and blanks between them on the line (not at the end of the run, where line
    /// folding may drop them; and, with `hash_ends`, not before a `#`, which starts a comment
    /// there). The one-character steps decide everything else. Must start after a non-blank.
    #[inline]
    fn read_text_run(&mut self, s: &mut Buf, keep: impl Fn(u8) -> bool, hash_ends: bool) {
        let from = self.pos();
        let rest = self.part.get(from..).unwrap_or(&[]);
        let mut done = 0;
        let mut i = 0;
        while let Some(&c) = rest.get(i) {
            if c == b' ' || c == b'\t' {
                i += 1;
                continue;
            }
            if c >= 0x80 || c == 0 || c == b'\n' || c == b'\r' || !keep(c) || (hash_ends && c == b'#' && i > done) {
                break;
            }
            i += 1;
            done = i;
        }
        if done > 0 {
            self.mark.byte += done as u32;
            self.mark.ch += done as u32;
            self.mark.col += done as u32;
            s.push_src(self.b, from, from + done);
        }
    }

    /// The (emptied) buffers of line breaks for a scalar; it gives them back when it is done.
    fn take_breaks(&mut self) -> (Vec<u8>, Vec<u8>) {
        let (mut leading, mut trailing) = std::mem::take(&mut self.breaks);
        leading.clear();
        trailing.clear();
        (leading, trailing)
    }

    /// Skip a comment's text up to the line break or the end.
    fn skip_comment(&mut self) {
        loop {
            self.skip_ascii_while(|_| true);
            if self.is_breakz(self.pos()) {
                return;
            }
            self.skip();
        }
    }

    fn skip_line(&mut self) {
        let p = self.pos();
        if self.at(p) == b'\r' && self.at(p + 1) == b'\n' {
            self.mark.byte += 2;
            self.mark.ch += 2;
            self.mark.col = 0;
            self.mark.line += 1;
        } else if self.is_break(p) {
            self.mark.byte += width(self.at(p)) as u32;
            self.mark.ch += 1;
            self.mark.col = 0;
            self.mark.line += 1;
        }
    }

    #[inline]
    fn read(&mut self, s: &mut Buf) {
        let a = self.pos();
        self.skip();
        s.push_src(self.b, a, self.pos());
    }

    /// Consume a line break into `s`: CR LF, CR, LF and NEL become `\n`; LS and PS are kept.
    fn read_line(&mut self, s: &mut Vec<u8>) {
        let p = self.pos();
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
            // A simple key's `Key` goes in front of its scalar, most often the first token queued.
            Some(n) if n == self.parsed => self.tokens.push_front(token),
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
        let p = self.pos();
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
        // Token numbers grow as they are scanned: a new key almost always goes last.
        if self.keys_by_tok.back().is_none_or(|&(n, _)| n < number) {
            self.keys_by_tok.push_back((number, level));
            return;
        }
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

    fn scan_to_next_token(&mut self) {
        // (libyaml skips a byte order mark at the start of a line here; the loader refuses U+FEFF
        // anywhere but at the start of a file, which is gone before scanning.)
        loop {
            let tabs = self.flow > 0 || !self.allowed;
            self.skip_ascii_while(|c| c == b' ' || (tabs && c == b'\t'));
            if self.cur() == b'#' {
                self.skip_comment();
            }
            if self.is_break(self.pos()) {
                self.skip_line();
                if self.flow == 0 {
                    self.allowed = true;
                }
            } else {
                break;
            }
        }
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
