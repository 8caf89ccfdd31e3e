//! Text out of Jsonnet values: numbers as go-jsonnet prints them, `std.toString` and the JSON
//! of `std.manifestJsonEx`, and `std.format` / the `%` operator (Python's `%` conversions).

use std::rc::Rc;

use super::eval::{rt, type_name, Ev, Val, R};

/// A number as go-jsonnet prints it: an integer without a fraction, else 17 significant digits
/// (Go's `%.17g`: trailing zeros dropped, an exponent below -4).
pub fn num(v: f64) -> String {
    if v == v.floor() {
        return format!("{v:.0}");
    }
    let (digits, exp) = sig_digits(v.abs(), 17);
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if v < 0.0 { "-" } else { "" };
    if !(-4..17).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        return format!("{sign}{first}{frac}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    format!("{sign}{}", place_point(digits, exp))
}

/// The first `n` significant decimal digits of `v` (rounded) and the exponent of the first.
fn sig_digits(v: f64, n: usize) -> (String, i32) {
    let s = format!("{:.*e}", n.saturating_sub(1), v);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    (mant.replace('.', ""), exp.parse().unwrap_or(0))
}

/// Digits `d.ddd` times ten to `exp` written without an exponent.
fn place_point(digits: &str, exp: i32) -> String {
    if exp < 0 {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }
}

/// A string as a JSON string literal, as go-jsonnet writes it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `std.toString`: a string as it is, anything else its JSON on one line.
pub fn to_string(ev: &mut Ev, v: &Val, at: usize) -> R<String> {
    match v {
        Val::Str(s) => Ok(s.to_string()),
        v => json(ev, v, None, "", ": ", at),
    }
}

/// The JSON of a value: on one line (`indent` `None`, go-jsonnet's `[1, 2]`), or one member a line.
pub fn json(ev: &mut Ev, v: &Val, indent: Option<&str>, cur: &str, sep: &str, at: usize) -> R<String> {
    let mut out = String::new();
    write_json(ev, v, indent, cur, sep, at, &mut out)?;
    Ok(out)
}

/// Before the `k`th item of an array or object: the comma, then a new line at `inner` when
/// indenting, else a space.
fn item_start(out: &mut String, k: usize, inner: Option<&str>) {
    if k > 0 {
        out.push(',');
    }
    match inner {
        Some(inner) => {
            out.push('\n');
            out.push_str(inner);
        }
        None if k > 0 => out.push(' '),
        None => {}
    }
}

/// After the last item: back to the enclosing indentation when indenting.
fn item_end(out: &mut String, indent: Option<&str>, cur: &str) {
    if indent.is_some() {
        out.push('\n');
        out.push_str(cur);
    }
}

fn write_json(ev: &mut Ev, v: &Val, indent: Option<&str>, cur: &str, sep: &str, at: usize, out: &mut String) -> R<()> {
    ev.alloc_str(out.len(), 0, at)?;
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) => out.push_str(&num(*n)),
        Val::Str(s) => out.push_str(&quote(s)),
        Val::Func(_) => return Err(rt("couldn't manifest function as JSON", at)),
        Val::Arr(items) => {
            if items.is_empty() {
                out.push_str("[ ]");
                return Ok(());
            }
            let inner = indent.map(|i| format!("{cur}{i}"));
            out.push('[');
            for (k, t) in items.iter().enumerate() {
                item_start(out, k, inner.as_deref());
                let x = ev.force(t)?;
                let c = inner.as_deref().unwrap_or("");
                ev.deeper(|ev| write_json(ev, &x, indent, c, sep, at, out), at)?;
            }
            item_end(out, indent, cur);
            out.push(']');
        }
        Val::Obj(o) => {
            ev.check(o)?;
            let names: Vec<Rc<str>> = ev.fields(o).into_iter().filter(|f| f.1).map(|f| f.0).collect();
            if names.is_empty() {
                out.push_str("{ }");
                return Ok(());
            }
            let inner = indent.map(|i| format!("{cur}{i}"));
            out.push('{');
            for (k, n) in names.iter().enumerate() {
                item_start(out, k, inner.as_deref());
                out.push_str(&quote(n));
                out.push_str(sep);
                let x = ev.get(o, n, at)?;
                let c = inner.as_deref().unwrap_or("");
                ev.deeper(|ev| write_json(ev, &x, indent, c, sep, at, out), at)?;
            }
            item_end(out, indent, cur);
            out.push('}');
        }
    }
    Ok(())
}

/// One `%` conversion of a format string.
struct Spec {
    key: Option<String>,
    alt: bool,
    zero: bool,
    left: bool,
    blank: bool,
    plus: bool,
    width: Option<usize>,
    width_star: bool,
    prec: Option<usize>,
    prec_star: bool,
    code: char,
}

