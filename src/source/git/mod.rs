//! Read files straight from git objects: a commit's tree (`--rev`) or the index (`--staged`).
//!
//! Nothing here looks at the working tree, so uncommitted (or unstaged) edits are invisible, and
//! the same code works in bare repositories, shallow clones and on a detached HEAD. Submodules
//! (gitlinks) are noted. A symlink whose path matches the filter is read through, resolved in the
//! same commit's tree (or the index) and never on disk: the blob's content is the target path.
//! Names are kept byte-exact ([`escape_name`]); an entry git would refuse to check out is an error.

use std::path::{Path, PathBuf};

use gix::bstr::{BStr, ByteSlice};
use gix::objs::tree::EntryKind;
use gix::ObjectId;

use super::link::{self, Node, Outcome};
use super::path::{escape_name, escape_path, invalid_name, invalid_path, unescape_components};
use super::{Discovered, PathFilter, SkipReason, Skipped, SourceError, SourceFile};

mod collect;
mod diff;

use collect::{Collector, View};
pub use collect::{ReadWorker, Reader};
pub use diff::{changed_paths, merge_base, read_entry_sets, Change, EntryType, TreeEntry};
use diff::{changed_paths_in, merge_base_named, read_entry_sets_in};

/// The work-tree root of the repository containing `start` (searching upwards like git does), or
/// the git directory itself for a bare repository. `None` when `start` is not inside a repository.
pub fn find_repo_root(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let dir = if start.is_file() { start.parent()?.to_path_buf() } else { start };
    let repo = gix::discover(&dir).ok()?;
    Some(repo.workdir().unwrap_or_else(|| repo.git_dir()).to_path_buf())
}

/// The `remote.origin.url` of the repository at `root` (from its own git config, never from a
/// commit), when it has one.
pub fn origin_url(root: &Path) -> Option<String> {
    let git = gix::open(root).ok()?;
    let url = git.config_snapshot().string("remote.origin.url")?.to_string();
    (!url.trim().is_empty()).then_some(url)
}

/// The hooks directory of `repo` as git finds it: `core.hooksPath` (relative to the top of the work
/// tree `workdir`), else `hooks` in the common git directory.
pub fn hooks_dir_of(repo: &gix::Repository, workdir: &Path) -> Result<PathBuf, crate::error::GitError> {
    let configured = repo
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .map_err(|e| crate::error::GitError::new("core.hooksPath", e))?
        .filter(|p| !p.as_os_str().is_empty());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => workdir.join(p),
        None => {
            let common = repo.common_dir();
            let common = if common.is_absolute() { common.to_path_buf() } else { workdir.join(common) };
            common.join("hooks")
        }
    })
}

/// Every file matching `filter` in the tree of the commit `rev` names, sorted by path.
///
/// `rev` is anything `git rev-parse` understands that leads to a commit (`HEAD`, a branch, a tag,
/// a short or full id, `HEAD~1`, `origin/main`). Blobs larger than `max_file_size` bytes are not
/// read; they come back with `too_large` set.
pub fn read_rev(repo: &Path, rev: &str, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
    read_rev_in(&open(repo)?, rev, filter, max_file_size)
}

fn read_rev_in(
    git: &gix::Repository,
    rev: &str,
    filter: &PathFilter,
    max_file_size: u64,
) -> Result<Discovered, SourceError> {
    read_rev_keeping(git, rev, filter, max_file_size, &|_| true)
}

/// [`read_rev_in`], keeping only the files `keep` accepts.
fn read_rev_keeping(
    git: &gix::Repository,
    rev: &str,
    filter: &PathFilter,
    max_file_size: u64,
    keep: &(dyn Fn(&SourceFile) -> bool + Sync),
) -> Result<Discovered, SourceError> {
    let commit = find_commit(git, rev)?;
    let tree_id = commit.tree_id().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?;
    let root = tree_id.detach();
    let mut collector = Collector::new(git, filter, max_file_size, View::Tree(root));
    collector.tree(root, String::new(), Vec::new())?;
    collector.finish_keeping(keep)
}

