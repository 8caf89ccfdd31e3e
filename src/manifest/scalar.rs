//! Kubernetes scalar typing: how kubectl (sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1) reads
//! a plain scalar, and whether YAML 1.2 would read it differently (the Norway problem).

/// A resolved plain scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str,
}

/// Resolve a plain scalar the way go-yaml v2 does (`resolve.go`): YAML 1.1 booleans
/// (`y`, `yes`, `on`, ...), nulls, ints with base prefixes and leading-zero octal after removing
/// `_`, and YAML floats. Timestamps stay strings (go-yaml v2 keeps them as strings when decoding
/// into `interface{}`, which is what kubectl does).
pub fn resolve_yaml11(s: &str) -> Scalar {
    let Some(&first) = s.as_bytes().first() else {
        return Scalar::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => match s {
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Scalar::Bool(true),
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Scalar::Bool(false),
            "~" | "null" | "Null" | "NULL" => Scalar::Null,
            _ => Scalar::Str,
        },
        b'.' => {
            // .inf/.nan have no JSON form; kubectl rejects them when converting to JSON. Keep the text.
            if is_yaml_float(s) {
                s.parse::<f64>().map(Scalar::Float).unwrap_or(Scalar::Str)
            } else {
                Scalar::Str
            }
        }
        b'+' | b'-' | b'0'..=b'9' => resolve_number(s),
        _ => Scalar::Str,
    }
}

fn resolve_number(s: &str) -> Scalar {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(v) = parse_go_int(&plain) {
        return v;
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Scalar::Float(f);
        }
    }
    Scalar::Str
}

/// `strconv.ParseInt(s, 0, 64)`, then `ParseUint`: sign, `0x`/`0o`/`0b` prefixes, leading `0` octal.
fn parse_go_int(s: &str) -> Option<Scalar> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
        (2, r)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some(Scalar::Int((mag as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(Scalar::Int(mag as i64))
    } else {
        Some(Scalar::UInt(mag))
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, plus `.inf`/`.nan` forms.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let rest = &s[i..];
    if matches!(rest, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if i == 0 && matches!(rest, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The YAML 1.2 core schema reading of a plain scalar, for the ambiguity lint.
pub fn resolve_yaml12(s: &str) -> Scalar {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        _ => {}
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let int = if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(o) = s.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        body.parse::<u64>().ok()
    } else {
        None
    };
    if let Some(m) = int {
        return if neg {
            if m <= 1 << 63 {
                Scalar::Int((m as i128).wrapping_neg() as i64)
            } else {
                Scalar::Float(-(m as f64))
            }
        } else if m <= i64::MAX as u64 {
            Scalar::Int(m as i64)
        } else {
            Scalar::UInt(m)
        };
    }
    if is_yaml_float(s) {
        if let Ok(f) = s.parse::<f64>() {
            return Scalar::Float(f);
        }
    }
    Scalar::Str
}

fn same(a: &Scalar, b: &Scalar) -> bool {
    match (a, b) {
        (Scalar::Int(x), Scalar::Float(y)) | (Scalar::Float(y), Scalar::Int(x)) => (*x as f64) == *y,
        (Scalar::Float(x), Scalar::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

/// When a plain scalar types differently under YAML 1.1 (what kubectl applies) and YAML 1.2,
/// a short description of both readings.
pub fn ambiguity(s: &str) -> Option<(Scalar, Scalar)> {
    let a = resolve_yaml11(s);
    let b = resolve_yaml12(s);
    if same(&a, &b) {
        None
    } else {
        Some((a, b))
    }
}

/// Describe a reading for messages.
pub fn describe(s: &Scalar, text: &str) -> String {
    match s {
        Scalar::Null => "null".into(),
        Scalar::Bool(b) => format!("boolean {b}"),
        Scalar::Int(i) => format!("integer {i}"),
        Scalar::UInt(i) => format!("integer {i}"),
        Scalar::Float(f) => format!("float {f}"),
        Scalar::Str => format!("string \"{text}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_reading() {
        assert_eq!(resolve_yaml11("on"), Scalar::Bool(true));
        assert_eq!(resolve_yaml11("NO"), Scalar::Bool(false));
        assert_eq!(resolve_yaml11("y"), Scalar::Bool(true));
        assert_eq!(resolve_yaml11("0644"), Scalar::Int(420));
        assert_eq!(resolve_yaml11("1_000"), Scalar::Int(1000));
        assert_eq!(resolve_yaml11("0x1F"), Scalar::Int(31));
        assert_eq!(resolve_yaml11("0b101"), Scalar::Int(5));
        assert_eq!(resolve_yaml11("-12"), Scalar::Int(-12));
        assert_eq!(resolve_yaml11("+7"), Scalar::Int(7));
        assert_eq!(resolve_yaml11("08"), Scalar::Float(8.0));
        assert_eq!(resolve_yaml11("1.10"), Scalar::Float(1.1));
        assert_eq!(resolve_yaml11("1e3"), Scalar::Float(1000.0));
        assert_eq!(resolve_yaml11(".5"), Scalar::Float(0.5));
        assert_eq!(resolve_yaml11("~"), Scalar::Null);
        assert_eq!(resolve_yaml11(""), Scalar::Null);
        assert_eq!(resolve_yaml11("2024-01-02"), Scalar::Str);
        assert_eq!(resolve_yaml11("1.2.3"), Scalar::Str);
        assert_eq!(resolve_yaml11("nginx"), Scalar::Str);
        assert_eq!(resolve_yaml11("18446744073709551615"), Scalar::UInt(u64::MAX));
        assert_eq!(resolve_yaml11("-9223372036854775808"), Scalar::Int(i64::MIN));
        assert_eq!(resolve_yaml11("99999999999999999999"), Scalar::Float(1e20));
        assert_eq!(resolve_yaml11("0x"), Scalar::Str);
        assert_eq!(resolve_yaml11("-"), Scalar::Str);
        assert_eq!(resolve_yaml11("1e"), Scalar::Str);
    }

    #[test]
    fn ambiguities() {
        assert!(ambiguity("NO").is_some());
        assert!(ambiguity("on").is_some());
        assert!(ambiguity("0644").is_some());
        assert!(ambiguity("1_000").is_some());
        assert!(ambiguity("0b1").is_some());
        assert!(ambiguity("true").is_none());
        assert!(ambiguity("8080").is_none());
        assert!(ambiguity("08").is_none());
        assert!(ambiguity("1.5").is_none());
        assert!(ambiguity("nginx").is_none());
        assert!(ambiguity("0").is_none());
    }
}
