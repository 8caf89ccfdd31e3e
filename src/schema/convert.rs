//! Documents as the validator sees them: a regorus `Value` turned into a `serde_json::Value`,
//! with `null` members dropped (the API server decodes `field: null` as an absent field, so a
//! `null` is never a type error, and a required field that is `null` is missing). Validation
//! reads documents in place (`instance`), by these same rules; this copy is for the CRDs, the
//! values an error message shows, and the tests that hold the two to each other.

use regorus::Value;
use serde_json::{Map, Number, Value as Json};

/// Convert a document. Sets become arrays; `undefined` becomes null.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Null | Value::Undefined => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(_) => number(v).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.to_string()),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Set(s) => Json::Array(s.iter().map(to_json).collect()),
        Value::Object(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, v) in o.iter() {
                if is_absent(v) {
                    continue;
                }
                m.insert(key_text(k), to_json(v));
            }
            Json::Object(m)
        }
    }
}

/// Whether an object member with this value is no member to the validator.
pub(super) fn is_absent(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Undefined)
}

/// An object key as JSON names it (only regorus values built by hand have keys no string).
pub(super) fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// The JSON number of a regorus number; `None` (read as null) for a non-number, a float that is
/// not finite, or a big integer serde_json cannot hold.
pub(super) fn number(v: &Value) -> Option<Number> {
    let Value::Number(n) = v else { return None };
    // (regorus does not export its number type; whole floats read as integers here.)
    if let Some(u) = n.as_u64() {
        Some(u.into())
    } else if let Some(i) = n.as_i64() {
        Some(i.into())
    } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()).and_then(Number::from_f64) {
        Some(f)
    } else {
        // A big integer beyond 64 bits: its digits, when serde_json can hold them.
        match serde_json::from_str(&n.format_decimal()) {
            Ok(Json::Number(n)) => Some(n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_dropped_numbers_kept() {
        let v = Value::from_json_str(r#"{"a": null, "b": [null, 1, -2, 1.5], "c": {"d": null, "e": "x"}, "f": 3.5}"#)
            .unwrap();
        let j = to_json(&v);
        assert_eq!(j, serde_json::json!({"b": [null, 1, -2, 1.5], "c": {"e": "x"}, "f": 3.5}));
    }
}
