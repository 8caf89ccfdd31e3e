//! Validation errors in words a person understands, each at the node that is wrong: an unknown
//! field at its key (with "did you mean"), a missing required field at its parent, a wrong type
//! or a bad value at the value.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, ValidationError};
use serde_json::Value as Json;

use crate::manifest::span::PathSeg;

pub const UNKNOWN_FIELD: &str = "schema/unknown-field";
pub const WRONG_TYPE: &str = "schema/wrong-type";
pub const MISSING_REQUIRED: &str = "schema/missing-required";
pub const INVALID_VALUE: &str = "schema/invalid-value";

/// One problem, before it is located in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub rule: &'static str,
    /// Path of the node the problem is at (relative to the document).
    pub path: Vec<PathSeg>,
    pub message: String,
    pub help: Option<String>,
}

/// What the messages need to know besides the error.
pub struct Ctx<'a> {
    /// `Deployment apps/v1`: names the document root in messages.
    pub label: &'a str,
    /// The schema object that holds the keyword at an absolute keyword location (`uri#/pointer`
    /// of the keyword), when it can be found.
    pub schema_at: &'a dyn Fn(&str) -> Option<&'a Json>,
}

fn instance_path(e: &ValidationError<'_>) -> Vec<PathSeg> {
    e.instance_path()
        .iter()
        .map(|s| match s {
            LocationSegment::Property(p) => PathSeg::Key(p.to_string()),
            LocationSegment::Index(i) => PathSeg::Index(i as u64),
        })
        .collect()
}

/// `spec.template.spec.containers[0]`, `metadata.annotations["example.com/x"]`.
pub fn human_path(path: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Index(i) => s.push_str(&format!("[{i}]")),
            PathSeg::Key(k) => {
                let plain =
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
                if plain {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                } else {
                    s.push_str(&format!("[{}]", Json::String(k.clone())));
                }
            }
        }
    }
    s
}

/// A value for a message: strings quoted, long ones cut, containers named.
fn show(v: &Json) -> String {
    match v {
        Json::Object(_) => "an object".into(),
        Json::Array(_) => "an array".into(),
        Json::String(s) => {
            let cut: String = s.chars().take(60).collect();
            let more = if cut.len() < s.len() { "…" } else { "" };
            format!("{}{more}", Json::String(cut))
        }
        other => other.to_string(),
    }
}

fn found(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("boolean {b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(_) => format!("string {}", show(v)),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "array",
        JsonType::Boolean => "boolean",
        JsonType::Integer => "integer",
        JsonType::Null => "null",
        JsonType::Number => "number",
        JsonType::Object => "object",
        JsonType::String => "string",
    }
}

fn types_of(kind: &TypeKind) -> Vec<&'static str> {
    let all: Vec<JsonType> = match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().collect(),
    };
    // Every type of the Kubernetes schemas is nullable; `null` is never what was meant.
    let mut out: Vec<&str> = all.into_iter().filter(|t| *t != JsonType::Null).map(type_name).collect();
    if out.is_empty() {
        out.push("null");
    }
    out
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The closest candidate within a few edits of `word`.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (crate::text::edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// `uri#/pointer/keyword` → `uri#/pointer` (the schema object holding the keyword).
fn parent_location(loc: &str) -> Option<&str> {
    let (_, frag) = loc.split_once('#')?;
    let cut = frag.rfind('/')?;
    Some(&loc[..loc.len() - frag.len() + cut])
}

fn where_(ctx: &Ctx<'_>, path: &[PathSeg]) -> String {
    if path.is_empty() {
        ctx.label.to_string()
    } else {
        human_path(path)
    }
}

fn at(path: &[PathSeg]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{}: ", human_path(path))
    }
}

