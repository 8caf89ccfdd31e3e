//! EDN (`*.edn`) as conftest gives it to policies (olympos.io/encoding/edn into an empty
//! interface, then conftest's clean-up): maps are objects whose keys are printed as Go's `%v`
//! prints them (`:db` for a keyword, `name` for a symbol, `5` for an integer), vectors and lists
//! are arrays, strings stay strings, and every other value is its `%v` text too: `"5432"`,
//! `"true"`, `"<nil>"`, `":debug"`, `"1e+06"`, a character its code point (`"97"`), a set
//! `"map[:a:true :b:true]"`, `#inst` Go's time text, an unknown tag `"#tag value"`. Only the first
//! value of the file is read, as the decoder reads it. A parser of our own (small, no crate keeps
//! positions).

use super::{Bad, Kind, Member, Members, Node};

/// Deepest nesting read: a hostile file cannot overflow the stack.
const MAX_DEPTH: usize = 200;

/// A value with the bytes it spans.
type Spanned = (Edn, usize, usize);

/// A parsed EDN value.
enum Edn {
    Str(String),
    /// Any scalar other than a string, as Go's `%v` prints it, with how a set sorts it.
    Scalar(String, SortKey),
    Seq(Vec<Spanned>),
    Map(Vec<(Spanned, Spanned)>),
}

/// How Go's `fmt` orders the keys of a set it prints: by type, then by value.
#[derive(Clone, PartialEq, PartialOrd)]
enum SortKey {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(u8, String),
}

struct P<'a> {
    t: &'a str,
    b: &'a [u8],
    at: usize,
}

fn is_sym(c: char) -> bool {
    c.is_alphanumeric() || ".*+!-_?$%&=<>/:#'".contains(c)
}

