//! CustomResourceDefinitions: one JSON Schema per served version from its `openAPIV3Schema`,
//! converted from Kubernetes' OpenAPI 3.0 dialect to JSON Schema 2020-12 the way the API server
//! reads it: `nullable`, `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`
//! (everything else is pruned, so in strict mode an unknown field is an error),
//! `x-kubernetes-embedded-resource`, boolean `exclusiveMinimum`/`exclusiveMaximum`, and the
//! standard `metadata` (ObjectMeta from the embedded definitions).

use serde_json::{json, Map, Value as Json};

use super::builtin::DEFINITIONS_ID;
use crate::error::SchemaError;

/// `$ref` to the embedded ObjectMeta.
pub fn object_meta_ref() -> String {
    format!("{DEFINITIONS_ID}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
}

/// One served version of a CRD.
#[derive(Debug, Clone)]
pub struct CrdVersion {
    pub api_version: String,
    pub kind: String,
    /// The converted schema (JSON Schema 2020-12).
    pub schema: Json,
}

/// Whether a document is a CustomResourceDefinition this module reads.
pub fn is_crd(api_version: &str, kind: &str) -> bool {
    kind == "CustomResourceDefinition"
        && matches!(api_version, "apiextensions.k8s.io/v1" | "apiextensions.k8s.io/v1beta1")
}

/// Whether the API server accepts `group` as a CRD's `spec.group`: a DNS-1123 subdomain (at most
/// 253 characters; labels of lower-case letters, digits and `-`, starting and ending with a letter
/// or digit) with at least one dot. The dotless groups (`apps`, `batch`, `policy`, the core group)
/// are Kubernetes' own: a CRD naming one is refused, so it can never change how their kinds read.
pub fn is_crd_group(group: &str) -> bool {
    let label = |l: &str| {
        let b = l.as_bytes();
        (1..=63).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    group.len() <= 253 && group.contains('.') && group.split('.').all(label)
}

/// Whether the API server accepts a `apiextensions.k8s.io/v1` CRD of `group` whose
/// `api-approved.kubernetes.io` annotation is `approval`: the groups `k8s.io`, `kubernetes.io`
/// and their subdomains belong to the Kubernetes project, and a CRD in one must say where its API
/// was approved (a URL with a scheme and a host) or start with `unapproved`
/// (apiextensions-apiserver's `GetAPIApprovalState`). `x-k8s.io` is not such a group.
pub fn is_approved(group: &str, approval: Option<&str>) -> bool {
    let protected = |domain: &str| group == domain || group.strip_suffix(domain).is_some_and(|g| g.ends_with('.'));
    if !protected("k8s.io") && !protected("kubernetes.io") {
        return true;
    }
    let a = approval.unwrap_or("");
    if a.starts_with("unapproved") {
        return true;
    }
    // An absolute URL with a host, as Go's `url.ParseRequestURI` reads one.
    let Some((scheme, rest)) = a.split_once("://") else { return false };
    let scheme_ok = scheme.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    scheme_ok && !host.is_empty() && !a.bytes().any(|c| c.is_ascii_control() || c == b' ')
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str()
}

/// The served versions of a CRD document, each with its converted schema. A version without a
/// schema accepts any object (as the API server does for v1beta1 CRDs without validation).
pub fn from_document(doc: &Json) -> Result<Vec<CrdVersion>, SchemaError> {
    let v1beta1 = doc.get("apiVersion").and_then(Json::as_str) == Some("apiextensions.k8s.io/v1beta1");
    let group = str_at(doc, &["spec", "group"]).ok_or(SchemaError::CrdMissing("spec.group"))?;
    if !is_crd_group(group) {
        return Err(SchemaError::CrdGroup(group.to_string()));
    }
    let kind = str_at(doc, &["spec", "names", "kind"]).ok_or(SchemaError::CrdMissing("spec.names.kind"))?;
    let spec = &doc["spec"];
    // v1beta1: pruning is off unless spec.preserveUnknownFields is false; a top-level schema applies
    // to every version.
    let prune = !v1beta1 || spec.get("preserveUnknownFields").and_then(Json::as_bool) == Some(false);
    let shared = spec.get("validation").and_then(|v| v.get("openAPIV3Schema"));
    let mut out = Vec::new();
    let mut push = |name: &str, schema: Option<&Json>| {
        let converted = match schema {
            Some(s) => convert_root(s, group, name, kind, prune),
            None => convert_root(
                &json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                group,
                name,
                kind,
                prune,
            ),
        };
        out.push(CrdVersion { api_version: format!("{group}/{name}"), kind: kind.to_string(), schema: converted });
    };
    match spec.get("versions").and_then(Json::as_array) {
        Some(versions) if !versions.is_empty() => {
            for v in versions {
                let Some(name) = v.get("name").and_then(Json::as_str) else { continue };
                if v.get("served").and_then(Json::as_bool) == Some(false) {
                    continue;
                }
                let schema = v.get("schema").and_then(|s| s.get("openAPIV3Schema")).or(shared);
                push(name, schema);
            }
        }
        _ => {
            let name = str_at(doc, &["spec", "version"]).ok_or(SchemaError::CrdMissing("spec.versions"))?;
            push(name, shared);
        }
    }
    Ok(out)
}

/// Convert a CRD's `openAPIV3Schema` for `group/version` `kind`: the converted body, plus
/// `apiVersion`, `kind` and the standard `metadata`.
pub fn convert_root(schema: &Json, group: &str, version: &str, kind: &str, prune: bool) -> Json {
    let mut root = convert(schema, prune, false);
    let Json::Object(obj) = &mut root else { return root };
    obj.entry("type").or_insert_with(|| json!("object"));
    let props = obj.entry("properties").or_insert_with(|| json!({}));
    if let Json::Object(props) = props {
        props.insert("apiVersion".into(), json!({"type": "string", "enum": [format!("{group}/{version}")]}));
        props.insert("kind".into(), json!({"type": "string", "enum": [kind]}));
        let meta = props.remove("metadata");
        props.insert("metadata".into(), metadata_schema(meta));
    }
    // A root that had no properties got some: it must still prune the rest when it did before.
    if prune && !obj.contains_key("additionalProperties") && !preserves(schema) {
        obj.insert("additionalProperties".into(), json!(false));
    }
    root
}

/// ObjectMeta, narrowed by what the CRD says about `metadata` (only `name`/`generateName`
/// restrictions are allowed there).
fn metadata_schema(crd_meta: Option<Json>) -> Json {
    let base = json!({"$ref": object_meta_ref()});
    match crd_meta {
        Some(Json::Object(mut m)) => {
            m.remove("type");
            m.remove("additionalProperties");
            if m.keys().all(|k| k == "type") || m.is_empty() {
                base
            } else {
                json!({"allOf": [base, Json::Object(m)]})
            }
        }
        _ => base,
    }
}

fn preserves(schema: &Json) -> bool {
    schema.get("x-kubernetes-preserve-unknown-fields").and_then(Json::as_bool) == Some(true)
}

/// Annotation keys that constrain nothing (or that JSON Schema cannot check offline).
const DROP: &[&str] = &[
    "description",
    "example",
    "externalDocs",
    "title",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
    "xml",
    "nullable",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "$schema",
    "id",
    "definitions",
    "dependencies",
    "additionalItems",
    "patternProperties",
];

/// Convert one node. `prune` adds `additionalProperties: false` to objects that do not preserve
/// unknown fields; `junctor` is set inside `allOf`/`anyOf`/`oneOf`/`not`, whose branches only
/// add value checks to the structural schema around them and must not prune.
pub fn convert(schema: &Json, prune: bool, junctor: bool) -> Json {
    let Json::Object(src) = schema else {
        return schema.clone();
    };
    let nullable = src.get("nullable").and_then(Json::as_bool) == Some(true);
    let int_or_string = src.get("x-kubernetes-int-or-string").and_then(Json::as_bool) == Some(true);
    let embedded = src.get("x-kubernetes-embedded-resource").and_then(Json::as_bool) == Some(true);
    let mut out = Map::new();
    for (k, v) in src {
        if DROP.contains(&k.as_str()) {
            continue;
        }
        match k.as_str() {
            "properties" => {
                let props: Map<String, Json> = v
                    .as_object()
                    .map(|m| m.iter().map(|(name, s)| (name.clone(), convert(s, prune, junctor))).collect())
                    .unwrap_or_default();
                out.insert(k.clone(), Json::Object(props));
            }
            "items" => {
                let items = match v {
                    // OpenAPI 3.0 allows only one schema; an array form is passed on as prefixItems.
                    Json::Array(a) => {
                        out.insert(
                            "prefixItems".into(),
                            Json::Array(a.iter().map(|s| convert(s, prune, junctor)).collect()),
                        );
                        continue;
                    }
                    s => convert(s, prune, junctor),
                };
                out.insert(k.clone(), items);
            }
            "additionalProperties" => {
                let ap = match v {
                    Json::Bool(b) => Json::Bool(*b),
                    s => convert(s, prune, junctor),
                };
                out.insert(k.clone(), ap);
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list =
                    v.as_array().map(|a| a.iter().map(|s| convert(s, prune, true)).collect()).unwrap_or_default();
                out.insert(k.clone(), Json::Array(list));
            }
            "not" => {
                out.insert(k.clone(), convert(v, prune, true));
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                // OpenAPI 3.0 (draft 4): a boolean that makes `minimum`/`maximum` exclusive.
                if let Json::Bool(b) = v {
                    let bound = if k == "exclusiveMinimum" { "minimum" } else { "maximum" };
                    if *b {
                        if let Some(n) = src.get(bound) {
                            out.insert(k.clone(), n.clone());
                        }
                    }
                } else {
                    out.insert(k.clone(), v.clone());
                }
            }
            "minimum" | "maximum" => {
                let ex = if k == "minimum" { "exclusiveMinimum" } else { "exclusiveMaximum" };
                if src.get(ex).and_then(Json::as_bool) != Some(true) {
                    out.insert(k.clone(), v.clone());
                }
            }
            "enum" if nullable => {
                let mut e = v.as_array().cloned().unwrap_or_default();
                if !e.contains(&Json::Null) {
                    e.push(Json::Null);
                }
                out.insert(k.clone(), Json::Array(e));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if int_or_string {
        // The declared type (if any) is replaced by "integer or string".
        out.remove("type");
        let mut branches = vec![json!({"type": "integer"}), json!({"type": "string"})];
        if nullable {
            branches.push(json!({"type": "null"}));
        }
        if let Some(existing) = out.remove("anyOf") {
            let all = out.entry("allOf").or_insert_with(|| json!([]));
            if let Json::Array(a) = all {
                a.push(json!({"anyOf": existing}));
            }
        }
        out.insert("anyOf".into(), Json::Array(branches));
    } else if nullable {
        if let Some(Json::String(t)) = out.get("type").cloned() {
            out.insert("type".into(), json!([t, "null"]));
        }
    }
    if embedded {
        let props = out.entry("properties").or_insert_with(|| json!({}));
        if let Json::Object(p) = props {
            p.entry("apiVersion").or_insert_with(|| json!({"type": "string"}));
            p.entry("kind").or_insert_with(|| json!({"type": "string"}));
            let meta = p.remove("metadata");
            p.insert("metadata".into(), metadata_schema(meta));
        }
    }
    let is_object =
        out.get("type").is_some_and(|t| t == "object" || t.as_array().is_some_and(|a| a.contains(&json!("object"))))
            || out.contains_key("properties");
    if prune && !junctor && is_object && !out.contains_key("additionalProperties") && !preserves(schema) {
        out.insert("additionalProperties".into(), json!(false));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_and_int_or_string() {
        let s = convert(&json!({"type": "string", "nullable": true, "enum": ["a"]}), true, false);
        assert_eq!(s, json!({"type": ["string", "null"], "enum": ["a", null]}));
        let s = convert(&json!({"x-kubernetes-int-or-string": true, "description": "port"}), true, false);
        assert_eq!(s, json!({"anyOf": [{"type": "integer"}, {"type": "string"}]}));
        let s = convert(
            &json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}], "pattern": "^\\d+%$"}),
            true,
            false,
        );
        assert_eq!(s["anyOf"], json!([{"type": "integer"}, {"type": "string"}]));
        assert_eq!(s["allOf"][0]["anyOf"], json!([{"type": "integer"}, {"type": "string"}]));
        assert_eq!(s["pattern"], "^\\d+%$");
    }

    #[test]
    fn pruning_and_preserve_unknown_fields() {
        let s = convert(
            &json!({"type": "object", "properties": {
                "a": {"type": "object", "properties": {"b": {"type": "string"}}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "map": {"type": "object", "additionalProperties": {"type": "string"}},
                "empty": {"type": "object"},
                "one": {"type": "object", "properties": {"x": {"type": "string"}},
                        "oneOf": [{"required": ["x"]}, {"properties": {"x": {"minLength": 2}}}]}
            }}),
            true,
            false,
        );
        let p = &s["properties"];
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(p["a"]["additionalProperties"], false);
        assert!(p["free"].get("additionalProperties").is_none());
        assert_eq!(p["map"]["additionalProperties"], json!({"type": "string"}));
        assert_eq!(p["empty"]["additionalProperties"], false, "an object without fields prunes every field");
        assert!(p["one"]["oneOf"][1].get("additionalProperties").is_none(), "junctors only add value checks");
        // v1beta1 without preserveUnknownFields: false does not prune.
        let s = convert(&json!({"type": "object", "properties": {"a": {"type": "string"}}}), false, false);
        assert!(s.get("additionalProperties").is_none());
    }

    #[test]
    fn exclusive_bounds_and_embedded_resources() {
        let s = convert(&json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 9}), true, false);
        assert_eq!(s, json!({"type": "integer", "exclusiveMinimum": 0, "maximum": 9}));
        let s = convert(
            &json!({"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}),
            true,
            false,
        );
        assert_eq!(s["properties"]["metadata"]["$ref"], object_meta_ref());
        assert_eq!(s["properties"]["kind"]["type"], "string");
        assert!(s.get("additionalProperties").is_none());
    }

    #[test]
    fn crd_document_versions() {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {
                            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
                            "spec": {"type": "object", "required": ["size"], "properties": {"size": {"type": "integer"}}}}}}},
                    {"name": "v1alpha1", "served": false, "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}}
                ]}
        });
        let vs = from_document(&crd).unwrap();
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].api_version, "example.com/v1");
        assert_eq!(vs[0].kind, "Widget");
        let s = &vs[0].schema;
        assert_eq!(s["properties"]["apiVersion"]["enum"], json!(["example.com/v1"]));
        assert_eq!(s["properties"]["metadata"]["allOf"][0]["$ref"], object_meta_ref());
        assert_eq!(s["properties"]["metadata"]["allOf"][1]["properties"]["name"]["maxLength"], 10);
        assert_eq!(s["properties"]["spec"]["additionalProperties"], false);
        assert_eq!(s["additionalProperties"], false);
        assert!(from_document(&json!({"spec": {}})).is_err());
        // v1beta1 with a top-level validation block, pruning off by default.
        let old = json!({"apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
            "spec": {"group": "example.com", "version": "v1", "names": {"kind": "Old"},
                     "validation": {"openAPIV3Schema": {"properties": {"spec": {"properties": {"a": {"type": "string"}}}}}}}});
        let vs = from_document(&old).unwrap();
        assert_eq!(vs[0].api_version, "example.com/v1");
        assert!(vs[0].schema["properties"]["spec"].get("additionalProperties").is_none());
    }
}
