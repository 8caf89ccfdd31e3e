//! Scalars: block (`|`, `>` with chomping and indentation indicators), quoted (escapes, line
//! folding) and plain (where one ends in block and in flow context), as libyaml scans them.

use super::{err, hex, Buf, Mark, Scanner, Style, Tok, YamlError};

impl<'a> Scanner<'a> {
    pub(super) fn fetch_block_scalar(&mut self, literal: bool) -> Result<(), YamlError> {
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
        while self.is_blank(self.pos()) {
            self.skip();
        }
        if self.cur() == b'#' {
            self.skip_comment();
        }
        if !self.is_breakz(self.pos()) {
            return err(
                "while scanning a block scalar",
                start,
                "did not find expected comment or line break",
                self.mark,
            );
        }
        if self.is_break(self.pos()) {
            self.skip_line();
        }
        let mut end = self.mark;
        let mut indent = 0i64;
        if increment > 0 {
            indent = if self.indent >= 0 { self.indent + increment } else { increment };
        }
        let mut s = Buf::default();
        let (mut leading_break, mut trailing) = self.take_breaks();
        self.block_scalar_breaks(&mut indent, &mut trailing, start, &mut end)?;
        let mut leading_blank = false;
        while self.mark.col as i64 == indent && self.cur() != 0 {
            let trailing_blank = self.is_blank(self.pos());
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
            leading_blank = self.is_blank(self.pos());
            loop {
                self.read_ascii_while(&mut s, |_| true);
                if self.is_breakz(self.pos()) {
                    break;
                }
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
        self.breaks = (leading_break, trailing);
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
            if *indent == 0 {
                self.skip_ascii_while(|c| c == b' ');
            } else {
                // Only up to the indentation: the spaces after it are the line's text.
                let room = (*indent - self.mark.col as i64).max(0) as usize;
                let mut taken = 0usize;
                self.skip_ascii_while(|c| {
                    taken += 1;
                    c == b' ' && taken <= room
                });
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
            if !self.is_break(self.pos()) {
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

    pub(super) fn fetch_flow_scalar(&mut self, single: bool) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        self.skip();
        let mut s = Buf::default();
        let (mut leading_break, mut trailing) = self.take_breaks();
        let mut ws = (0usize, 0usize);
        loop {
            let p = self.pos();
            let indicator = |ch: u8| self.at(p) == ch && self.at(p + 1) == ch && self.at(p + 2) == ch;
            if self.mark.col == 0 && (indicator(b'-') || indicator(b'.')) && self.is_blankz(p + 3) {
                return err("while scanning a quoted scalar", start, "found unexpected document indicator", self.mark);
            }
            if self.cur() == 0 {
                return err("while scanning a quoted scalar", start, "found unexpected end of stream", self.mark);
            }
            let mut leading_blanks = false;
            while !self.is_blankz(self.pos()) {
                if self.read_ascii_while(&mut s, |c| !matches!(c, b' ' | b'\t' | b'\'' | b'"' | b'\\')) > 0 {
                    // Words and the blanks between them, up to a quote, an escape or the line's end.
                    self.read_text_run(&mut s, |c| !matches!(c, b'\'' | b'"' | b'\\'), false);
                    continue;
                }
                let p = self.pos();
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
                    self.escape(&mut s, start)?;
                } else {
                    self.read(&mut s);
                }
            }
            let c = self.cur();
            if (single && c == b'\'') || (!single && c == b'"') {
                break;
            }
            while self.is_blank(self.pos()) || self.is_break(self.pos()) {
                if self.is_blank(self.pos()) {
                    if !leading_blanks {
                        if ws.0 == ws.1 {
                            ws = (self.pos(), self.pos());
                        }
                        self.skip();
                        ws.1 = self.pos();
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
        self.breaks = (leading_break, trailing);
        self.push(Tok::Scalar(s.finish(self.src), style), start, self.mark);
        Ok(())
    }

    pub(super) fn fetch_plain_scalar(&mut self) -> Result<(), YamlError> {
        self.save_key()?;
        self.allowed = false;
        let start = self.mark;
        let mut end = self.mark;
        let indent = self.indent + 1;
        let mut s = Buf::default();
        let (mut leading_break, mut trailing) = self.take_breaks();
        let mut ws = (0usize, 0usize);
        let mut leading_blanks = false;
        loop {
            let p = self.pos();
            let indicator = |ch: u8| self.at(p) == ch && self.at(p + 1) == ch && self.at(p + 2) == ch;
            if self.mark.col == 0 && (indicator(b'-') || indicator(b'.')) && self.is_blankz(p + 3) {
                break;
            }
            if self.cur() == b'#' {
                break;
            }
            while !self.is_blankz(self.pos()) {
                let p = self.pos();
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
                // The rest of the word: nothing in it can end the scalar but a `:` (if a blank
                // follows it) or, in flow context, a flow indicator, which the steps above decide.
                let flow = self.flow > 0;
                self.read_text_run(
                    &mut s,
                    |c| c != b':' && !(flow && matches!(c, b',' | b'?' | b'[' | b']' | b'{' | b'}')),
                    true,
                );
                end = self.mark;
            }
            if !(self.is_blank(self.pos()) || self.is_break(self.pos())) {
                break;
            }
            while self.is_blank(self.pos()) || self.is_break(self.pos()) {
                if self.is_blank(self.pos()) {
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
                            ws = (self.pos(), self.pos());
                        }
                        self.skip();
                        ws.1 = self.pos();
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
        self.breaks = (leading_break, trailing);
        self.push(Tok::Scalar(s.finish(self.src), Style::Plain), start, end);
        Ok(())
    }

    /// A backslash escape in a double-quoted scalar (not before a line break): its character, into `s`.
    fn escape(&mut self, s: &mut Buf, start: Mark) -> Result<(), YamlError> {
        let mut code_len = 0;
        let simple: &[u8] = match self.at(self.pos() + 1) {
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
            _ => return err("while parsing a quoted scalar", start, "found unknown escape character", self.mark),
        };
        s.push_bytes(self.b, simple);
        self.skip();
        self.skip();
        if code_len > 0 {
            let mut value = 0u32;
            for k in 0..code_len {
                match hex(self.at(self.pos() + k)) {
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
        Ok(())
    }
}