impl P<'_> {
    fn skip(&mut self) {
        while self.at < self.b.len() {
            match self.b[self.at] {
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b'\x0c' => self.at += 1,
                b';' => self.at = self.t[self.at..].find('\n').map_or(self.b.len(), |i| self.at + i),
                _ => return,
            }
        }
    }

    fn word(&mut self) -> &str {
        let s = self.at;
        while let Some(c) = self.t[self.at..].chars().next() {
            if !is_sym(c) {
                break;
            }
            self.at += c.len_utf8();
        }
        &self.t[s..self.at]
    }

    /// The next value; `Ok(None)` at a closing `end` or the end of the text.
    fn value(&mut self, depth: usize) -> Result<Option<(Edn, usize, usize)>, Bad> {
        self.skip();
        let start = self.at;
        if depth > MAX_DEPTH {
            return Err(Bad::new(format!("nesting deeper than {MAX_DEPTH} levels"), start));
        }
        let Some(c) = self.t[start..].chars().next() else { return Ok(None) };
        let v = match c {
            ')' | ']' | '}' => return Ok(None),
            '(' | '[' => {
                self.at += 1;
                Edn::Seq(self.items(if c == '(' { ')' } else { ']' }, start, depth)?)
            }
            '{' => {
                self.at += 1;
                self.map(start, depth)?
            }
            '"' => Edn::Str(self.string()?),
            '\\' => self.character()?,
            '#' => {
                self.at += 1;
                match self.b.get(self.at) {
                    Some(b'{') => {
                        self.at += 1;
                        self.set(start, depth)?
                    }
                    Some(b'_') => {
                        self.at += 1;
                        if self.value(depth + 1)?.is_none() {
                            return Err(Bad::new("`#_` discards nothing", start));
                        }
                        return self.value(depth);
                    }
                    _ => self.tagged(start, depth)?,
                }
            }
            '0'..='9' => self.number(start)?,
            '+' | '-' if self.b.get(start + 1).is_some_and(u8::is_ascii_digit) => self.number(start)?,
            ':' => {
                self.at += 1;
                let w = self.word();
                if w.is_empty() {
                    return Err(Bad::new("a keyword needs a name", start));
                }
                let text = format!(":{w}");
                Edn::Scalar(text, SortKey::Text(1, w.to_string()))
            }
            c if is_sym(c) => match self.word() {
                "nil" => Edn::Scalar("<nil>".into(), SortKey::Text(0, String::new())),
                "true" => Edn::Scalar("true".into(), SortKey::Bool(true)),
                "false" => Edn::Scalar("false".into(), SortKey::Bool(false)),
                w => Edn::Scalar(w.to_string(), SortKey::Text(2, w.to_string())),
            },
            c => return Err(Bad::new(format!("unexpected character {c:?}"), start)),
        };
        Ok(Some((v, start, self.at)))
    }

    fn items(&mut self, end: char, start: usize, depth: usize) -> Result<Vec<(Edn, usize, usize)>, Bad> {
        let mut out = Vec::new();
        while let Some(v) = self.value(depth + 1)? {
            out.push(v);
        }
        match self.t[self.at..].chars().next() {
            Some(c) if c == end => {
                self.at += 1;
                Ok(out)
            }
            Some(c) => Err(Bad::new(format!("`{c}` closes what `{}` opened", &self.t[start..=start]), self.at)),
            None => Err(Bad::new(format!("`{}` is not closed", &self.t[start..=start]), start)),
        }
    }

    fn map(&mut self, start: usize, depth: usize) -> Result<Edn, Bad> {
        let items = self.items('}', start, depth)?;
        if items.len() % 2 == 1 {
            let (_, s, _) = &items[items.len() - 1];
            return Err(Bad::new("a map key without a value", *s));
        }
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        Ok(Edn::Map(pairs))
    }

    /// A set as Go's `%v` prints the `map[interface{}]bool` the decoder makes of it.
    fn set(&mut self, start: usize, depth: usize) -> Result<Edn, Bad> {
        let items = self.items('}', start, depth)?;
        let mut keys = Vec::with_capacity(items.len());
        for (v, s, _) in items {
            match v {
                Edn::Str(t) => keys.push((SortKey::Text(3, t.clone()), t)),
                Edn::Scalar(t, k) => keys.push((k, t)),
                _ => return Err(Bad::new("a collection in a set (conftest prints its memory address)", s)),
            }
        }
        keys.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        keys.dedup_by(|a, b| a.0 == b.0);
        let body: Vec<String> = keys.into_iter().map(|(_, t)| format!("{t}:true")).collect();
        let text = format!("map[{}]", body.join(" "));
        Ok(Edn::Scalar(text.clone(), SortKey::Text(4, text)))
    }

    fn tagged(&mut self, start: usize, depth: usize) -> Result<Edn, Bad> {
        let name = self.word().to_string();
        if name.is_empty() || !name.starts_with(|c: char| c.is_alphabetic()) {
            return Err(Bad::new("a tag needs a name starting with a letter", start));
        }
        let Some((v, vs, _)) = self.value(depth + 1)? else {
            return Err(Bad::new(format!("the tag #{name} has no value"), start));
        };
        let text = match (name.as_str(), v) {
            ("inst", Edn::Str(s)) => {
                go_time(&s).ok_or_else(|| Bad::new(format!("#inst: not an RFC 3339 time: {s}"), vs))?
            }
            ("inst", _) => return Err(Bad::new("#inst takes a string", vs)),
            ("base64", Edn::Str(s)) => {
                let bytes = base64(&s).ok_or_else(|| Bad::new("#base64: not standard base64", vs))?;
                format!("[{}]", bytes.iter().map(u8::to_string).collect::<Vec<_>>().join(" "))
            }
            ("base64", _) => return Err(Bad::new("#base64 takes a string", vs)),
            // Go's `%s` of the value: keywords and symbols print as in `%v`.
            (_, Edn::Str(s)) => format!("#{name} {s}"),
            (_, Edn::Scalar(s, SortKey::Text(1 | 2, _))) => format!("#{name} {s}"),
            _ => {
                return Err(Bad::new(format!("#{name}: only a string, keyword or symbol is read as a tag's value"), vs))
            }
        };
        Ok(Edn::Scalar(text.clone(), SortKey::Text(5, text)))
    }

    fn string(&mut self) -> Result<String, Bad> {
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.t[self.at..].chars().next() else {
                return Err(Bad::new("string not terminated", start));
            };
            self.at += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self.b.get(self.at).copied();
                    self.at += 1;
                    out.push(match e {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hex = self.t.get(self.at..self.at + 4).unwrap_or("");
                            let code = u32::from_str_radix(hex, 16).ok().filter(|_| hex.len() == 4);
                            self.at += 4;
                            // A lone surrogate becomes U+FFFD, as the decoder makes it.
                            code.map_or(Err(Bad::new("invalid \\u escape", self.at - 6)), |c| {
                                Ok(char::from_u32(c).unwrap_or('\u{fffd}'))
                            })?
                        }
                        _ => return Err(Bad::new("invalid escape in a string", self.at - 2)),
                    });
                }
                c => out.push(c),
            }
        }
    }

    fn character(&mut self) -> Result<Edn, Bad> {
        let start = self.at;
        self.at += 1;
        let Some(first) = self.t[self.at..].chars().next() else {
            return Err(Bad::new("a character needs a value", start));
        };
        self.at += first.len_utf8();
        let rest = self.word().to_string();
        let name = format!("{first}{rest}");
        let c = match name.as_str() {
            "newline" => '\n',
            "return" => '\r',
            "space" => ' ',
            "tab" => '\t',
            "formfeed" => '\u{c}',
            _ if name.chars().count() == 1 => first,
            _ if first == 'u' && rest.len() == 4 => u32::from_str_radix(&rest, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| Bad::new(format!("invalid character \\{name}"), start))?,
            _ => return Err(Bad::new(format!("invalid character \\{name}"), start)),
        };
        // The decoder gives a character as an int32: Go prints its number.
        Ok(Edn::Scalar((c as u32).to_string(), SortKey::Int(c as i64)))
    }

    fn number(&mut self, start: usize) -> Result<Edn, Bad> {
        let w = self.word().to_string();
        let bad = || Bad::new(format!("invalid number {w}"), start);
        if let Some(digits) = w.strip_suffix('N') {
            let _ = digits;
            return Err(Bad::new(
                format!("the big integer {w} (conftest gives policies Go's internal form of it)"),
                start,
            ));
        }
        let plain = w.strip_suffix('M').unwrap_or(&w);
        if plain.contains(['.', 'e', 'E']) || w.ends_with('M') {
            let f: f64 = plain.parse().map_err(|_| bad())?;
            if !f.is_finite() {
                return Err(bad());
            }
            return Ok(Edn::Scalar(go_float(f), SortKey::Float(f)));
        }
        let digits = plain.strip_prefix('+').unwrap_or(plain);
        let n: i64 = digits.parse().map_err(|_| bad())?;
        Ok(Edn::Scalar(n.to_string(), SortKey::Int(n)))
    }
}