/// If every branch of an `anyOf`/`oneOf` failed on the type of this very node, the types the
/// branches wanted.
fn branch_types(e: &ValidationError<'_>, context: &[Vec<ValidationError<'static>>]) -> Option<Vec<&'static str>> {
    let here = e.instance_path().as_str().to_string();
    let mut out = Vec::new();
    for branch in context {
        let [only] = branch.as_slice() else { return None };
        if only.instance_path().as_str() != here {
            return None;
        }
        let ValidationErrorKind::Type { kind } = only.kind() else { return None };
        for t in types_of(kind) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The issues one validation error stands for (an unknown-fields error names several fields).
pub fn describe(e: &ValidationError<'_>, ctx: &Ctx<'_>) -> Vec<Issue> {
    let path = instance_path(e);
    let instance: &Json = e.instance();
    let issue = |rule, path: Vec<PathSeg>, message: String, help: Option<String>| Issue { rule, path, message, help };
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let holder = e
                .absolute_keyword_location()
                .and_then(|u| parent_location(u.as_str()).and_then(|p| (ctx.schema_at)(p)));
            let known: Vec<&str> = holder
                .and_then(|s| s.get("properties"))
                .and_then(Json::as_object)
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|name| {
                    let hint = suggest(name, known.iter().copied())
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    let mut p = path.clone();
                    p.push(PathSeg::Key(name.clone()));
                    let help = if known.is_empty() {
                        "remove the field (it is not part of the schema; --no-strict allows unknown fields)".to_string()
                    } else {
                        let mut k = known.clone();
                        k.sort_unstable();
                        let list = if k.len() > 15 { format!("{}, …", k[..15].join(", ")) } else { k.join(", ") };
                        format!("known fields here: {list}")
                    };
                    issue(
                        UNKNOWN_FIELD,
                        p,
                        format!("unknown field `{name}` in {}{hint}", where_(ctx, &path)),
                        Some(help),
                    )
                })
                .collect()
        }
        ValidationErrorKind::FalseSchema => {
            let name = match path.last() {
                Some(PathSeg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            let parent = &path[..path.len().saturating_sub(1)];
            vec![issue(
                UNKNOWN_FIELD,
                path.clone(),
                format!("field `{name}` is not allowed in {}", where_(ctx, parent)),
                None,
            )]
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().map(str::to_string).unwrap_or_else(|| property.to_string());
            vec![issue(
                MISSING_REQUIRED,
                path.clone(),
                format!("missing required field `{name}` in {}", where_(ctx, &path)),
                Some(format!("add `{name}`")),
            )]
        }
        ValidationErrorKind::Type { kind } => {
            let want = types_of(kind);
            vec![issue(
                WRONG_TYPE,
                path.clone(),
                format!("{}expected {}, found {}", at(&path), join_or(&want), found(instance)),
                None,
            )]
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            if let Some(want) = branch_types(e, context) {
                return vec![issue(
                    WRONG_TYPE,
                    path.clone(),
                    format!("{}expected {}, found {}", at(&path), join_or(&want), found(instance)),
                    None,
                )];
            }
            // Otherwise the most specific branch: the one that failed deepest.
            let best = context.iter().min_by_key(|b| b.len()).filter(|b| !b.is_empty());
            let detail = best
                .and_then(|b| b.first())
                .map(|inner| describe(inner, ctx))
                .and_then(|v| v.into_iter().next())
                .map(|i| format!(" (closest: {})", i.message))
                .unwrap_or_default();
            vec![issue(
                INVALID_VALUE,
                path.clone(),
                format!("{}{} matches none of the allowed forms{detail}", at(&path), show(instance)),
                None,
            )]
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<&Json> =
                options.as_array().map(|a| a.iter().filter(|o| !o.is_null()).collect()).unwrap_or_default();
            let shown: Vec<String> = opts.iter().take(12).map(|o| show(o)).collect();
            let more = if opts.len() > 12 { ", …" } else { "" };
            let hint = instance
                .as_str()
                .and_then(|s| suggest(s, opts.iter().filter_map(|o| o.as_str())))
                .map(|s| format!(" (did you mean {}?)", Json::String(s.to_string())))
                .unwrap_or_default();
            let msg = if shown.len() == 1 {
                format!("{}{} must be {}{hint}", at(&path), show(instance), shown[0])
            } else {
                format!("{}{} is not one of {}{more}{hint}", at(&path), show(instance), shown.join(", "))
            };
            vec![issue(INVALID_VALUE, path.clone(), msg, None)]
        }
        ValidationErrorKind::Constant { expected_value } => {
            vec![issue(
                INVALID_VALUE,
                path.clone(),
                format!("{}{} must be {}", at(&path), show(instance), show(expected_value)),
                None,
            )]
        }
        ValidationErrorKind::Format { format } => {
            let what = match format.as_str() {
                "byte" => "base64 data (format byte)".to_string(),
                "date-time" => "an RFC 3339 date-time such as 2024-01-31T12:00:00Z".to_string(),
                other => format!("in format `{other}`"),
            };
            vec![issue(INVALID_VALUE, path.clone(), format!("{}{} is not {what}", at(&path), show(instance)), None)]
        }
        ValidationErrorKind::Pattern { pattern } => {
            vec![issue(
                INVALID_VALUE,
                path.clone(),
                format!("{}{} does not match the pattern `{pattern}`", at(&path), show(instance)),
                None,
            )]
        }
        _ => vec![issue(INVALID_VALUE, path.clone(), format!("{}{e}", at(&path)), None)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_suggestions() {
        let p = vec![
            PathSeg::Key("spec".into()),
            PathSeg::Key("containers".into()),
            PathSeg::Index(0),
            PathSeg::Key("a.b/c".into()),
        ];
        assert_eq!(human_path(&p), r#"spec.containers[0]["a.b/c"]"#);
        assert_eq!(suggest("spce", ["spec", "status", "metadata"]), Some("spec"));
        assert_eq!(suggest("imagePulPolicy", ["image", "imagePullPolicy"]), Some("imagePullPolicy"));
        assert_eq!(suggest("Replicas", ["replicas"]), Some("replicas"));
        assert_eq!(suggest("zzz", ["spec"]), None);
        assert_eq!(parent_location("u#/$defs/X/additionalProperties"), Some("u#/$defs/X"));
    }
}
