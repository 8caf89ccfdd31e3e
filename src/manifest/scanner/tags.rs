//! Node properties: anchors and aliases (`&a`, `*a`) and tags (`!!int`, `!local`, `!<uri>`),
//! with go-yaml's rules on their characters and `%`-escapes.

use std::borrow::Cow;

use super::{err, hex, Buf, Mark, Scanner, Tok, YamlError};

impl<'a> Scanner<'a> {
    pub(super) fn fetch_anchor(&mut self, alias: bool) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        self.skip();
        let a = self.pos();
        while self.is_alpha(self.pos()) {
            self.skip();
        }
        let name = self.src.get(a..self.pos()).unwrap_or("");
        let end = self.mark;
        let p = self.pos();
        let follows = self.is_blankz(p) || matches!(self.at(p), b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`');
        if name.is_empty() || !follows {
            let context = if alias { "while scanning an alias" } else { "while scanning an anchor" };
            return err(context, start, "did not find expected alphabetic or numeric character", self.mark);
        }
        self.push(if alias { Tok::Alias(name) } else { Tok::Anchor(name) }, start, end);
        Ok(())
    }

    pub(super) fn fetch_tag(&mut self) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        let (handle, suffix): (Cow<'a, str>, Cow<'a, str>);
        if self.at(self.pos() + 1) == b'<' {
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
        if !self.is_blankz(self.pos()) {
            return err("while scanning a tag", start, "did not find expected whitespace or line break", self.mark);
        }
        let end = self.mark;
        self.push(Tok::Tag(Box::new((handle, suffix))), start, end);
        Ok(())
    }

    fn scan_tag_handle(&mut self, start: Mark) -> Result<&'a str, YamlError> {
        if self.cur() != b'!' {
            return err("while parsing a tag", start, "did not find expected '!'", self.mark);
        }
        let a = self.pos();
        self.skip();
        while self.is_alpha(self.pos()) {
            self.skip();
        }
        if self.cur() == b'!' {
            self.skip();
        }
        Ok(self.src.get(a..self.pos()).unwrap_or("!"))
    }

    /// A tag's URI part, `%`-escapes decoded; `head` is a primary handle read as part of it.
    fn scan_tag_uri(&mut self, head: Option<&'a str>, start: Mark) -> Result<Cow<'a, str>, YamlError> {
        let mut s = Buf::default();
        let mut has = head.is_some_and(|h| !h.is_empty());
        if let Some(h) = head.filter(|h| h.len() > 1) {
            // The handle's text minus its `!`, contiguous with what follows.
            let a = self.pos() - (h.len() - 1);
            s.push_src(self.b, a, self.pos());
        }
        let mut escaped = Vec::new();
        loop {
            let c = self.cur();
            let uri = self.is_alpha(self.pos())
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
            let p = self.pos();
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
}
