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
    use crate::source::format::Format;
    let Some(format) = Format::from_name(parser) else {
        bail!("parse_config: unsupported parser `{parser}` ({})", crate::source::format::names())
    };
    // The other input formats as `check` reads them (README "Input formats").
    if !matches!(format, Format::Yaml | Format::Json) {
        let text = String::from_utf8(content).map_err(|e| anyhow!("{name}: not UTF-8: {e}"))?;
        let parsed = manifest::formats::parse(format, &text, &Limits::default());
        if let Some(issue) = parsed.issues.first() {
            bail!("{name}:{}:{}: {}", issue.at.line, issue.at.col + 1, issue.message);
        }
        let value = parsed.docs.into_iter().next().map_or(Value::Null, |d| d.value);
        // conftest's docker and ignore parsers return a list of files, each a list (`[[…]]`), which
        // `check` reads as one document per file.
        return Ok(match format {
            Format::Dockerfile | Format::Ignore => Value::from(vec![value]),
            _ => value,
        });
    }
    let ext = format.name();
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

/// The parser a file's name selects, as conftest's `parse_config_file` picks it (YAML when the name
/// says none).
fn parser_for(path: &str) -> &'static str {
    crate::source::format::Format::of_path(path).map_or("yaml", |f| f.name())
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
    /// The path a policy file in `dir` (relative to the current directory) reads for `path`:
    /// `dir/path` as conftest joins them, when something is there; else `path` itself, from
    /// the current directory, as tollgate read it before (a path a policy wrote for that keeps
    /// working). Either is then read through [`Scope::read`]'s confinement.
    pub fn from_policy(&self, dir: &str, path: &str) -> String {
        if dir.is_empty() {
            return path.to_string();
        }
        let joined = format!("{dir}/{}", path.trim_start_matches('/'));
        let there = match (&self.repo, self.jail.relative(&crate::confine::normalize(&self.cwd.join(&joined)))) {
            (RepoReads::Git(files), Some(rel)) => matches!(files.file(&rel), Ok(Some(_))),
            _ => self.cwd.join(&joined).symlink_metadata().is_ok(),
        };
        if there {
            joined
        } else {
            path.to_string()
        }
    }

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
pub const EXTENSIONS: &[&str] =
    &["parse_config", "parse_config_file", "parse_combined_config_files", PARSE_CONFIG_FILE_AT, PARSE_COMBINED_AT];

/// What [`relative_to_policy`] turns `parse_config_file(p)` into: `(dir of the policy file, p)`.
pub const PARSE_CONFIG_FILE_AT: &str = "__tollgate_parse_config_file_at";
/// The same for `parse_combined_config_files(ps)`.
pub const PARSE_COMBINED_AT: &str = "__tollgate_parse_combined_config_files_at";

/// `text` (the policy file `path`) with each `parse_config_file(p)` and
/// `parse_combined_config_files(ps)` call given the policy file's directory, so that a relative
/// path is read from there as conftest reads it (`filepath.Join(dir of the calling file, p)`),
/// or `None` when there is no such call (or the module does not parse: its compile says why).
/// The call's line keeps its number; its columns after the call shift.
pub fn relative_to_policy(path: &str, text: &str) -> Option<String> {
    if !text.contains("parse_config_file") && !text.contains("parse_combined_config_files") {
        return None;
    }
    let (_, module) = super::vm_screen::parse_text(path, text)?;
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let dir = serde_json::to_string(dir).ok()?;
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut visit = |e: &regorus::unstable::Expr| {
        let regorus::unstable::Expr::Call { fcn, params, .. } = e else { return };
        let name = fcn.span();
        let with = match name.text() {
            "parse_config_file" => PARSE_CONFIG_FILE_AT,
            "parse_combined_config_files" => PARSE_COMBINED_AT,
            _ => return,
        };
        if params.len() != 1 {
            return;
        }
        // The argument's span can start inside its quotes: insert after the call's `(`.
        let end = name.end as usize;
        let Some(open) = text.get(end..).and_then(|rest| rest.find('(')).map(|i| end + i + 1) else { return };
        if !text.get(end..open - 1).is_some_and(|between| between.trim().is_empty()) {
            return;
        }
        edits.push((name.start as usize, end, with.to_string()));
        edits.push((open, open, format!("{dir}, ")));
    };
    for r in &module.policy {
        super::opa::rule_exprs(r, &mut visit);
    }
    super::rewrite::apply(text, edits)
}

/// Register the helpers on an engine, and OPA's deprecated built-ins (see
/// [`super::opa`]): every engine that runs the user's policies has both.
pub fn register(engine: &mut Engine) -> Result<()> {
    super::opa::register(engine)?;
    let scope = current_scope();
    let combined_scope = scope.clone();
    let (file_at_scope, combined_at_scope) = (scope.clone(), scope.clone());
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
    let at_scope = file_at_scope;
    engine.add_extension(
        PARSE_CONFIG_FILE_AT.into(),
        2,
        Box::new(move |args: Vec<Value>| {
            let dir = string_arg(&args, 0, "parse_config_file")?;
            let path = string_arg(&args, 1, "parse_config_file")?;
            let path = at_scope.from_policy(&dir, &path);
            parse(parser_for(&path), &path, at_scope.read(&path)?)
        }),
    )?;
    let at_scope = combined_at_scope;
    engine.add_extension(
        PARSE_COMBINED_AT.into(),
        2,
        Box::new(move |args: Vec<Value>| {
            let dir = string_arg(&args, 0, "parse_combined_config_files")?;
            let paths = args.get(1..).unwrap_or_default();
            combined(&at_scope, paths, Some(&dir))
        }),
    )?;
    engine.add_extension(
        "parse_combined_config_files".into(),
        1,
        Box::new(move |args: Vec<Value>| combined(&combined_scope, &args, None)),
    )?;
    Ok(())
}

/// `parse_combined_config_files(paths)`: `[{path, contents}]` sorted by path, as conftest
/// combines them: one entry per document of a multi-document file (any file whose content is an
/// array), each path read from the policy file's directory `dir` when given (see
/// [`Scope::from_policy`]); `path` is the one read.
fn combined(scope: &Scope, args: &[Value], dir: Option<&str>) -> Result<Value> {
    let Some(Value::Array(paths)) = args.first() else {
        bail!("parse_combined_config_files: argument 1 must be an array of paths");
    };
    let mut out = Vec::new();
    for p in paths.iter() {
        let Value::String(path) = p else {
            bail!("parse_combined_config_files: paths must be strings");
        };
        let path = match dir {
            Some(dir) => scope.from_policy(dir, path),
            None => path.to_string(),
        };
        let contents = parse(parser_for(&path), &path, scope.read(&path)?)?;
        let documents = match contents {
            Value::Array(docs) => docs.iter().cloned().collect(),
            one => vec![one],
        };
        for contents in documents {
            let mut m = BTreeMap::new();
            m.insert(Value::from("path"), Value::from(path.as_str()));
            m.insert(Value::from("contents"), contents);
            out.push((path.clone(), Value::from(m)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::from(out.into_iter().map(|(_, v)| v).collect::<Vec<Value>>()))
}