/// [`read_rev_in`], reading lazily as `lazy` says (see [`crate::source::Lazy`]).
fn read_rev_lazy(
    git: &gix::Repository,
    rev: &str,
    filter: &PathFilter,
    max_file_size: u64,
    lazy: crate::source::Lazy<'_>,
) -> Result<Discovered, SourceError> {
    let commit = find_commit(git, rev)?;
    let tree_id = commit.tree_id().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?;
    let root = tree_id.detach();
    let mut collector = Collector::new(git, filter, max_file_size, View::Tree(root));
    collector.tree(root, String::new(), Vec::new())?;
    collector.finish_lazy(lazy)
}

/// Every file matching `filter` in the index, i.e. the content `git commit` would record.
///
/// Honours `GIT_INDEX_FILE` (pre-commit hooks under `git commit -a` or `git commit PATH` run
/// against a temporary index); a relative value is resolved against the current directory, as
/// git does. Only stage-0 entries are reported: a conflicted path has none and is left out.
/// Entries added with `git add -N` (intent to add) are left out too, as `git commit` does.
pub fn read_index(repo: &Path, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
    read_index_in(&open(repo)?, filter, max_file_size)
}

fn read_index_in(git: &gix::Repository, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
    read_index_with(git, filter, max_file_size, None)
}

/// [`read_index_in`], reading lazily when `lazy` is given (see [`crate::source::Lazy`]).
fn read_index_with(
    git: &gix::Repository,
    filter: &PathFilter,
    max_file_size: u64,
    lazy: Option<crate::source::Lazy<'_>>,
) -> Result<Discovered, SourceError> {
    use gix::index::entry::{Flags, Mode};

    // gix applies `GIT_INDEX_FILE` itself when opening (anchored to the current directory).
    let index_path = git.index_path();
    if !index_path.exists() {
        if git.workdir().is_none() {
            return Err(SourceError::Git(format!(
                "{} is a bare repository, which has no index to read staged files from",
                git.git_dir().display()
            )));
        }
        // A fresh repository before the first `git add`: nothing is staged.
        return Ok(Discovered::default());
    }
    let index = git
        .open_index()
        .map_err(|e| SourceError::Git(format!("{}: cannot read the index: {}", index_path.display(), describe(&e))))?;

    let mut collector = Collector::new(git, filter, max_file_size, View::Index(&index));
    for entry in index.entries() {
        if entry.stage_raw() != 0 || entry.flags.intersects(Flags::INTENT_TO_ADD | Flags::REMOVE) {
            continue;
        }
        // A sparse index keeps directories outside the sparse cone as one entry, `dir/`.
        let raw = entry.path(&index);
        let raw = if entry.mode == Mode::DIR { raw.strip_suffix(b"/").unwrap_or(raw).as_bstr() } else { raw };
        let path = escape_path(raw);
        if let Some(why) = invalid_path(raw) {
            let in_scope = match entry.mode {
                Mode::DIR | Mode::COMMIT => filter.entry_in_scope(&path),
                _ => filter.matches(&path),
            };
            if in_scope {
                collector.skip(path, SkipReason::InvalidPath { why });
            }
            continue;
        }
        if entry.mode == Mode::DIR {
            if filter.dir_in_scope(&path) {
                collector.tree(entry.id, path, components(raw))?;
            }
            continue;
        }
        if entry.mode == Mode::COMMIT {
            if filter.submodule_in_scope(&path) {
                collector.skip(path, SkipReason::Submodule);
            }
            continue;
        }
        if !filter.matches(&path) {
            continue;
        }
        if entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE {
            collector.blob(path, entry.id);
        } else if entry.mode == Mode::SYMLINK {
            collector.link(path, components(raw), entry.id)?;
        }
    }
    match lazy {
        Some(lazy) => collector.finish_lazy(lazy),
        None => collector.finish(),
    }
}

/// What a tracked path is in the index, as the working-tree walk needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackedKind {
    File,
    Link,
    Submodule,
    /// A directory outside the sparse cone, kept as one entry by a sparse index.
    SparseDir,
}

/// One path the index tracks.
pub(crate) struct Tracked {
    /// Raw `/`-separated path (no trailing `/`).
    pub raw: Vec<u8>,
    pub kind: TrackedKind,
    /// Not expected in the working tree (sparse checkout): git takes the index's content as the
    /// file's, so the walk reads it from there when the file is absent.
    pub skip_worktree: bool,
    id: ObjectId,
}

