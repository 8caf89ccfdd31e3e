//! Discover: the files a check looks at, read from the working tree, a git commit, the index or stdin.
//!
//! Every source yields the same thing: repo-relative paths (always `/`-separated, escaped as
//! [`path::escape_name`] says) with their raw bytes, plus [`Skipped`] entries for paths that need
//! a finding of their own: a submodule or a symlink (notes), a symlink the gate cannot follow or
//! a name git cannot check out (blocking errors). Symlinks whose path matches the filter are read
//! through, inside the repository only ([`link`]). Parsing is the next stage's job; nothing here
//! interprets file contents.

pub mod confine;
pub mod filter;
pub mod format;
pub mod git;
pub(crate) mod link;
pub mod path;
pub mod walk;
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

/// Why a path that matched the filter gets a finding of its own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// A gitlink (submodule commit); its contents live in another repository. A note.
    Submodule,
    /// A symbolic link followed inside the repository: the file was read with the content of
    /// `target` (escaped repo-relative path). A note saying where its lines are.
    Symlink { target: String },
    /// A symbolic link that does not lead to a file inside the repository (it leaves it, dangles,
    /// loops, or names a directory or submodule). Blocking: what it would apply is unseen.
    BadSymlink { why: String },
    /// A tree or index entry whose name git refuses to check out (`..`, `.git`, a `/` inside).
    /// Blocking: nothing under it was read.
    InvalidPath { why: &'static str },
}

/// A path that matched the filter and needs a finding of its own (see [`SkipReason`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

impl Skipped {
    /// The finding's rule id.
    pub fn rule(&self) -> &'static str {
        match self.reason {
            SkipReason::Submodule => "source/skipped-submodule",
            SkipReason::Symlink { .. } => "source/symlink",
            SkipReason::BadSymlink { .. } => "source/bad-symlink",
            SkipReason::InvalidPath { .. } => "source/invalid-path",
        }
    }

    /// Whether the finding is an error (it blocks) rather than a note.
    pub fn is_error(&self) -> bool {
        matches!(self.reason, SkipReason::BadSymlink { .. } | SkipReason::InvalidPath { .. })
    }

    /// The finding's message.
    pub fn message(&self) -> String {
        match &self.reason {
            SkipReason::Submodule => "submodule: its files live in another repository; not checked".into(),
            SkipReason::Symlink { target } => {
                format!("symbolic link to `{target}`: checked with that file's content (lines and columns are in it)")
            }
            SkipReason::BadSymlink { why } => {
                format!("{why}; not followed, and blocking: content the gate cannot see does not pass")
            }
            SkipReason::InvalidPath { why } => {
                format!("{why}: git refuses to check out such a path; not read, and blocking")
            }
        }
    }
}

/// What a source produced.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Files read (sorted by path).
    pub files: Vec<SourceFile>,
    pub skipped: Vec<Skipped>,
    /// Files found but not read yet (sorted by path): the worker that loads one reads it through
    /// `reader`, so that discovery holds paths, not the repository's bytes. Empty unless the
    /// source was asked to read lazily ([`Lazy`]).
    pub unread: Vec<Unread>,
    /// The files of `files` a [`Lazy`] screen kept for a pass before the main one, with where
    /// to read them again (sorted by path): once those passes are done, a run over its budget
    /// hands them back to `unread` instead of holding their bytes until the main pass reaches
    /// them (CRD bundles: 103 MB of the 100,000-file benchmark).
    pub again: Vec<Unread>,
    /// The files of `unread` the pass before the main one reads (see [`Lazy::reread`]), sorted
    /// by path.
    pub pending: Vec<Unread>,
    pub reader: Option<Reader>,
}

/// A file discovered but not read: read when it is loaded ([`ReadWorker::read`]), with the size
/// cap applied then.
#[derive(Debug, Clone)]
pub struct Unread {
    /// Repo-relative path, as [`SourceFile::path`] (a symbolic link's own path: the content is
    /// its target's).
    pub path: String,
    pub(crate) at: At,
}

/// Where an [`Unread`] file's content is.
#[derive(Debug, Clone)]
pub(crate) enum At {
    /// A blob of the repository's object store.
    Blob(gix::ObjectId),
    /// A regular file of the working tree (a link's target already resolved inside the root):
    /// opened without following a link, so that one swapped in since the walk is not read.
    File(std::path::PathBuf),
}

/// How a source reads lazily: every file is read once at discovery and passed to `screen`;
/// the files it accepts (those a pass before the main one needs: CRDs, Gatekeeper objects,
/// kustomizations) are kept with their bytes, and so are others while the bytes kept add up to at
/// most `budget`; the rest are [`Unread`] and read again where they are loaded. Without a screen
/// nothing is read at discovery. Which files the budget keeps depends on the order they are read
/// in (the workers', the working tree's directories'); what is reported does not.
#[derive(Clone, Copy)]
pub struct Lazy<'a> {
    pub screen: Option<&'a (dyn Fn(&SourceFile) -> bool + Sync)>,
    pub budget: u64,
    /// Of the files `screen` accepts, those the pass before the main one can read again itself
    /// (the CRD pass, a batch at a time): kept like any other file while the budget holds them,
    /// else left unread and listed in [`Discovered::pending`] too. The CRD bundles of a large
    /// repository are then never all in memory at once (1 GB of them at 1,000,000 files).
    pub reread: Option<&'a (dyn Fn(&SourceFile) -> bool + Sync)>,
}

pub use git::{ReadWorker, Reader};

pub use crate::error::SourceError;
