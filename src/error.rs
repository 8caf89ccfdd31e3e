//! The tool's failures (exit 2) and the exit status: the one error type every layer returns or
//! converts into, with the stage-specific errors it wraps. Imports nothing from the crate but
//! [`crate::escape`], so every module can use it.

use std::io::{Read, Write};

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
}

/// Tool failures while loading policies (exit 2).
#[derive(Debug, thiserror::Error)]
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
