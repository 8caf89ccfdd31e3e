//! TOML files as conftest gives them to policies (BurntSushi's decoder through JSON): tables are
//! objects, integers numbers, dates and times RFC 3339 strings as Go's `time.Time` encodes them.
//! Parsed by the `toml` crate, whose spans locate every key and value.

use std::borrow::Cow;

use toml::de::{DeTable, DeValue};
use toml::value::{Datetime, Offset};

use super::{Bad, Kind, Member, Node};

use toml::Spanned;

fn table(t: &DeTable<'_>, start: usize, end: usize) -> Result<Node, Bad> {
    let mut members = Vec::with_capacity(t.len());
    for (k, v) in t.iter() {
        let key: &Cow<'_, str> = k.get_ref();
        members.push(Member { key: key.to_string(), at: k.span().start, value: value(v)? });
    }
    Ok(Node::new(Kind::Obj(members), start, end))
}

fn value(v: &Spanned<DeValue<'_>>) -> Result<Node, Bad> {
    let span = v.span();
    let (start, end) = (span.start, span.end);
    let kind = match v.get_ref() {
        DeValue::String(s) => Kind::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Kind::Int(n),
            Err(_) => return Err(Bad::new("integer out of range (TOML integers are 64-bit)", start)),
        },
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(x) if x.is_finite() => super::number(x),
            // conftest cannot hand inf or nan to a policy either (JSON has no such number).
            _ => return Err(Bad::new(format!("the float `{}` has no JSON form", f.as_str()), start)),
        },
        DeValue::Boolean(b) => Kind::Bool(*b),
        DeValue::Datetime(d) => Kind::Str(go_time(d)),
        DeValue::Array(items) => Kind::Arr(items.iter().map(value).collect::<Result<_, _>>()?),
        DeValue::Table(t) => return table(t, start, end),
    };
    Ok(Node::new(kind, start, end))
}

/// A TOML date-time as Go's `time.Time` encodes to JSON (RFC 3339, fraction without trailing
/// zeros): a local date is midnight UTC, a local time is on 0000-01-01, no offset is `Z`.
fn go_time(d: &Datetime) -> String {
    let (y, mo, da) = d.date.map_or((0, 1, 1), |x| (x.year, x.month, x.day));
    let (h, mi, s, ns) =
        d.time.map_or((0, 0, 0, 0), |t| (t.hour, t.minute, t.second.unwrap_or(0), t.nanosecond.unwrap_or(0)));
    let mut out = format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}");
    if ns > 0 {
        let frac = format!("{ns:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    match d.offset {
        Some(Offset::Custom { minutes }) if minutes != 0 => {
            let sign = if minutes < 0 { '-' } else { '+' };
            let m = minutes.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
        }
        _ => out.push('Z'),
    }
    out
}

/// Parse a TOML document into one object.
pub fn parse(text: &str) -> Result<Node, Bad> {
    match DeTable::parse(text) {
        Ok(doc) => {
            let span = doc.span();
            table(doc.get_ref(), span.start, span.end.max(text.len()))
        }
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            Err(Bad::new(e.message().trim().to_string(), at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_spans() {
        let text = "title = \"x\"\n[server]\nport = 8080\nratio = 0.5\nwhen = 1979-05-27T07:32:00-08:00\nday = 1979-05-27\n[[rule]]\nname = \"a\"\n";
        let node = parse(text).expect("parses");
        let (v, spans) = super::super::finish(node, 100).expect("shallow");
        let j = serde_json::to_value(&v).expect("json");
        assert_eq!(j["server"]["port"], serde_json::json!(8080));
        assert_eq!(j["server"]["ratio"], serde_json::json!(0.5));
        assert_eq!(j["server"]["when"], serde_json::json!("1979-05-27T07:32:00-08:00"));
        assert_eq!(j["server"]["day"], serde_json::json!("1979-05-27T00:00:00Z"));
        assert_eq!(j["rule"][0]["name"], serde_json::json!("a"));
        let path = crate::manifest::span::parse_pointer("/server/port");
        let (entry, matched) = spans.resolve(&path).expect("resolves");
        assert_eq!(matched, 2);
        assert_eq!(spans.entries[entry].key as usize, text.find("port").expect("port"));
    }

    #[test]
    fn errors_have_a_place() {
        let bad = parse("a = 1\nb = \n").expect_err("invalid");
        assert!(bad.at >= 6, "{bad:?}");
        assert!(parse("a = 1\na = 2\n").is_err(), "a key defined twice");
    }
}