fn parse_spec(chars: &[char], mut i: usize, at: usize) -> R<(Spec, usize)> {
    let mut s = Spec {
        key: None,
        alt: false,
        zero: false,
        left: false,
        blank: false,
        plus: false,
        width: None,
        width_star: false,
        prec: None,
        prec_star: false,
        code: '%',
    };
    let end = || rt("Truncated format code.", at);
    if chars.get(i) == Some(&'(') {
        let close = chars[i..].iter().position(|&c| c == ')').ok_or_else(end)?;
        s.key = Some(chars[i + 1..i + close].iter().collect());
        i += close + 1;
    }
    while let Some(&c) = chars.get(i) {
        match c {
            '#' => s.alt = true,
            '0' => s.zero = true,
            '-' => s.left = true,
            ' ' => s.blank = true,
            '+' => s.plus = true,
            _ => break,
        }
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while chars.get(*i).is_some_and(|c| c.is_ascii_digit()) {
            *i += 1;
        }
        (st < *i).then(|| chars[st..*i].iter().collect::<String>().parse::<usize>().unwrap_or(usize::MAX))
    };
    if chars.get(i) == Some(&'*') {
        s.width_star = true;
        i += 1;
    } else {
        s.width = digits(&mut i);
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        if chars.get(i) == Some(&'*') {
            s.prec_star = true;
            i += 1;
        } else {
            s.prec = Some(digits(&mut i).unwrap_or(0));
        }
    }
    while matches!(chars.get(i), Some('h' | 'l' | 'L')) {
        i += 1;
    }
    s.code = *chars.get(i).ok_or_else(end)?;
    Ok((s, i + 1))
}

/// `std.format(str, vals)`: `vals` an array (in order), an object (`%(name)s`) or one value.
pub fn format(ev: &mut Ev, f: &str, vals: Val, at: usize) -> R<String> {
    let chars: Vec<char> = f.chars().collect();
    ev.pay(chars.len() / 8, at)?;
    let (list, obj) = match &vals {
        Val::Arr(a) => (Some(a.clone()), None),
        Val::Obj(o) => (None, Some(o.clone())),
        v => (Some(Rc::new(vec![Ev::done(v.clone(), at, at)])), None),
    };
    let mut next = 0;
    let mut take = |ev: &mut Ev| -> R<Val> {
        let Some(l) = &list else { return Err(rt("Format requires an array of values, got an object", at)) };
        let Some(t) = l.get(next) else {
            return Err(rt(format!("Not enough values to format, got {}", l.len()), at));
        };
        next += 1;
        ev.force(&t.clone())
    };
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let (mut spec, j) = parse_spec(&chars, i, at)?;
        i = j;
        if spec.code == '%' {
            out.push('%');
            continue;
        }
        if spec.width_star {
            match take(ev)? {
                Val::Num(n) => spec.width = Some(n.max(0.0) as usize),
                v => return Err(rt(format!("A * was specified at position {i} but got {}", type_name(&v)), at)),
            }
        }
        if spec.prec_star {
            match take(ev)? {
                Val::Num(n) => spec.prec = Some(n.max(0.0) as usize),
                v => return Err(rt(format!("A * was specified at position {i} but got {}", type_name(&v)), at)),
            }
        }
        let v = match (&spec.key, &obj) {
            (Some(k), Some(o)) => ev.get(o, k, at)?,
            (Some(_), None) => return Err(rt("Format requires an object of values when using %(name)", at)),
            (None, _) => take(ev)?,
        };
        let w = spec.width.unwrap_or(0);
        ev.alloc_str(out.len() + w + spec.prec.unwrap_or(0), w + spec.prec.unwrap_or(0), at)?;
        let text = convert(ev, &spec, &v, at)?;
        out.push_str(&text);
    }
    if let Some(l) = &list {
        if next < l.len() && obj.is_none() {
            return Err(rt(format!("Too many values to format: {}, expected {next}", l.len()), at));
        }
    }
    Ok(out)
}

fn pad(s: String, spec: &Spec, numeric_sign: Option<&str>) -> String {
    let w = spec.width.unwrap_or(0);
    let len = s.chars().count() + numeric_sign.map_or(0, str::len);
    let sign = numeric_sign.unwrap_or("");
    if len >= w {
        return format!("{sign}{s}");
    }
    let fill = w - len;
    if spec.left {
        format!("{sign}{s}{}", " ".repeat(fill))
    } else if spec.zero && numeric_sign.is_some() {
        format!("{sign}{}{s}", "0".repeat(fill))
    } else {
        format!("{}{sign}{s}", " ".repeat(fill))
    }
}

