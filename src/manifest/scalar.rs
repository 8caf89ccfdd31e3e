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
/// (`y`, `yes`, `on`, ...), nulls, `.inf`/`.nan`, ints with base prefixes and leading-zero octal
/// after removing `_`, and YAML floats. Timestamps stay strings (go-yaml v2 keeps them as strings
/// when decoding into `interface{}`, which is what kubectl does). A float that overflows is a
/// string, as Go's `ParseFloat` fails on it.
pub fn resolve_yaml11(s: &str) -> Scalar {
    let Some(&first) = s.as_bytes().first() else {
        return Scalar::Null;
    };
    if let Some(special) = special_float(s) {
        return special;
    }
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => match s {
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Scalar::Bool(true),
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Scalar::Bool(false),
            "~" | "null" | "Null" | "NULL" => Scalar::Null,
            _ => Scalar::Str,
        },
        b'.' => finite_float(s),
        b'+' | b'-' | b'0'..=b'9' => resolve_number(s),
        _ => Scalar::Str,
    }
}

/// `.inf`, `+.inf`, `-.inf` and `.nan` in their three spellings.
fn special_float(s: &str) -> Option<Scalar> {
    Some(Scalar::Float(match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => f64::INFINITY,
        "-.inf" | "-.Inf" | "-.INF" => f64::NEG_INFINITY,
        ".nan" | ".NaN" | ".NAN" => f64::NAN,
        _ => return None,
    }))
}

fn finite_float(s: &str) -> Scalar {
    if is_yaml_float(s) {
        if let Ok(f) = s.parse::<f64>() {
            if f.is_finite() {
                return Scalar::Float(f);
            }
        }
    }
    Scalar::Str
}

fn resolve_number(s: &str) -> Scalar {
    // Copied only when it has a `_` to drop (most numbers have none).
    let plain: std::borrow::Cow<'_, str> =
        if s.contains('_') { s.chars().filter(|&c| c != '_').collect::<String>().into() } else { s.into() };
    if let Some(v) = parse_go_int(&plain) {
        return v;
    }
    finite_float(&plain)
}

/// `strconv.ParseInt(s, 0, 64)`, then `ParseUint` (which takes no sign): `0x`/`0o`/`0b`
/// prefixes, leading `0` octal.
fn parse_go_int(s: &str) -> Option<Scalar> {
    let (neg, signed, body) = match s.as_bytes().first() {
        Some(b'-') => (true, true, &s[1..]),
        Some(b'+') => (false, true, &s[1..]),
        _ => (false, false, s),
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
    } else if !signed {
        Some(Scalar::UInt(mag))
    } else {
        None
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, which sigs.k8s.io/yaml uses to turn a float key
/// into a JSON key, with its names for infinities and NaN (`1e3` is `1000`, `1234567.0` is
/// `1.234567e+06`, `1e39` overflows float32 to `.inf`).
pub fn go_float_key(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return ".nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    // Rust prints the shortest digits that read back as the same f32, as Go does.
    let e = format!("{x:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((e.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    let mut dp = exp + 1;
    if digits.iter().all(|&d| d == b'0') {
        digits.clear();
        dp = 0;
    }
    let nd = digits.len() as i32;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let x_exp = dp - 1;
    if !(-4..6).contains(&x_exp) {
        out.push(digits.first().map_or('0', |&d| d as char));
        if nd > 1 {
            out.push('.');
            out.extend(digits[1..].iter().map(|&d| d as char));
        }
        let e = if nd == 0 { 0 } else { x_exp };
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        let a = e.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else {
        if dp > 0 {
            for i in 0..dp {
                out.push(digits.get(i as usize).map_or('0', |&d| d as char));
            }
        } else {
            out.push('0');
        }
        let decimals = (nd - dp).max(0);
        if decimals > 0 {
            out.push('.');
            for i in 0..decimals {
                let j = dp + i;
                out.push(if j >= 0 && j < nd { digits[j as usize] as char } else { '0' });
            }
        }
    }
    out
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
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
    if let Some(special) = special_float(s) {
        return special;
    }
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
        assert_eq!(resolve_yaml11("1e999"), Scalar::Str, "Go's ParseFloat fails on overflow");
        assert_eq!(resolve_yaml11(".5e999"), Scalar::Str);
        assert!(matches!(resolve_yaml11("-.Inf"), Scalar::Float(f) if f == f64::NEG_INFINITY));
        assert!(matches!(resolve_yaml11(".NaN"), Scalar::Float(f) if f.is_nan()));
        assert_eq!(
            resolve_yaml11("+18446744073709551615"),
            Scalar::Float(18446744073709551615.0),
            "ParseUint takes no sign"
        );
        assert_eq!(resolve_yaml11("-0"), Scalar::Int(0));
        assert_eq!(resolve_yaml11("0o17"), Scalar::Int(15));
    }

    #[test]
    fn float_keys_as_go_formats_them() {
        // What kubectl printed for these keys.
        let cases = [
            (1.5, "1.5"),
            (1e3, "1000"),
            (0.1, "0.1"),
            (1.23456789012, "1.2345679"),
            (1e20, "1e+20"),
            (-0.0, "-0"),
            (1e-7, "1e-07"),
            (1234567.0, "1.234567e+06"),
            (123456.0, "123456"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e39, ".inf"),
            (f64::NAN, ".nan"),
            (-2.5e-300, "-0"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float_key(f), want, "{f}");
        }
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