/// The index of the repository whose work tree is `root`, for the working-tree source: ignore
/// rules only apply to untracked files, so every tracked path must be looked at.
pub(crate) struct WorktreeIndex {
    git: gix::Repository,
    index: gix::index::File,
}

impl WorktreeIndex {
    /// `None` when `root` is not the work tree of a repository, or nothing was ever staged.
    pub(crate) fn open(root: &Path) -> Result<Option<Self>, SourceError> {
        let git = match gix::open(root) {
            Ok(git) => git,
            // Not knowing what git tracks would let ignore rules hide tracked files: fail closed.
            Err(e) if root.join(".git").exists() => {
                return Err(SourceError::Git(format!(
                    "{}: cannot open the repository to find the tracked files: {}",
                    root.display(),
                    describe(&e)
                )))
            }
            Err(_) => return Ok(None),
        };
        let same = git.workdir().and_then(|w| w.canonicalize().ok()).is_some_and(|w| w == root);
        let index_path = git.index_path();
        if !same || !index_path.exists() {
            return Ok(None);
        }
        let index = git.open_index().map_err(|e| {
            SourceError::Git(format!(
                "{}: cannot read the index to find the tracked files: {}",
                index_path.display(),
                describe(&e)
            ))
        })?;
        Ok(Some(WorktreeIndex { git, index }))
    }

    /// Every tracked path once (a conflicted one too), in index order.
    pub(crate) fn tracked(&self) -> Vec<Tracked> {
        use gix::index::entry::{Flags, Mode};
        let mut out: Vec<Tracked> = Vec::new();
        for entry in self.index.entries() {
            if entry.flags.contains(Flags::REMOVE) {
                continue;
            }
            let raw = entry.path(&self.index);
            let raw = raw.strip_suffix(b"/").unwrap_or(raw);
            if out.last().is_some_and(|t| t.raw == raw) {
                continue;
            }
            let kind = match entry.mode {
                Mode::DIR => TrackedKind::SparseDir,
                Mode::COMMIT => TrackedKind::Submodule,
                Mode::SYMLINK => TrackedKind::Link,
                _ => TrackedKind::File,
            };
            let skip_worktree = entry.flags.contains(Flags::SKIP_WORKTREE) || kind == TrackedKind::SparseDir;
            out.push(Tracked { raw: raw.to_vec(), kind, skip_worktree, id: entry.id });
        }
        out
    }

    /// Read tracked entries from the index (links resolved there): files and links as they are,
    /// sparse directories walked with `filter`.
    pub(crate) fn read(
        &self,
        wanted: Vec<Tracked>,
        filter: &PathFilter,
        max_file_size: u64,
    ) -> Result<Discovered, SourceError> {
        let mut collector = Collector::new(&self.git, filter, max_file_size, View::Index(&self.index));
        for t in wanted {
            let path = escape_path(&t.raw);
            match t.kind {
                TrackedKind::File => collector.blob(path, t.id),
                TrackedKind::Link => collector.link(path, components(&t.raw), t.id)?,
                TrackedKind::SparseDir => collector.tree(t.id, path, components(&t.raw))?,
                TrackedKind::Submodule => {}
            }
        }
        collector.finish()
    }
}

/// The full hex id of the commit `rev` names.
pub fn resolve_commit(repo: &Path, rev: &str) -> Result<String, SourceError> {
    let git = open(repo)?;
    let id = find_commit(&git, rev)?.id;
    Ok(id.to_string())
}

/// The content of the file at `path` (repo-relative, `/`-separated) in the commit `rev` names,
/// or `None` when there is no such path. A directory, symlink or submodule at `path` is an error.
pub fn read_blob_at(repo: &Path, rev: &str, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
    read_blob_in(&open(repo)?, rev, path)
}

fn read_blob_in(git: &gix::Repository, rev: &str, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
    let commit = find_commit(git, rev)?;
    let tree = commit.tree().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?;
    read_blob_from(git, &tree, rev, path)
}

