//! `file-schemas`: JSON Schemas for files that are not Kubernetes objects (GitHub workflows,
//! docker-compose files, …), chosen by globs over repo-relative paths. The documents of a
//! matching file are validated against that schema instead of being read as Kubernetes objects,
//! with the same located messages; the schemas are compiled once, before any file is read.

use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use jsonschema::Validator;
use serde_json::Value as Json;

use super::instance::Doc;
use crate::error::FileSchemaError;

/// One compiled `file-schemas` entry.
pub struct FileSchema {
    /// The schema file as configured (repo-relative), for messages.
    pub schema_path: String,
    globs: GlobSet,
    pub(crate) validator: Validator<Doc>,
    /// The schema document and the URI its keyword locations start with.
    pub(crate) root: Arc<Json>,
    pub(crate) base: String,
}

impl std::fmt::Debug for FileSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSchema").field("schema_path", &self.schema_path).finish()
    }
}

impl FileSchema {
    /// Compile the schema `text` (JSON, or YAML for a `.yaml`/`.yml` file) read from
    /// `schema_path`, for the files matching `globs`. The error says what is wrong, naming the
    /// schema file.
    pub fn new(globs: &[String], schema_path: &str, text: &[u8]) -> Result<FileSchema, FileSchemaError> {
        let globs = glob_set(globs)?;
        let schema = parse_schema(schema_path, text)?;
        let id = schema.get("$id").and_then(Json::as_str).map(|s| s.trim_end_matches('#').to_string());
        let base = id.unwrap_or_else(|| format!("tollgate:///file-schemas/{}", schema_path.trim_start_matches('/')));
        // The draft comes from `$schema` (2020-12 when absent); `$ref`s to other files or URLs are
        // not followed.
        let validator = jsonschema::options_for::<Doc>()
            .offline()
            .should_ignore_unknown_formats(true)
            .with_base_uri(base.clone())
            .build(&schema)
            .map_err(|e| {
                let at = e.instance_path().as_str().to_string();
                let at = if at.is_empty() { String::new() } else { format!(" (at {at})") };
                let hint = if e.to_string().contains("not present in a registry") {
                    "; `$ref`s to other files or URLs are not followed: bundle the definitions into the one file"
                } else {
                    ""
                };
                FileSchemaError::Unusable { path: schema_path.to_string(), message: format!("{e}{at}{hint}") }
            })?;
        Ok(FileSchema { schema_path: schema_path.to_string(), globs, validator, root: Arc::new(schema), base })
    }

    /// Whether the repo-relative `path` is one of this entry's files.
    pub fn matches(&self, path: &str) -> bool {
        self.globs.is_match(path)
    }
}

/// Globs over the whole repo-relative path (`*` stays within one directory, `**` crosses them); a
/// glob without `/` also matches the file name in any directory.
pub(crate) fn glob_set(globs: &[String]) -> Result<GlobSet, FileSchemaError> {
    let glob = |g: &str| {
        GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|source| FileSchemaError::Glob { glob: g.to_string(), source })
    };
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let g = g.trim_start_matches("./");
        b.add(glob(g)?);
        if !g.contains('/') {
            b.add(glob(&format!("**/{g}"))?);
        }
    }
    b.build().map_err(FileSchemaError::Globs)
}

fn parse_schema(path: &str, text: &[u8]) -> Result<Json, FileSchemaError> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        let file = crate::source::SourceFile { path: path.to_string(), bytes: text.to_vec(), too_large: None };
        let limits = crate::manifest::Limits::for_non_kubernetes();
        let docs = crate::manifest::load_strict(&file, &limits).map_err(|e| FileSchemaError::Yaml(Box::new(e)))?;
        return match docs.as_slice() {
            [one] => Ok(super::to_json(&one.value)),
            _ => Err(FileSchemaError::NotOneDocument { path: path.to_string() }),
        };
    }
    let text = std::str::from_utf8(text).map_err(|_| FileSchemaError::NotUtf8 { path: path.to_string() })?;
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|source| FileSchemaError::NotJson { path: path.to_string(), source })
}

#[cfg(test)]
mod tests {
    use regorus::Value;

    use super::super::instance::At;
    use super::*;

    #[test]
    fn compile_and_match() {
        let s = FileSchema::new(
            &[".github/workflows/*.yml".into(), "docker-compose*.yml".into()],
            "schemas/w.json",
            br#"{"type": "object", "required": ["on"]}"#,
        )
        .unwrap();
        assert!(s.matches(".github/workflows/ci.yml"));
        assert!(s.matches("deploy/docker-compose.prod.yml"));
        assert!(!s.matches(".github/workflows/sub/ci.yml"));
        assert!(!s.matches("apps/ci.yml"));
        let valid = |s: &FileSchema, json: &str| s.validator.is_valid(At::root(&Value::from_json_str(json).unwrap()));
        assert!(valid(&s, r#"{"on": "push"}"#));
        assert!(!valid(&s, r#"{"jobs": {}}"#));

        let e = FileSchema::new(&["a.yml".into()], "s.json", b"{not json").unwrap_err();
        assert!(matches!(e, FileSchemaError::NotJson { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.starts_with("schema s.json: not JSON"), "{e}");
        let e = FileSchema::new(&["a.yml".into()], "s.json", br#"{"type": "strnig"}"#).unwrap_err().to_string();
        assert!(e.contains("s.json is not a usable JSON Schema") && e.ends_with("(at /type)"), "{e}");
        let e = FileSchema::new(&["a.yml".into()], "s.json", br#"{"$ref": "other.json#/x"}"#).unwrap_err().to_string();
        assert!(e.contains("s.json") && e.contains("are not followed"), "{e}");
        let y =
            FileSchema::new(&["a.yml".into()], "s.yaml", b"type: object\nproperties:\n  n: {type: integer}\n").unwrap();
        assert!(!valid(&y, r#"{"n": "x"}"#));
        assert!(FileSchema::new(&["[".into()], "s.json", b"{}").is_err());
    }
}
