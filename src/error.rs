//! The tool's failures (exit 2) and the exit status: the one error type every layer returns or
//! converts into, with the stage-specific errors it wraps. Imports nothing from the crate but
//! [`crate::escape`], so every module can use it.

use std::io::{Read, Write};
use std::sync::Arc;

/// Tool failures while discovering (not findings): unknown rev, not a repository, I/O.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("not a git repository (or any parent up to the filesystem root): {0}")]
    NotARepository(String),
    #[error("unknown revision `{rev}`: {message}")]
    UnknownRev { rev: String, message: String },
    #[error("git error: {0}")]
    Git(String),
    /// PR mode: the two commits have no common ancestor in this repository (a shallow clone, or
    /// unrelated histories); the message says which and what to do.
    #[error("{0}")]
    NoMergeBase(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A file named on the command line whose name gives no input format tollgate reads: read as
    /// YAML, a Terraform file or a `pom.xml` would pass as one string.
    #[error(
        "{path}: not a file type tollgate reads by its name (YAML, JSON, Dockerfile, HCL2, TOML, INI, dotenv, \
         properties, ignore files, XML, JSONC, CycloneDX, SPDX, HCL1, EDN, VCL, CUE, HOCON, textproto, Jsonnet; see README \"Input formats\"); \
         name its type with --parser, or pick it with --include to read it as YAML"
    )]
    NotAManifest { path: String },
    /// An `--include`/`--exclude` glob that is not valid.
    #[error("invalid glob `{glob}`: {source}")]
    Glob {
        glob: String,
        #[source]
        source: globset::Error,
    },
    #[error(transparent)]
    Globs(globset::Error),
}

/// Tool failures while loading policies (exit 2).
#[derive(Debug, Clone, thiserror::Error)]
pub enum PolicyError {
    #[error("Rego compile error:\n{0}")]
    Compile(String),
    #[error("{path}:{line}: {message}")]
    Metadata { path: String, line: usize, message: String },
    #[error("invalid --namespace glob: {0}")]
    Glob(String),
    #[error("{0}")]
    Data(String),
}

/// A config error, with `file:line:column` when known.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    pub location: String,
    pub message: String,
}

/// Why a path that comes from the checked repository is not read or written there (the rules of
/// `source::confine`). Shown after the path it is about: `policy: shared: not read: {refusal}`.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("it resolves to {}, outside the repository{}", real.display(), if *via_link { " (through a symbolic link)" } else { "" })]
    Outside { real: std::path::PathBuf, via_link: bool },
    /// A directory on the way to a file to create resolves outside the repository.
    #[error("{} resolves outside the repository", .0.display())]
    DirOutside(std::path::PathBuf),
    #[error("it is inside the git directory {}", .0.display())]
    InGitDir(std::path::PathBuf),
    #[error("it is inside a `.git` directory")]
    InDotGit,
    /// The path itself (`None`) or a directory on the way to it is a symbolic link.
    #[error("{}is a symbolic link; tollgate does not write through links", .0.as_ref().map(|p| format!("{} ", p.display())).unwrap_or_else(|| "it ".into()))]
    Link(Option<std::path::PathBuf>),
    #[error("it is a directory")]
    IsDir,
    #[error("{} is not a directory", .0.display())]
    NotADir(std::path::PathBuf),
    #[error("`..` is not allowed: it could leave the repository")]
    ParentDir,
    #[error(
        "an absolute path is not allowed: paths in the config file stay inside the repository (give paths outside it \
         on the command line)"
    )]
    Absolute,
    /// A report file named in the config file without an ending of its format (`exts`), so that
    /// no report can pose as a script or a tool's config.
    #[error(
        "a `{format}` report from the config file must be named *{} (a report cannot stand in for a script or a \
         tool's config; -o on the command line can name any file)",
        exts.join(" or *")
    )]
    ReportName { format: String, exts: &'static [&'static str] },
    #[error("{}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Io {
        path: Option<std::path::PathBuf>,
        #[source]
        source: std::io::Error,
    },
}

impl From<Refusal> for String {
    fn from(r: Refusal) -> String {
        r.to_string()
    }
}

/// A failure of `gix` reading git objects, the index or the git config: what was being read, and
/// gix's error kept as the source (shared, so that an error kept for the run can be returned again).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{context}: {source}")]
pub struct GitError {
    pub context: String,
    #[source]
    pub source: Arc<dyn std::error::Error + Send + Sync>,
}