/// [`read_blob_in`] from the commit's tree, already found.
fn read_blob_from(
    git: &gix::Repository,
    tree: &gix::Tree<'_>,
    rev: &str,
    path: &str,
) -> Result<Option<Vec<u8>>, SourceError> {
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if parts.is_empty() {
        return Ok(None);
    }
    let entry = tree
        .lookup_entry(parts.iter().copied())
        .map_err(|e| SourceError::Git(format!("{path} in {rev}: {}", describe(&e))))?;
    let Some(entry) = entry else { return Ok(None) };
    let what = match entry.mode().kind() {
        EntryKind::Blob | EntryKind::BlobExecutable => {
            let mut blob = git.find_blob(entry.object_id()).map_err(|e| object_error(path, entry.object_id(), &e))?;
            return Ok(Some(blob.take_data()));
        }
        EntryKind::Tree => "a directory",
        EntryKind::Link => "a symbolic link",
        EntryKind::Commit => "a submodule",
    };
    Err(SourceError::Git(format!("{path} in {rev} is {what}, not a file")))
}

/// Files read whole: (repo-relative path, content).
pub type NamedBlobs = Vec<(String, Vec<u8>)>;

/// The files at `path` (repo-relative; empty or `.` for the root) in the commit `rev` names:
/// `path` itself when it is a file, else every file under it whose repo-relative path passes
/// `keep`, sorted by path. `None` when the commit has nothing at `path`. Symlinks and submodules
/// inside a directory are left out; `path` itself being one is an error.
pub fn read_files_under(
    repo: &Path,
    rev: &str,
    path: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Option<NamedBlobs>, SourceError> {
    read_files_under_in(&open(repo)?, rev, path, keep)
}

fn read_files_under_in(
    git: &gix::Repository,
    rev: &str,
    path: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Option<NamedBlobs>, SourceError> {
    let commit = find_commit(git, rev)?;
    let tree = commit.tree().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?;
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    let start = if parts.is_empty() {
        tree.id
    } else {
        let entry = tree
            .lookup_entry(parts.iter().copied())
            .map_err(|e| SourceError::Git(format!("{path} in {rev}: {}", describe(&e))))?;
        let Some(entry) = entry else { return Ok(None) };
        let id = entry.object_id();
        match entry.mode().kind() {
            EntryKind::Tree => id,
            EntryKind::Blob | EntryKind::BlobExecutable => {
                let mut blob = git.find_blob(id).map_err(|e| object_error(path, id, &e))?;
                return Ok(Some(vec![(parts.join("/"), blob.take_data())]));
            }
            EntryKind::Link => return Err(SourceError::Git(format!("{path} in {rev} is a symbolic link"))),
            EntryKind::Commit => return Err(SourceError::Git(format!("{path} in {rev} is a submodule"))),
        }
    };
    let mut out = Vec::new();
    let mut pending = vec![(start, parts.join("/"))];
    while let Some((id, dir)) = pending.pop() {
        let t = git.find_tree(id).map_err(|e| object_error(&dir, id, &e))?;
        for entry in t.iter() {
            let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
            let p = join(&dir, entry.inner.filename);
            let oid = entry.inner.oid.to_owned();
            match entry.inner.mode.kind() {
                EntryKind::Tree => pending.push((oid, p)),
                EntryKind::Blob | EntryKind::BlobExecutable if keep(&p) => {
                    let mut blob = git.find_blob(oid).map_err(|e| object_error(&p, oid, &e))?;
                    out.push((p, blob.take_data()));
                }
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Some(out))
}

/// The repository of a run, found once. Revisions are resolved once, by
/// [`Repo::resolve_commit`], to a [`CommitId`]; every other read takes a commit id, so a run never
/// resolves a name twice (a commit landing in between would mix two commits).
///
/// Each read opens the object store and drops it when done, as the functions above do: a store
/// kept for the whole run keeps the packs it read mapped while the policies run (PR mode on the
/// 10,000-file benchmark: 49 MB peak instead of 44 MB).
#[derive(Clone)]
pub struct Repo {
    /// Where the repository was found from.
    root: PathBuf,
    /// How many names [`Repo::resolve_commit`] resolved (shared by the clones of this handle).
    resolved: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("root", &self.root).finish()
    }
}

/// The files of one commit, its object store kept open: see [`Repo::commit_reader`].
pub struct CommitReader {
    repo: gix::ThreadSafeRepository,
    tree: ObjectId,
    rev: String,
    /// The trees read so far (their data, by id, up to [`TREE_CACHE_BYTES`]): a render reads
    /// many files of the same directories, so each tree on the way is decoded once, not once per
    /// file (a loose object is an open, a map and an inflate).
    trees: std::sync::Mutex<TreeCache>,
}

/// Tree data by id, and the bytes held.
type TreeCache = (std::collections::HashMap<ObjectId, std::sync::Arc<Vec<u8>>>, usize);

/// What [`CommitReader`] keeps of the trees it read.
const TREE_CACHE_BYTES: usize = 32 << 20;

impl std::fmt::Debug for CommitReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitReader").field("rev", &self.rev).finish()
    }
}

impl CommitReader {
    /// The blob at `path` (`None`: no such path; a directory, link or submodule is an error).
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let git = self.repo.to_thread_local();
        let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
        let mut id = self.tree;
        for (i, part) in parts.iter().enumerate() {
            let data = self.tree_data(&git, path, id)?;
            // As `Tree::lookup_entry`: a component that is missing, or not a tree on the way, is
            // no such path.
            let found = gix::objs::TreeRefIter::from_bytes(&data, git.object_hash())
                .filter_map(Result::ok)
                .find(|e| e.filename == part.as_bytes())
                .map(|e| (e.mode.kind(), e.oid.to_owned()));
            let Some((kind, oid)) = found else { return Ok(None) };
            if i + 1 < parts.len() {
                if kind != EntryKind::Tree {
                    return Ok(None);
                }
                id = oid;
                continue;
            }
            let what = match kind {
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    let mut blob = git.find_blob(oid).map_err(|e| object_error(path, oid, &e))?;
                    return Ok(Some(blob.take_data()));
                }
                EntryKind::Tree => "a directory",
                EntryKind::Link => "a symbolic link",
                EntryKind::Commit => "a submodule",
            };
            return Err(SourceError::Git(format!("{path} in {} is {what}, not a file", self.rev)));
        }
        Ok(None)
    }

    fn tree_data(
        &self,
        git: &gix::Repository,
        path: &str,
        id: ObjectId,
    ) -> Result<std::sync::Arc<Vec<u8>>, SourceError> {
        if let Some(data) = self.trees.lock().ok().and_then(|c| c.0.get(&id).cloned()) {
            return Ok(data);
        }
        let mut tree = git.find_tree(id).map_err(|e| object_error(path, id, &e))?;
        let data = std::sync::Arc::new(std::mem::take(&mut tree.data));
        if let Ok(mut cache) = self.trees.lock() {
            if cache.1 + data.len() <= TREE_CACHE_BYTES {
                cache.1 += data.len();
                cache.0.insert(id, data.clone());
            }
        }
        Ok(data)
    }
}

