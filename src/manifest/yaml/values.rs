//! Scalar values the way go-yaml v2 types them: YAML 1.1 resolution (or 1.2 for files that are
//! not Kubernetes objects), tags checked or applied (`!!int`, `!!binary`, `!!str`), floats JSON
//! cannot hold refused.

use regorus::Value;

use super::{Builder, Stop, INVALID, TAG_PREFIX, UNSUPPORTED};
use crate::manifest::scalar::{self, Scalar};
use crate::manifest::scanner::{Mark, Style};

impl Builder<'_> {
    /// A scalar's value; `lint`: warn where YAML 1.1 and 1.2 read it differently.
    pub(super) fn scalar_value(
        &mut self,
        text: &str,
        style: Style,
        tag: Option<&str>,
        plain_implicit: bool,
        at: Mark,
        lint: bool,
    ) -> Result<Value, Stop> {
        let resolved = match resolve(text, style, tag, plain_implicit, self.limits.yaml12) {
            Ok(r) => r,
            Err((rule, message)) => return Err(self.stop(rule, message, at, None)),
        };
        let s = match resolved {
            Resolved::Str => return Ok(Value::from(text)),
            Resolved::Binary(s) => return Ok(Value::from(s.as_str())),
            Resolved::Scalar(s) => s,
        };
        if lint
            && plain_implicit
            && tag.is_none()
            && !self.limits.yaml12
            && self.limits.lint_ambiguous
            && may_be_ambiguous(&s, text)
        {
            if let Some((k8s, y12)) = scalar::ambiguity(text) {
                self.warn(
                    format!(
                        "`{text}` is read as {} by Kubernetes (YAML 1.1) but as {} by YAML 1.2 tools; quote it to say which you mean",
                        scalar::describe(&k8s, text),
                        scalar::describe(&y12, text)
                    ),
                    at,
                );
            }
        }
        match s {
            Scalar::Float(f) if !f.is_finite() => {
                if self.limits.yaml12 {
                    return Ok(Value::from(text));
                }
                Err(self.stop(
                    INVALID,
                    format!(
                        "`{text}` is a float that JSON cannot hold: kubectl rejects the file (\"unsupported value\")"
                    ),
                    at,
                    Some("quote it to make it a string"),
                ))
            }
            s => Ok(scalar_to_value(s, text)),
        }
    }
}

/// Whether a plain scalar that YAML 1.1 read as `s` can read otherwise in YAML 1.2, before the
/// full comparison (`scalar::ambiguity`) resolves it twice more: a YAML 1.1 string is a YAML 1.2
/// string too unless it is empty, `~`, or starts like a YAML 1.2 null, boolean or number
/// (`n`/`N`, `t`/`T`, `f`/`F`, a digit, a sign or a dot). Most scalars are names and words.
fn may_be_ambiguous(s: &Scalar, text: &str) -> bool {
    match s {
        Scalar::Str => {
            matches!(
                text.as_bytes().first(),
                None | Some(b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'0'..=b'9' | b'+' | b'-' | b'.')
            )
        }
        _ => true,
    }
}

/// A scalar's size as JSON, roughly.
pub(super) fn json_size(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.len() as u64 + 2,
        _ => 8,
    }
}

pub(super) enum Resolved {
    /// The text as written.
    Str,
    /// A `!!binary` value decoded.
    Binary(String),
    Scalar(Scalar),
}

/// A scalar's type the way go-yaml v2 decodes it into an `interface{}`: quoted and block scalars
/// without a tag are strings; plain ones are typed (YAML 1.1); a tag of the core schema must
/// match what the text resolves to (`!!float` also takes an integer); `!!binary` is base64;
/// other tags (`!foo`, `!`, `!!map` on a scalar) leave a string.
pub(super) fn resolve(
    text: &str,
    _style: Style,
    tag: Option<&str>,
    plain_implicit: bool,
    yaml12: bool,
) -> Result<Resolved, (&'static str, String)> {
    let typed = |t: &str| if yaml12 { scalar::resolve_yaml12(t) } else { scalar::resolve_yaml11(t) };
    let Some(tag) = tag else {
        return Ok(if plain_implicit { Resolved::Scalar(typed(text)) } else { Resolved::Str });
    };
    let Some(short) = tag.strip_prefix(TAG_PREFIX) else {
        return Ok(Resolved::Str);
    };
    let mismatch = |what: &str| {
        Err((INVALID, format!("`!!{short}` on `{text}`, which is {}: kubectl rejects it (\"cannot decode\")", what)))
    };
    match short {
        "str" => Ok(Resolved::Str),
        "binary" => match base64_std(text) {
            Some(bytes) => Ok(Resolved::Binary(go_string(&bytes))),
            None => Err((INVALID, "`!!binary` value that is not valid base64: kubectl rejects it".into())),
        },
        "timestamp" => Err((
            UNSUPPORTED,
            format!("`!!timestamp` on `{text}`: tollgate does not read timestamps the way kubectl's reader does"),
        )),
        "int" | "float" | "bool" | "null" => {
            let s = typed(text);
            let ok = matches!(
                (short, &s),
                ("int", Scalar::Int(_) | Scalar::UInt(_))
                    | ("float", Scalar::Float(_))
                    | ("bool", Scalar::Bool(_))
                    | ("null", Scalar::Null)
            );
            if ok {
                return Ok(Resolved::Scalar(s));
            }
            match (short, s) {
                ("float", Scalar::Int(i)) => Ok(Resolved::Scalar(Scalar::Float(i as f64))),
                ("float", Scalar::UInt(u)) => Ok(Resolved::Scalar(Scalar::Float(u as f64))),
                (_, other) => mismatch(&scalar::describe(&other, text)),
            }
        }
        // `!!merge`, `!!seq`, `!!map`, `!!set`, ... on a scalar: go-yaml keeps the text.
        _ => Ok(Resolved::Str),
    }
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet; line feeds and carriage
/// returns are skipped.
pub(super) fn base64_std(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    if digits.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(digits.len() / 4 * 3);
    let quads = digits.len() / 4;
    for (q, chunk) in digits.chunks(4).enumerate() {
        let last = q + 1 == quads;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Bytes as Go's JSON encoder writes a string: each byte that does not start a valid UTF-8
/// sequence becomes U+FFFD.
pub(super) fn go_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or(""));
                out.push('\u{FFFD}');
                rest = &rest[good + 1..];
            }
        }
    }
}

/// Turn a resolved scalar into a regorus value. Integers beyond int64 are floats, as kubectl's
/// JSON decoding makes them.
pub fn scalar_to_value(s: Scalar, text: &str) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::from(b),
        Scalar::Int(i) => Value::from(i),
        Scalar::UInt(u) => Value::from(u as f64),
        Scalar::Float(f) if f.is_finite() => Value::from(f),
        Scalar::Float(_) | Scalar::Str => Value::from(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn base64_like_go() {
        assert_eq!(base64_std("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64_std("aGVs\nbG8=\n"), Some(b"hello".to_vec()));
        assert_eq!(base64_std(""), Some(Vec::new()));
        assert_eq!(base64_std("aGVsbG8"), None);
        assert_eq!(base64_std("aG=sbG8="), None);
        assert_eq!(go_string(&[0xFF, b'a', 0xE2, 0x82]), "\u{FFFD}a\u{FFFD}\u{FFFD}");
    }
}
