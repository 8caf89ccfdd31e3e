//! Discover: the files a check looks at, read from the working tree, a git commit, the index or stdin.
//!
//! Every source yields the same thing: repo-relative paths (always `/`-separated) with their raw
//! bytes, plus notes for entries that were skipped on purpose (submodules, symlinks). Parsing is
//! the next stage's job; nothing here interprets file contents.

pub mod filter;
pub mod git;
pub mod worktree;

pub use filter::PathFilter;

/// One file handed to the loader.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Repo-relative path with `/` separators (or `-` for stdin).
    pub path: String,
    /// Raw content; decoding (UTF-8, BOM) is the loader's job. Empty when `too_large` is set.
    pub bytes: Vec<u8>,
    /// Set (to the file's size in bytes) when the file is over the size cap; it was not read.
    pub too_large: Option<u64>,
}

/// Why a path that matched the filter was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// A gitlink (submodule commit); its contents live in another repository.
    Submodule,
    /// A symbolic link; following it could leave the repository.
    Symlink,
}

/// A path that matched the filter but was skipped, reported as a note.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

/// What a source produced.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<SourceFile>,
    pub skipped: Vec<Skipped>,
}

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