/// A full commit id, resolved once from what the user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitId(String);

impl CommitId {
    /// The full hex id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CommitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Repo {
    /// The repository containing `path` (an error when there is none, or it cannot be opened).
    pub fn open(path: &Path) -> Result<Repo, SourceError> {
        open(path)?;
        Ok(Repo { root: path.to_path_buf(), resolved: Default::default() })
    }

    fn git(&self) -> Result<gix::Repository, SourceError> {
        open(&self.root)
    }

    /// The commit `rev` names (anything `git rev-parse` understands that leads to a commit).
    pub fn resolve_commit(&self, rev: &str) -> Result<CommitId, SourceError> {
        self.resolved.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(CommitId(find_commit(&self.git()?, rev)?.id.to_string()))
    }

    /// How many names this handle resolved: each revision of a run once.
    pub fn resolutions(&self) -> usize {
        self.resolved.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The blobs at `paths` in the commit `id`, with one open of the object store (as
    /// [`read_blob_at`] each: `None` where there is no such path).
    pub fn read_blobs_at(&self, id: &CommitId, paths: &[String]) -> Result<Vec<Option<Vec<u8>>>, SourceError> {
        let reader = self.commit_reader(id)?;
        paths.iter().map(|p| reader.read(p)).collect()
    }

    /// A reader of the commit `id`'s files that keeps its object store open until dropped (for
    /// many small reads on any thread, as a render's), where [`Repo::read_blob_at`] opens it each
    /// time.
    pub fn commit_reader(&self, id: &CommitId) -> Result<CommitReader, SourceError> {
        let git = self.git()?;
        let tree = {
            let commit = find_commit(&git, id.as_str())?;
            commit.tree_id().map_err(|e| SourceError::Git(format!("commit {id}: {}", describe(&e))))?.detach()
        };
        Ok(CommitReader { repo: git.into_sync(), tree, rev: id.as_str().to_string(), trees: Default::default() })
    }

    /// [`read_rev`] of a resolved commit.
    pub fn read_rev(&self, id: &CommitId, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
        read_rev_in(&self.git()?, id.as_str(), filter, max_file_size)
    }

    /// [`read_rev`] of a resolved commit, keeping only the files `keep` accepts: a search of the
    /// whole tree that holds in memory only what it found.
    pub fn read_rev_matching(
        &self,
        id: &CommitId,
        filter: &PathFilter,
        max_file_size: u64,
        keep: &(dyn Fn(&SourceFile) -> bool + Sync),
    ) -> Result<Discovered, SourceError> {
        read_rev_keeping(&self.git()?, id.as_str(), filter, max_file_size, keep)
    }

    /// [`read_index`] of this repository.
    pub fn read_index(&self, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
        read_index_in(&self.git()?, filter, max_file_size)
    }

    /// [`Repo::read_rev`], reading lazily as `lazy` says (see [`crate::source::Lazy`]).
    pub fn read_rev_lazy(
        &self,
        id: &CommitId,
        filter: &PathFilter,
        max_file_size: u64,
        lazy: crate::source::Lazy<'_>,
    ) -> Result<Discovered, SourceError> {
        read_rev_lazy(&self.git()?, id.as_str(), filter, max_file_size, lazy)
    }

    /// [`Repo::read_index`], reading lazily as `lazy` says (see [`crate::source::Lazy`]).
    pub fn read_index_lazy(
        &self,
        filter: &PathFilter,
        max_file_size: u64,
        lazy: crate::source::Lazy<'_>,
    ) -> Result<Discovered, SourceError> {
        read_index_with(&self.git()?, filter, max_file_size, Some(lazy))
    }

    /// [`read_blob_at`] of a resolved commit.
    pub fn read_blob_at(&self, id: &CommitId, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        read_blob_in(&self.git()?, id.as_str(), path)
    }

    /// [`read_files_under`] of a resolved commit.
    pub fn read_files_under(
        &self,
        id: &CommitId,
        path: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Option<NamedBlobs>, SourceError> {
        read_files_under_in(&self.git()?, id.as_str(), path, keep)
    }

    /// [`merge_base`] of two resolved commits; `names` are how the user named them (messages).
    pub fn merge_base(&self, base: &CommitId, head: &CommitId, names: (&str, &str)) -> Result<CommitId, SourceError> {
        merge_base_named(self.git()?, base.as_str(), head.as_str(), names).map(CommitId)
    }

    /// [`changed_paths`] between two resolved commits.
    pub fn changed_paths(&self, old: &CommitId, new: &CommitId) -> Result<Vec<Change>, SourceError> {
        changed_paths_in(&self.git()?, old.as_str(), new.as_str())
    }

    /// [`read_entry_sets`] in this repository.
    pub fn read_entry_sets(
        &self,
        sets: Vec<Vec<(String, TreeEntry)>>,
        max_file_size: u64,
    ) -> Result<Vec<Discovered>, SourceError> {
        read_entry_sets_in(self.git()?, sets, max_file_size)
    }
}

/// Open the repository containing `path`, mapping "no repository here" to its own error.
fn open(path: &Path) -> Result<gix::Repository, SourceError> {
    match gix::discover(path) {
        Ok(repo) => Ok(repo),
        Err(err) => {
            if !path.exists() {
                return Err(SourceError::Io {
                    path: path.display().to_string(),
                    message: "no such file or directory".to_string(),
                });
            }
            match err.downcast_any_ref::<gix::discover::upwards::Error>() {
                Some(gix::discover::upwards::Error::NoTrustedGitRepository { .. }) | None => {
                    Err(SourceError::Git(format!("{}: {}", path.display(), describe(&err))))
                }
                Some(_) => Err(SourceError::NotARepository(path.display().to_string())),
            }
        }
    }
}

/// Resolve `rev` and peel tags until a commit; anything else (tree, blob) is an unknown rev.
fn find_commit<'r>(git: &'r gix::Repository, rev: &str) -> Result<gix::Commit<'r>, SourceError> {
    let unknown = |message: String| SourceError::UnknownRev { rev: rev.to_string(), message };
    let id = git.rev_parse_single(rev).map_err(|e| unknown(describe(&e)))?;
    let object = id.object().and_then(|o| o.peel_tags_to_end()).map_err(|e| unknown(describe(&e)))?;
    match object.kind {
        gix::objs::Kind::Commit => object.try_into_commit().map_err(|e| unknown(describe(&e))),
        kind => Err(unknown(format!("it names a {kind} ({id}), not a commit"))),
    }
}

/// `dir/name` with the name escaped (`name` alone at the root).
fn join(dir: &str, name: &BStr) -> String {
    let name = escape_name(name);
    if dir.is_empty() {
        name.into_owned()
    } else {
        let mut p = String::with_capacity(dir.len() + 1 + name.len());
        p.push_str(dir);
        p.push('/');
        p.push_str(&name);
        p
    }
}

/// The raw components of a `/`-separated git path.
fn components(raw: &[u8]) -> Vec<Vec<u8>> {
    raw.split(|&b| b == b'/').map(<[u8]>::to_vec).collect()
}

fn object_error(path: &str, id: ObjectId, err: &gix::Error) -> SourceError {
    let hint = if err.is_not_found() { " (missing object: is this a partial clone?)" } else { "" };
    let path = if path.is_empty() { "<root>" } else { path };
    SourceError::Git(format!("{path}: cannot read object {id}: {}{hint}", describe(err)))
}

/// An error and its causes on one line, skipping causes already contained in the text and gix's
/// bare classification markers (which would only add a word like `NotFound`).
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        let bare_marker =
            cause.downcast_ref::<gix::error::ClassificationMarker>().is_some() && cause.source().is_none();
        if !bare_marker && !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_joins_causes_once() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("outer")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Outer(std::io::Error::other("inner"));
        assert_eq!(describe(&err), "outer: inner");
    }

    #[test]
    fn a_commit_reader_reads_as_a_lookup_from_the_root_does() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        };
        git(&["init", "-q"]);
        for (p, text) in [("a.yaml", "a"), ("d/b.yaml", "b"), ("d/e/c.yaml", "c"), ("x/d/b.yaml", "other")] {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap_or(dir.path())).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
        }
        std::os::unix::fs::symlink("a.yaml", dir.path().join("link")).unwrap_or_else(|e| panic!("{e}"));
        git(&["add", "-A"]);
        git(&["commit", "-qm", "t"]);
        let repo = Repo::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let id = repo.resolve_commit("HEAD").unwrap_or_else(|e| panic!("{e}"));
        let reader = repo.commit_reader(&id).unwrap_or_else(|e| panic!("{e}"));
        let paths = [
            "a.yaml",
            "d/b.yaml",
            "d/e/c.yaml",
            "x/d/b.yaml",
            "./d/b.yaml",
            "d//e/c.yaml",
            "d",
            "d/e",
            "link",
            "missing",
            "d/missing",
            "a.yaml/x",
            "d/b.yaml/y",
            "",
            ".",
        ];
        // Twice: the second time from the trees it keeps.
        for _ in 0..2 {
            for p in paths {
                let old = read_blob_at(dir.path(), id.as_str(), p).map_err(|e| e.to_string());
                assert_eq!(reader.read(p).map_err(|e| e.to_string()), old, "{p}");
            }
        }
        assert_eq!(reader.read("d/e/c.yaml").ok().flatten().as_deref(), Some(&b"c"[..]));
    }

    #[test]
    fn missing_path_is_an_io_error() {
        assert!(matches!(open(Path::new("/nonexistent/tollgate/dir")), Err(SourceError::Io { .. })));
    }
}
