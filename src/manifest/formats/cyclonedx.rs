//! CycloneDX SBOMs (`--parser cyclonedx`, `*.cyclonedx`) as conftest gives them to policies: a
//! JSON BOM is its own JSON (conftest decodes it into cyclonedx-go's model only to refuse what the
//! model cannot hold, then hands policies the file as written), read by tollgate's JSON parser so
//! every node keeps its place. The checks here are those of cyclonedx-go's decoder on the fields
//! of the BOM itself. An XML BOM (the file's first character `<`) is read by [`cyclonedx_xml`].

use regorus::Value;

use super::super::span::parse_pointer;
use super::super::{json, Limits, ParsedStream, RawDoc};
use super::cyclonedx_xml;
use crate::source::format::Format;

const RULE: &str = "parse/invalid-cyclonedx";
/// A part of an XML BOM tollgate does not read (see [`cyclonedx_xml`]).
const UNSUPPORTED_RULE: &str = "parse/unsupported-cyclonedx";

/// The spec versions cyclonedx-go's `SpecVersion` accepts; any other is its error.
const SPEC_VERSIONS: &[&str] = &["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"];

/// Members of a BOM whose type cyclonedx-go fixes: an other type is its decoding error.
const ARRAYS: &[&str] = &[
    "components",
    "services",
    "externalReferences",
    "dependencies",
    "compositions",
    "properties",
    "vulnerabilities",
    "annotations",
    "formulation",
    "definitions",
];

/// Parse a CycloneDX BOM.
pub fn parse(text: &str, limits: &Limits) -> ParsedStream {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.starts_with('<') {
        let parsed = cyclonedx_xml::parse(text, limits.max_depth);
        let rule = match &parsed {
            Err(bad) if bad.message.starts_with(cyclonedx_xml::UNSUPPORTED) => UNSUPPORTED_RULE,
            _ => RULE,
        };
        return super::stream(Format::CycloneDx, rule, parsed, text, limits);
    }
    let mut parsed = json::parse(text, limits);
    for issue in &mut parsed.issues {
        if issue.rule == "parse/invalid-json" {
            issue.rule = RULE;
            if let Some(rest) = issue.message.strip_prefix("invalid JSON: ") {
                issue.message = format!("invalid cyclonedx: {rest}");
            }
        }
    }
    if parsed.fatal {
        return parsed;
    }
    if let Some(doc) = parsed.docs.first() {
        if let Err((message, at)) = check(doc) {
            return super::failed(RULE, format!("invalid cyclonedx: {message}"), text, at);
        }
    }
    parsed
}

/// What cyclonedx-go's decoder refuses in the BOM's own fields, with the byte of the value.
fn check(doc: &RawDoc) -> Result<(), (String, usize)> {
    let at = |key: &str| {
        doc.spans.resolve(&parse_pointer(&format!("/{key}"))).map_or(0, |(e, _)| doc.spans.entries[e].start as usize)
    };
    let Value::Object(bom) = &doc.value else {
        return Err(("a BOM is a JSON object".into(), at("")));
    };
    let field = |k: &str| bom.get(&Value::from(k)).filter(|v| !matches!(v, Value::Null));
    if let Some(v) = field("specVersion") {
        let known = v.as_string().is_ok_and(|s| SPEC_VERSIONS.contains(&s.as_ref()));
        if !known {
            return Err((
                format!("invalid specification version {v} (known: {})", SPEC_VERSIONS.join(", ")),
                at("specVersion"),
            ));
        }
    }
    for key in ["bomFormat", "serialNumber", "$schema"] {
        if field(key).is_some_and(|v| !matches!(v, Value::String(_))) {
            return Err((format!("`{key}` is not a string"), at(key)));
        }
    }
    if let Some(v) = field("version") {
        let int = matches!(v, Value::Number(n) if n.as_i64().is_some());
        if !int {
            return Err((format!("`version` is not an integer: {v}"), at("version")));
        }
    }
    if field("metadata").is_some_and(|v| !matches!(v, Value::Object(_))) {
        return Err(("`metadata` is not an object".into(), at("metadata")));
    }
    for key in ARRAYS {
        let Some(v) = field(key) else { continue };
        let Value::Array(items) = v else {
            return Err((format!("`{key}` is not an array"), at(key)));
        };
        if let Some(i) = items.iter().position(|x| !matches!(x, Value::Object(_) | Value::Null)) {
            return Err((format!("`{key}` item {i} is not an object"), at(&format!("{key}/{i}"))));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(text: &str) -> Option<String> {
        parse(text, &Limits::default()).issues.first().map(|i| format!("{}:{}: {}", i.at.line, i.at.col, i.message))
    }

    #[test]
    fn a_json_bom_as_written_and_what_cyclonedx_go_refuses() {
        let bom = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"version\": 1, \"components\": [{\"name\": \"a\"}]}";
        let parsed = parse(bom, &Limits::default());
        assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
        assert_eq!(serde_json::to_value(&parsed.docs[0].value).expect("json")["components"][0]["name"], "a");
        assert_eq!(issue("{\n \"specVersion\": \"2.0\"}").as_deref(), Some("2:16: invalid cyclonedx: invalid specification version \"2.0\" (known: 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7)"));
        assert!(issue("{\"version\": 1.5}").is_some_and(|m| m.contains("not an integer")));
        assert!(issue("{\"components\": {}}").is_some_and(|m| m.contains("not an array")));
        assert!(issue("{\"components\": [1]}").is_some_and(|m| m.contains("item 0")));
        assert!(issue("[]").is_some_and(|m| m.contains("JSON object")));
        assert!(
            issue("<bom version=\"x\"/>").is_some_and(|m| m.starts_with("1:14: invalid cyclonedx: strconv.ParseInt"))
        );
        assert!(issue("{\"a\": }").is_some_and(|m| m.starts_with("1:6: invalid cyclonedx:")));
    }
}