/// Go's `base64.StdEncoding.DecodeString`: padded, line feeds and carriage returns skipped.
fn base64(s: &str) -> Option<Vec<u8>> {
    let chars: Vec<u8> = s.bytes().filter(|b| !matches!(b, b'\n' | b'\r')).collect();
    if chars.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(chars.len() / 4 * 3);
    let n = chars.len() / 4;
    for (i, q) in chars.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != n) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &q[..4 - pad] {
            acc = (acc << 6) | u32::from(val(c)?);
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// A float as Go's `%v` prints it (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest digits, an
/// exponent below 1e-4 and from 1e6 on (`1e+06`, `1.5e-07`).
fn go_float(f: f64) -> String {
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        return format!("{f}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}e{sign}{:02}", exp.unsigned_abs())
}

/// `#inst` as Go's `time.Time` prints (`2032-01-01 12:20:50.52 +0000 UTC`); an offset other than
/// zero prints as its own zone name (`+0200 +0200`), as Go's parser names a fixed zone.
fn go_time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num =
        |r: std::ops::Range<usize>| s.get(r).filter(|x| x.bytes().all(|c| c.is_ascii_digit()))?.parse::<u32>().ok();
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = "";
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        frac = &r[..n.min(9)];
        rest = &r[n..];
    }
    let zone = match rest {
        "Z" | "z" => "+0000 UTC".to_string(),
        z if z.len() == 6 && matches!(&z[..1], "+" | "-") && &z[3..4] == ":" => {
            let (hh, mm) = (num(s.len() - 5..s.len() - 3)?, num(s.len() - 2..s.len())?);
            if hh > 23 || mm > 59 {
                return None;
            }
            if hh == 0 && mm == 0 {
                "+0000 UTC".to_string()
            } else {
                let o = format!("{}{hh:02}{mm:02}", &z[..1]);
                format!("{o} {o}")
            }
        }
        _ => return None,
    };
    let frac = frac.trim_end_matches('0');
    let frac = if frac.is_empty() { String::new() } else { format!(".{frac}") };
    Some(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{se:02}{frac} {zone}"))
}

