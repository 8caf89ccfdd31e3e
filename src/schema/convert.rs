//! Documents as the validator sees them: a regorus `Value` turned into a `serde_json::Value`,
//! with `null` members dropped (the API server decodes `field: null` as an absent field, so a
//! `null` is never a type error, and a required field that is `null` is missing).

use regorus::Value;
use serde_json::{Map, Number, Value as Json};

/// Convert a document. Sets become arrays; `undefined` becomes null.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Null | Value::Undefined => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            // (regorus does not export its number type; whole floats read as integers here.)
            if let Some(u) = n.as_u64() {
                Json::Number(u.into())
            } else if let Some(i) = n.as_i64() {
                Json::Number(i.into())
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()).and_then(Number::from_f64) {
                Json::Number(f)
            } else {
                // A big integer beyond 64 bits: its digits, when serde_json can hold them.
                serde_json::from_str(&n.format_decimal()).unwrap_or(Json::Null)
            }
        }
        Value::String(s) => Json::String(s.to_string()),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Set(s) => Json::Array(s.iter().map(to_json).collect()),
        Value::Object(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, v) in o.iter() {
                if matches!(v, Value::Null | Value::Undefined) {
                    continue;
                }
                let key = match k {
                    Value::String(s) => s.to_string(),
                    other => other.to_string(),
                };
                m.insert(key, to_json(v));
            }
            Json::Object(m)
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