impl GitError {
    pub fn new(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> GitError {
        GitError { context: context.into(), source: Arc::new(source) }
    }
}

/// Why a file of the repository's git objects (a commit, the index) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitFilesError {
    #[error(transparent)]
    Git(#[from] GitError),
    /// An error of `source::git` reading a commit, shown with the commit as the user named it.
    #[error("{shown}")]
    Commit {
        shown: String,
        #[source]
        source: SourceError,
    },
    /// `what` is there in the index: a directory, a symbolic link, a submodule, a conflict.
    #[error("{rel} in the index is {what}, not a file")]
    NotAFile { rel: String, what: &'static str },
}

/// Why the directory of a local schema location cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    GitFiles(#[from] GitFilesError),
    /// PR mode: the trusted commit could not be read.
    #[error("{source} (read from {commit})")]
    Trusted {
        #[source]
        source: SourceError,
        commit: String,
    },
}

/// A `--schema-location` (or `schema-locations:` entry) that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error("--schema-location {raw}: the URL has no host")]
    NoHost { raw: String },
    #[error("--schema-location {raw}: no such directory")]
    NoDirectory { raw: String },
    /// (`source` boxed: it is the largest error, and every `Result` of the run carries its size.)
    #[error("--schema-location {raw}: {source}")]
    Open {
        raw: String,
        #[source]
        source: Box<OpenError>,
    },
}