/// conftest's clean-up of the decoded value: maps and sequences kept, strings kept, every other
/// value its `%v` text.
fn to_node(v: Edn, start: usize, end: usize) -> Node {
    let kind = match v {
        Edn::Str(s) | Edn::Scalar(s, _) => Kind::Str(s),
        Edn::Seq(items) => Kind::Arr(items.into_iter().map(|(v, s, e)| to_node(v, s, e)).collect()),
        Edn::Map(pairs) => {
            // A key twice: the later value (a Go map keeps one).
            let mut members = Members::default();
            for ((k, ks, _), (v, vs, ve)) in pairs {
                let key = match k {
                    Edn::Str(s) | Edn::Scalar(s, _) => s,
                    // Unreachable: `parse` refuses collections as keys first.
                    _ => String::new(),
                };
                members.set(Member { key, at: ks, value: to_node(v, vs, ve) });
            }
            Kind::Obj(members.into_vec())
        }
    };
    Node::new(kind, start, end)
}

/// A collection used as a map key: Go's `%v` of it is a memory address, so no policy can rely on it.
fn check_keys(v: &Edn) -> Result<(), Bad> {
    match v {
        Edn::Seq(items) => items.iter().try_for_each(|(v, _, _)| check_keys(v)),
        Edn::Map(pairs) => pairs.iter().try_for_each(|((k, ks, _), (v, _, _))| {
            if matches!(k, Edn::Seq(_) | Edn::Map(_)) {
                return Err(Bad::new("a collection as a map key (conftest prints its memory address)", *ks));
            }
            check_keys(v)
        }),
        _ => Ok(()),
    }
}

/// Parse the first EDN value of a file.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let mut p = P { t: text, b: text.as_bytes(), at: 0 };
    match p.value(0)? {
        Some((v, s, e)) => {
            check_keys(&v)?;
            Ok(to_node(v, s, e))
        }
        None if p.at < text.len() => Err(Bad::new("a closing bracket without an opening one", p.at)),
        None => Err(Bad::new("no EDN value in the file", text.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        super::super::json_of(parse(text))
    }

    #[test]
    fn shape_as_conftest() {
        let text = r#";; c
{:db {:user "u" :port 5432 :ok true :none nil}
 :features #{:b :a} #_:all
 :list (1 2.5 "x" sym \a) , :vec [1e6 0.0001 1.5e-7 -3]
 :when #inst "2032-01-01T12:20:50.520Z" :every #duration "20m"
 "str" :s 7 :n}
trailing ignored"#;
        assert_eq!(
            json(text),
            serde_json::json!({
                ":db": {":user": "u", ":port": "5432", ":ok": "true", ":none": "<nil>"},
                ":features": "map[:a:true :b:true]",
                ":list": ["1", "2.5", "x", "sym", "97"],
                ":vec": ["1e+06", "0.0001", "1.5e-07", "-3"],
                ":when": "2032-01-01 12:20:50.52 +0000 UTC",
                ":every": "#duration 20m",
                "str": ":s",
                "7": ":n"
            })
        );
    }

    #[test]
    fn bad_input_has_a_place() {
        assert_eq!(parse("{:a 1\n :b}").expect_err("odd").at, 7);
        assert_eq!(parse("{:a [1 2}").expect_err("mismatch").at, 8);
        assert_eq!(parse("{:a \"x").expect_err("unterminated").at, 4);
        assert_eq!(parse("{[1] 2}").expect_err("collection key").at, 1);
        assert!(parse("").is_err());
        assert!(parse("{:a 1N}").is_err());
        assert!(parse("#{[1]}").is_err());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).expect_err("deep").message.contains("nesting"));
    }
}
