//! conftest's helper builtins for policies and their tests: `parse_config`, `parse_config_file`
//! and `parse_combined_config_files`, read with tollgate's own loader (Kubernetes typing).
//!
//! A policy may come from the checked repository, so the files these read are confined (see
//! [`Scope`]): a path that leaves the repository and the policy directories, or names a file git
//! does not track, is a runtime error naming it, never a read.

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
    // The extension picks the format; messages name the file as the policy did.
    let file = SourceFile { path: format!("{name}.{ext}"), bytes: content, too_large: None };
    let docs = manifest::load_strict(&file, &Limits { lint_ambiguous: false, ..Default::default() })
        .map_err(|e| manifest::LoadError { path: name.to_string(), ..e })?;
    let mut docs: Vec<Value> = docs.into_iter().map(|d| d.value).collect();
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

/// Where `parse_config_file` and `parse_combined_config_files` read: files of the repository as
/// the run sees them (see [`RepoReads`]), never in its git directory, or files under a policy
/// directory named on the command line, never through a symbolic link that leaves them.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Relative paths are resolved against it (the current directory, as conftest does).
    pub cwd: PathBuf,
    pub jail: Arc<crate::confine::Jail>,
    /// `-p` directories (a file's parent), resolved: a policy library may read its own files. In
    /// PR mode only those outside the repository (the others are read from the commit).
    pub policy_dirs: Vec<PathBuf>,
    /// Where the repository's files are read.
    pub repo: RepoReads,
    /// Largest file read.
    pub max_bytes: u64,
}

/// Where the files of the repository are read. Inside a git repository only what git tracks: a
/// file nobody committed (a local `.env`, the `gha-creds-*.json` a CI step writes) is not the
/// repository's, and a policy may come from the repository.
#[derive(Debug, Clone)]
pub enum RepoReads {
    /// Not in a git repository: from disk, inside the directory.
    Disk,
    /// The working tree: from disk, files the index tracks only.
    Tracked(Arc<crate::confine::GitIndex>),
    /// Git objects: the index (`--staged`), the commit checked (`--rev`) or the commit the gate
    /// comes from (PR mode).
    Git(crate::confine::GitFiles),
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
    let root = crate::source::git::find_repo_root(&cwd);
    let repo = match &root {
        Some(r) => RepoReads::Tracked(Arc::new(crate::confine::GitIndex::new(r))),
        None => RepoReads::Disk,
    };
    Arc::new(Scope {
        jail: Arc::new(crate::confine::Jail::new(root.as_deref().unwrap_or(&cwd))),
        cwd,
        policy_dirs: Vec::new(),
        repo,
        max_bytes: 10 << 20,
    })
}

impl Scope {
    /// The content of the file `path` names, or why it is not read.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        let abs = crate::confine::normalize(&self.cwd.join(path));
        let jail = &self.jail;
        let real = abs.canonicalize();
        // Under a `-p` directory: the user's, from disk (a git directory in it excepted).
        if let Ok(real) = &real {
            if self.policy_dirs.iter().any(|d| real.starts_with(d)) {
                if jail.contains(real) {
                    if let Err(why) = jail.resolve(&abs) {
                        bail!("{path}: not read: {why}");
                    }
                }
                return self.read_disk(path, real);
            }
        }
        if let (RepoReads::Git(files), Some(rel)) = (&self.repo, jail.relative(&abs)) {
            if rel.split('/').any(|c| c.eq_ignore_ascii_case(".git")) {
                bail!("{path}: not read: it is inside the git directory");
            }
            return match files.file(&rel) {
                Ok(Some(b)) if b.len() as u64 > self.max_bytes => {
                    bail!("{path}: not read: {} bytes, larger than {} bytes", b.len(), self.max_bytes)
                }
                Ok(Some(b)) => Ok(b),
                Ok(None) => bail!("{path}: no such file in {} (where this run reads the repository)", files.name()),
                Err(e) => bail!("{path}: not read: {e}"),
            };
        }
        let real = real.map_err(|e| anyhow!("{path}: {e}"))?;
        if !jail.contains(&real) {
            bail!(
                "{path}: not read: it resolves to {}, outside the repository and the policy directories{}",
                real.display(),
                if real != abs { " (through a symbolic link)" } else { "" }
            );
        }
        if let Err(why) = jail.resolve(&abs) {
            bail!("{path}: not read: {why}");
        }
        match &self.repo {
            RepoReads::Disk => {}
            RepoReads::Tracked(index) => {
                let rel = jail.relative(&real).unwrap_or_default();
                let tracked = index.has_file(&rel).map_err(|e| anyhow!("{path}: {e}"))?;
                if !tracked {
                    let via = if real != abs { format!(" ({rel}, through a symbolic link)") } else { String::new() };
                    bail!(
                        "{path}: not read: git does not track it{via}; only committed or staged files of the \
                         repository are read (`git add` it, or name its directory with -p)"
                    );
                }
            }
            // Spelt outside the repository, resolving into it: the run reads the repository from
            // git objects, not from this disk.
            RepoReads::Git(files) => bail!(
                "{path}: not read: it resolves to {} inside the repository through a symbolic link; this run reads \
                 the repository from {}",
                real.display(),
                files.name()
            ),
        }
        self.read_disk(path, &real)
    }

    /// The file at `real` (resolved) from disk, within the size cap.
    fn read_disk(&self, path: &str, real: &Path) -> Result<Vec<u8>> {
        let file = std::fs::File::open(real).map_err(|e| anyhow!("{path}: {e}"))?;
        match crate::confine::read_capped(file, self.max_bytes).map_err(|e| anyhow!("{path}: {e}"))? {
            Ok(b) => Ok(b),
            Err(size) => bail!("{path}: not read: {size} bytes, larger than {} bytes", self.max_bytes),
        }
    }
}

/// The names [`register`] adds (a call to one of them is not an undefined function).
pub const EXTENSIONS: &[&str] = &["parse_config", "parse_config_file", "parse_combined_config_files"];

/// Register the helpers on an engine, and OPA's deprecated built-ins (see
/// [`super::opa`]): every engine that runs the user's policies has both.
pub fn register(engine: &mut Engine) -> Result<()> {
    super::opa::register(engine)?;
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