/// Why a schema file of a location cannot be read (shown after its path, in a finding on the
/// documents that need it).
#[derive(Debug, thiserror::Error)]
pub enum SchemaFileError {
    #[error("not read: {0}")]
    Refused(#[source] Refusal),
    #[error("larger than the {0}-byte cap")]
    TooLarge(u64),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A `file-schemas` entry that cannot be used (shown after where it is in the config file).
#[derive(Debug, thiserror::Error)]
pub enum FileSchemaError {
    #[error("file-schemas: invalid glob `{glob}`: {source}")]
    Glob {
        glob: String,
        #[source]
        source: globset::Error,
    },
    #[error("file-schemas: {0}")]
    Globs(#[source] globset::Error),
    /// The schema file is no JSON Schema the validator accepts; `message` says why and where.
    #[error("schema {path} is not a usable JSON Schema: {message}")]
    Unusable { path: String, message: String },
    /// A YAML schema file that is not valid YAML (`manifest::LoadError`: the file and the place).
    #[error("schema {0}")]
    Yaml(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("schema {path}: expected exactly one YAML document")]
    NotOneDocument { path: String },
    #[error("schema {path}: not UTF-8 text")]
    NotUtf8 { path: String },
    #[error("schema {path}: not JSON: {source}")]
    NotJson {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The schemas cannot be set up, or a CustomResourceDefinition cannot be used for validation (a
/// warning on the CRD, not an error of the run).
#[derive(Debug, Clone, thiserror::Error)]
pub enum SchemaError {
    #[error("unsupported --kubernetes-version `{raw}`; embedded schemas: {known}")]
    UnsupportedVersion { raw: String, known: String },
    /// A CustomResourceDefinition without a field it needs (`spec.group`, `spec.names.kind`, …).
    #[error("{0} is missing")]
    CrdMissing(&'static str),
    /// A `spec.group` the API server refuses (not a DNS subdomain, or without a dot: the dotless
    /// groups `apps`, `batch`, `policy`, … and the core group are Kubernetes' own).
    #[error("spec.group `{0}` is refused by the API server: it should be a lower-case domain with at least one dot")]
    CrdGroup(String),
    /// A v1 CRD in a group of the Kubernetes community (`k8s.io`, `kubernetes.io` and their
    /// subdomains) without the approval annotation the API server asks for there.
    #[error("spec.group `{0}` is reserved for the Kubernetes project: the API server refuses it without an `api-approved.kubernetes.io` annotation holding the URL where the API was approved, or a reason starting with `unapproved`")]
    CrdApproval(String),
    /// A kind the embedded schemas serve: the API server serves it itself, never from a CRD.
    #[error("it defines {kind} {api_version}, which Kubernetes serves itself: the API server never serves that kind from a CRD, so its built-in schema still applies")]
    CrdBuiltinKind { api_version: String, kind: String },
}

/// The embedded Kubernetes schemas cannot be used (a broken build: the data is compiled in).
#[derive(Debug, Clone, thiserror::Error)]
pub enum EmbeddedError {
    #[error("embedded schemas: {0}")]
    Decompress(#[source] Arc<dyn std::error::Error + Send + Sync>),
    #[error("no embedded schemas for Kubernetes {0}")]
    NoMinor(String),
    #[error("embedded schema index out of range")]
    OutOfRange,
    #[error("embedded schemas for {minor}: {source}")]
    Parse {
        minor: String,
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// The definitions document is not a resource the schema registry accepts.
    #[error("embedded schemas: {0}")]
    Registry(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

/// Process exit status (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing blocks.
    Pass = 0,
    /// Blocking findings.
    Blocked = 1,
    /// The tool could not do its job.
    Error = 2,
}

/// Where a run reads and writes.
pub struct Io<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stdin: &'a mut dyn Read,
    /// Whether stdout is a terminal (colour in `auto` mode).
    pub stdout_tty: bool,
}

/// A tool failure: printed as `error: …`, exit 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    /// gix failed (the git config, the index, an object).
    #[error(transparent)]
    Git(#[from] GitError),
    /// A gate file could not be read from the commit or the index checked.
    #[error(transparent)]
    GitFiles(#[from] GitFilesError),
    #[error(transparent)]
    Location(#[from] LocationError),
    #[error(transparent)]
    FileSchema(#[from] FileSchemaError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// An error about a place in the config file (`path:line:column`, with what is there), its
    /// cause kept.
    #[error("{at}: {error}")]
    At {
        at: String,
        #[source]
        error: Box<Error>,
    },
    /// A path from the repository that the confinement rules refuse.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// An I/O error on `path` (`<stdout>` for the standard output), kept whole: a broken pipe on
    /// stdout is recognised by its kind (see [`Error::is_broken_pipe`]).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An error about the gate's own files, and where they were read from (PR mode).
    #[error("{error}\n  note: {note}")]
    Gate { error: Box<Error>, note: String },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), source }
    }

    /// `error`, about the place `at` in the config file.
    pub fn at(at: impl Into<String>, error: impl Into<Error>) -> Error {
        Error::At { at: at.into(), error: Box::new(error.into()) }
    }

    /// An I/O error writing the standard output.
    pub fn stdout(source: std::io::Error) -> Error {
        Error::Io { path: "<stdout>".into(), source }
    }

    /// Whether this is the standard output closed by its reader (`tollgate check | head`): the
    /// reader has what it wanted, so the run ends quietly, as `grep` and `rg` do.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { path, source } if path == "<stdout>" && source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The message as shown on stderr: every control, bidirectional and invisible character in
    /// its visible form (config values, file names and policy text are anyone's), line breaks
    /// included, except those of the layouts made of several lines on purpose (a Rego compile
    /// error, the note on where the gate was read). A line break inside a value could otherwise
    /// start a line of its own, such as a `::` workflow command in a GitHub Actions log.
    pub fn shown(&self) -> String {
        use crate::escape::{visible, visible_lines};
        match self {
            Error::Gate { error, note } => format!("{}\n  note: {}", error.shown(), visible(note)),
            Error::Policy(e @ PolicyError::Compile(_)) => visible_lines(&e.to_string()),
            other => visible(&other.to_string()).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_errors_keep_their_cause_and_are_shown_escaped() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = Error::at(
            ".tollgate.yaml:1:19",
            LocationError::Open { raw: "s\n::warning::x".into(), source: Box::new(OpenError::Io(io)) },
        );
        assert_eq!(e.to_string(), ".tollgate.yaml:1:19: --schema-location s\n::warning::x: denied");
        assert!(!e.shown().contains('\n'), "{}", e.shown());
        let location = e.source().and_then(|s| s.source()).expect("the location error's cause");
        let open = location.downcast_ref::<Box<OpenError>>().expect("an OpenError");
        assert!(matches!(&**open, OpenError::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied));

        let git = Error::from(GitError::new("core.hooksPath", std::fmt::Error));
        assert_eq!(git.to_string(), "core.hooksPath: an error occurred when formatting an argument");
        assert!(git.source().is_some());
    }
}
