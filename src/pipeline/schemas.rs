//! The run's schemas: the `file-schemas` entries compiled and the schema locations opened where the
//! gate rule of [`super::gate`] says, then the [`SchemasBuilder`] made (the run registers the CRDs
//! it finds on it, then builds the immutable `Schemas`). Kept in one place: this is the call to
//! change when the construction of schemas changes.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use super::gate::{Gate, Kinds};
use super::pr::GatePath;
use crate::error::{Error, OpenError};
use crate::schema::{self, Schemas, SchemasBuilder};
use crate::source::confine::{GitFiles, Jail};

/// Schema validation options; locations with the directory they are relative to (empty: cwd)
/// and, for those of a config file that is part of the repository, where they are in it.
#[derive(Debug, Clone, Default)]
pub struct SchemaOptions {
    pub on: bool,
    pub kubernetes_version: Option<String>,
    pub locations: Vec<(String, std::path::PathBuf, Option<String>)>,
    pub strict: bool,
    pub reject_missing: bool,
    /// `file-schemas` entries (schema paths relative to the repository root).
    pub file_schemas: Vec<FileSchemaEntry>,
}

/// One `file-schemas` entry: the files (globs over repo-relative paths) and the schema file
/// (repo-relative) that validates their documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileSchemaEntry {
    pub files: Vec<String>,
    pub schema: String,
    /// Where the entry is in the config file (`path:line:column`), for errors about it.
    pub location: String,
    /// Where its `schema` is.
    pub schema_location: String,
}

/// The globs of every `file-schemas` entry: their files are not Kubernetes objects and are read as
/// YAML 1.2 (see [`crate::manifest::Limits::for_non_kubernetes`]).
pub fn yaml12_globs(entries: &[FileSchemaEntry]) -> Result<globset::GlobSet, Error> {
    let globs: Vec<String> = entries.iter().flat_map(|e| e.files.iter().cloned()).collect();
    Ok(schema::files::glob_set(&globs)?)
}

/// The builder of the run's schemas (`None` when validation is off), and the paths read from the trusted commit
/// in PR mode (their changes are reported). `from_git`: the repository's config came from git
/// objects (`--rev`, `--staged`); `confined`: the config is part of the repository.
pub fn load(
    s: &SchemaOptions,
    gate: &Gate,
    from_git: bool,
    confined: bool,
) -> Result<(Option<SchemasBuilder>, Vec<GatePath>), Error> {
    if !s.on {
        return Ok((None, Vec::new()));
    }
    let mut read = Vec::new();
    let cfg_git = gate.git_files.as_ref().filter(|_| from_git);
    let mut file_schemas = Vec::new();
    for e in &s.file_schemas {
        let rel = e.schema.trim_start_matches("./");
        let bytes = if Path::new(rel).is_absolute() {
            // Outside any commit: from disk, whatever the mode.
            match std::fs::read(rel) {
                Ok(b) => Some(b),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
                Err(err) => return Err(Error::io(Path::new(rel), err)),
            }
        } else {
            let got = match &gate.pr {
                Some(pr) => pr.read_gate_file(rel).map(|(b, g)| {
                    read.push(g);
                    b
                }),
                None => read_schema_file(cfg_git, &gate.root, confined.then_some(&*gate.jail), rel),
            };
            got.map_err(|err| match err {
                Error::Usage(_) | Error::GitFiles(_) => Error::at(format!("{}: file-schemas", e.location), err),
                other => other,
            })?
        };
        let bytes =
            bytes.ok_or_else(|| Error::Usage(format!("{}: file-schemas: schema {rel}: no such file", e.location)))?;
        let compiled = schema::files::FileSchema::new(&e.files, rel, &bytes)
            .map_err(|m| Error::at(format!("{}: file-schemas", e.location), m))?;
        file_schemas.push(Arc::new(compiled));
    }
    // Each location opens at most one directory: what PR mode read from the commit is kept here.
    let opened: RefCell<Vec<GatePath>> = RefCell::new(Vec::new());
    let jail = &gate.jail;
    let mut locations = Vec::new();
    for (raw, base, at) in &s.locations {
        let open = |dir: &Path| -> Result<Option<schema::location::Files>, OpenError> {
            if let Some(files) = gate.pr.as_ref().and_then(|pr| pr.schema_files(dir)) {
                return files.map(|f| {
                    f.map(|(f, g)| {
                        opened.borrow_mut().push(g);
                        schema::location::Files::Commit(Arc::new(f))
                    })
                });
            }
            if let (Some(files), Some(rel), Some(_)) = (cfg_git, jail.relative(dir), at) {
                let found = files.files_under(&rel, &|f| Kinds::SCHEMA.keeps(f))?;
                let snapshot =
                    |v: Vec<(String, Vec<u8>)>| v.into_iter().map(|(p, b)| (jail.root().join(p), b)).collect();
                return Ok(found.map(|v| schema::location::Files::Commit(Arc::new(snapshot(v)))));
            }
            schema::location::open_disk(dir, jail, at.is_some())
        };
        let loc = schema::Location::parse(raw, &gate.cwd.join(base), &open).map_err(|e| match at {
            Some(at) => Error::at(at, e),
            None => Error::from(e),
        });
        locations.push(loc?);
    }
    read.extend(opened.into_inner());
    let opts = schema::Options {
        kubernetes_version: s.kubernetes_version.clone(),
        strict: s.strict,
        reject_missing: s.reject_missing,
        locations,
        file_schemas,
    };
    Ok((Some(Schemas::builder(opts)?), read))
}

/// A `file-schemas` schema file outside PR mode: from git objects when the config came from them
/// (`git`: the commit of `--rev`, the index of `--staged`), else from disk under the repository
/// root (with `jail`, the config is part of the repository: only inside it, never through a
/// symbolic link leaving it). `None` when it does not exist.
fn read_schema_file(
    git: Option<&GitFiles>,
    root: &Path,
    jail: Option<&Jail>,
    rel: &str,
) -> Result<Option<Vec<u8>>, Error> {
    if let Some(files) = git {
        return Ok(files.file(rel)?);
    }
    let p = root.join(rel);
    if let (Some(jail), Ok(_)) = (jail, std::fs::symlink_metadata(&p)) {
        jail.resolve(&p).map_err(|why| Error::Usage(format!("schema {rel}: not read: {why}")))?;
    }
    match std::fs::read(&p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&p, e)),
    }
}
