//! conftest's helper builtins for policies and their tests: `parse_config`, `parse_config_file`
//! and `parse_combined_config_files`, read with tollgate's own loader (Kubernetes typing).

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Result};
use regorus::{Engine, Value};

use crate::manifest::{self, Limits};
use crate::source::SourceFile;

/// Parse `content` as the format `parser` names (yaml, yml, json); multi-document YAML gives an
/// array of documents, one document gives the document.
fn parse(parser: &str, name: &str, content: Vec<u8>) -> Result<Value> {
    let ext = match parser.to_ascii_lowercase().as_str() {
        "yaml" | "yml" => "yaml",
        "json" => "json",
        other => bail!("parse_config: unsupported parser `{other}` (yaml, json)"),
    };
    let loaded = manifest::load(
        &SourceFile { path: format!("{name}.{ext}"), bytes: content, too_large: None },
        &Limits { lint_ambiguous: false, ..Default::default() },
    );
    if let Some(e) = loaded.findings.iter().find(|f| f.severity == crate::finding::Severity::Error) {
        let at = e.region.map(|r| format!(":{}:{}", r.line, r.column)).unwrap_or_default();
        bail!("{name}{at}: {}", e.message);
    }
    let mut docs: Vec<Value> = loaded.docs.into_iter().map(|d| d.value).collect();
    Ok(match docs.len() {
        0 => Value::Null,
        1 => docs.remove(0),
        _ => Value::from(docs),
    })
}

fn string_arg(args: &[Value], i: usize, f: &str) -> Result<String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.to_string()),
        _ => Err(anyhow!("{f}: argument {} must be a string", i + 1)),
    }
}

fn parser_for(path: &str) -> &'static str {
    if path.to_ascii_lowercase().ends_with(".json") {
        "json"
    } else {
        "yaml"
    }
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow!("{path}: {e}"))
}

/// The names [`register`] adds (a call to one of them is not an undefined function).
pub const EXTENSIONS: &[&str] = &["parse_config", "parse_config_file", "parse_combined_config_files"];

/// Register the helpers on an engine.
pub fn register(engine: &mut Engine) -> Result<()> {
    engine.add_extension(
        "parse_config".into(),
        2,
        Box::new(|args: Vec<Value>| {
            let parser = string_arg(&args, 0, "parse_config")?;
            let content = string_arg(&args, 1, "parse_config")?;
            parse(&parser, "<parse_config>", content.into_bytes())
        }),
    )?;
    engine.add_extension(
        "parse_config_file".into(),
        1,
        Box::new(|args: Vec<Value>| {
            let path = string_arg(&args, 0, "parse_config_file")?;
            parse(parser_for(&path), &path, read(&path)?)
        }),
    )?;
    engine.add_extension(
        "parse_combined_config_files".into(),
        1,
        Box::new(|args: Vec<Value>| {
            let Some(Value::Array(paths)) = args.first() else {
                bail!("parse_combined_config_files: argument 1 must be an array of paths");
            };
            let mut out = Vec::new();
            for p in paths.iter() {
                let Value::String(path) = p else {
                    bail!("parse_combined_config_files: paths must be strings");
                };
                let mut m = BTreeMap::new();
                m.insert(Value::from("path"), Value::from(path.as_ref()));
                m.insert(Value::from("contents"), parse(parser_for(path), path, read(path)?)?);
                out.push(Value::from(m));
            }
            Ok(Value::from(out))
        }),
    )?;
    Ok(())
}