fn convert(ev: &mut Ev, spec: &Spec, v: &Val, at: usize) -> R<String> {
    let code = spec.code;
    if code == 's' {
        let s = to_string(ev, v, at)?;
        return Ok(pad(s, spec, None));
    }
    if code == 'c' {
        let s = match v {
            Val::Num(n) => char::from_u32(*n as u32).map(String::from).unwrap_or_default(),
            Val::Str(s) if s.chars().count() == 1 => s.to_string(),
            v => return Err(rt(format!("%c expected 1-sized string got: {}", type_name(v)), at)),
        };
        return Ok(pad(s, spec, None));
    }
    let Val::Num(n) = v else {
        return Err(rt(format!("Format required number at 0, got {}", type_name(v)), at));
    };
    let n = *n;
    let sign = if n < 0.0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.blank {
        " "
    } else {
        ""
    };
    let a = n.abs();
    let body = match code {
        'd' | 'i' | 'u' => {
            let d = format!("{:.0}", a.trunc());
            let p = spec.prec.unwrap_or(0);
            format!("{}{d}", "0".repeat(p.saturating_sub(d.len())))
        }
        'o' | 'x' | 'X' => {
            let i = a.trunc() as u64;
            let (d, pre) = match code {
                'o' => (format!("{i:o}"), "0"),
                'x' => (format!("{i:x}"), "0x"),
                _ => (format!("{i:X}"), "0X"),
            };
            let p = spec.prec.unwrap_or(0);
            let d = format!("{}{d}", "0".repeat(p.saturating_sub(d.len())));
            if spec.alt {
                format!("{pre}{d}")
            } else {
                d
            }
        }
        'f' | 'F' => {
            let p = spec.prec.unwrap_or(6);
            let s = format!("{a:.p$}");
            if spec.alt && p == 0 {
                format!("{s}.")
            } else {
                s
            }
        }
        'e' | 'E' => exp_form(a, spec.prec.unwrap_or(6), spec.alt, code == 'E'),
        'g' | 'G' => {
            let p = spec.prec.unwrap_or(6).max(1);
            let exp = if a == 0.0 { 0 } else { sig_digits(a, p).1 };
            let s = if exp < -4 || exp >= p as i32 {
                exp_form(a, p - 1, spec.alt, code == 'G')
            } else {
                let decimals = (p as i32 - 1 - exp).max(0) as usize;
                format!("{a:.decimals$}")
            };
            if spec.alt {
                s
            } else {
                strip_zeros(&s)
            }
        }
        other => return Err(rt(format!("Unrecognised conversion type: {other}"), at)),
    };
    Ok(pad(body, spec, Some(sign)))
}

fn exp_form(a: f64, p: usize, alt: bool, upper: bool) -> String {
    let s = format!("{a:.p$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let m = if alt && p == 0 { format!("{m}.") } else { m.to_string() };
    let e = format!("{}{}{:02}", if upper { 'E' } else { 'e' }, if e < 0 { '-' } else { '+' }, e.abs());
    format!("{m}{e}")
}

/// `%g` without `#`: trailing zeros of the fraction (and a bare point) dropped, before any exponent.
fn strip_zeros(s: &str) -> String {
    let (m, e) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let m = if m.contains('.') { m.trim_end_matches('0').trim_end_matches('.') } else { m };
    format!("{m}{e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_go_jsonnet_prints_them() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(-0.5), "-0.5");
        assert_eq!(num(0.1), "0.10000000000000001");
        assert_eq!(num(1.6666666666666665), "1.6666666666666665");
        assert_eq!(num(1e-5), "1.0000000000000001e-05");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(1.5), "1.5");
    }

    #[test]
    fn python_conversions() {
        let mut ev = Ev::new(1_000_000);
        let mut f = |s: &str, v: Val| format(&mut ev, s, v, 0).unwrap_or_else(|e| e.message);
        assert_eq!(f("%g", Val::Num(3.0)), "3");
        assert_eq!(f("%0.2f", Val::Num(1.6666666666666665)), "1.67");
        assert_eq!(f("%5d|%-4s|%05.1f", Val::Num(42.0)), "RUNTIME ERROR: Not enough values to format, got 1");
        assert_eq!(f("%x %#o %e %g %g", Val::Num(255.0)), "RUNTIME ERROR: Not enough values to format, got 1");
        assert_eq!(f("%05d", Val::Num(-42.0)), "-0042");
        assert_eq!(f("%#x", Val::Num(255.0)), "0xff");
        assert_eq!(f("%e", Val::Num(1234.5)), "1.234500e+03");
        assert_eq!(f("%g", Val::Num(0.00001234)), "1.234e-05");
        assert_eq!(f("%g", Val::Num(1234567.0)), "1.23457e+06");
        assert_eq!(f("%10.3g|", Val::Num(12.3456)), "      12.3|");
        assert_eq!(f("%s%%", Val::Str(Rc::from("a"))), "a%");
    }
}
