//! conftest's helper builtins for policies and their tests: `parse_config`, `parse_config_file`
//! and `parse_combined_config_files`, read with tollgate's own loader (Kubernetes typing).
//!
//! A policy may come from the checked repository, so the files these read are confined (see
//! [`Scope`]): a path that leaves the repository and the policy directories is a runtime error
//! naming it, never a read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

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

/// Where `parse_config_file` and `parse_combined_config_files` read: files inside the repository
/// (never in its git directory) or under a policy directory named on the command line, never
/// through a symbolic link that leaves them. In PR mode the repository's files come from the
/// commit the gate is read from (the merge-base), like the policies themselves.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Relative paths are resolved against it (the current directory, as conftest does).
    pub cwd: PathBuf,
    pub jail: Arc<crate::confine::Jail>,
    /// `-p` directories (a file's parent), resolved: a policy library outside the repository may
    /// read its own files.
    pub policy_dirs: Vec<PathBuf>,
    /// PR mode: the commit the repository's files are read from.
    pub commit: Option<String>,
    /// Largest file read.
    pub max_bytes: u64,
}

/// The scope engines built from now on use (`None`: the repository of the current directory).
static SCOPE: RwLock<Option<Arc<Scope>>> = RwLock::new(None);

/// Set the scope of the engines built from now on (an engine keeps the scope it was built with).
pub fn set_scope(scope: Scope) {
    if let Ok(mut s) = SCOPE.write() {
        *s = Some(Arc::new(scope));
    }
}

fn current_scope() -> Arc<Scope> {
    if let Some(s) = SCOPE.read().ok().and_then(|s| s.clone()) {
        return s;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = crate::source::git::find_repo_root(&cwd).unwrap_or_else(|| cwd.clone());
    Arc::new(Scope {
        jail: Arc::new(crate::confine::Jail::new(&root)),
        cwd,
        policy_dirs: Vec::new(),
        commit: None,
        max_bytes: 10 << 20,
    })
}

impl Scope {
    /// The content of the file `path` names, or why it is not read.
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        let abs = crate::confine::normalize(&self.cwd.join(path));
        let jail = &self.jail;
        if let Some(commit) = &self.commit {
            let rel = [jail.root().to_path_buf(), jail.root().canonicalize().unwrap_or_default()]
                .iter()
                .find_map(|r| abs.strip_prefix(r).ok().map(Path::to_path_buf));
            if let Some(rel) = rel {
                if rel.components().any(|c| c.as_os_str().eq_ignore_ascii_case(".git")) {
                    bail!("{path}: not read: it is inside the git directory");
                }
                let rel = rel.to_string_lossy().replace('\\', "/");
                return match crate::source::git::read_blob_at(jail.root(), commit, &rel) {
                    Ok(Some(b)) if b.len() as u64 > self.max_bytes => {
                        bail!("{path}: not read: larger than {} bytes", self.max_bytes)
                    }
                    Ok(Some(b)) => Ok(b),
                    Ok(None) => bail!("{path}: no such file in the commit the gate is read from ({commit})"),
                    Err(e) => bail!("{path}: {e}"),
                };
            }
        }
        let real = abs.canonicalize().map_err(|e| anyhow!("{path}: {e}"))?;
        let allowed = if jail.contains(&real) {
            jail.resolve(&abs).map(|_| ())
        } else if self.policy_dirs.iter().any(|d| real.starts_with(d)) {
            Ok(())
        } else {
            Err(format!(
                "it resolves to {}, outside the repository and the policy directories{}",
                real.display(),
                if real != abs { " (through a symbolic link)" } else { "" }
            ))
        };
        if let Err(why) = allowed {
            bail!("{path}: not read: {why}");
        }
        let file = std::fs::File::open(&real).map_err(|e| anyhow!("{path}: {e}"))?;
        match crate::confine::read_capped(file, self.max_bytes).map_err(|e| anyhow!("{path}: {e}"))? {
            Ok(b) => Ok(b),
            Err(size) => bail!("{path}: not read: {size} bytes, larger than {} bytes", self.max_bytes),
        }
    }
}

/// The names [`register`] adds (a call to one of them is not an undefined function).
pub const EXTENSIONS: &[&str] = &["parse_config", "parse_config_file", "parse_combined_config_files"];

/// Register the helpers on an engine.
pub fn register(engine: &mut Engine) -> Result<()> {
    let scope = current_scope();
    let combined_scope = scope.clone();
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
        Box::new(move |args: Vec<Value>| {
            let path = string_arg(&args, 0, "parse_config_file")?;
            parse(parser_for(&path), &path, scope.read(&path)?)
        }),
    )?;
    engine.add_extension(
        "parse_combined_config_files".into(),
        1,
        Box::new(move |args: Vec<Value>| {
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
                m.insert(Value::from("contents"), parse(parser_for(path), path, combined_scope.read(path)?)?);
                out.push(Value::from(m));
            }
            Ok(Value::from(out))
        }),
    )?;
    Ok(())
}
