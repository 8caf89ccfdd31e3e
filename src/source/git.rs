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

/// The work-tree root of the repository containing `start` (searching upwards like git does), or
/// the git directory itself for a bare repository. `None` when `start` is not inside a repository.
pub fn find_repo_root(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let dir = if start.is_file() { start.parent()?.to_path_buf() } else { start };
    let repo = gix::discover(&dir).ok()?;
    Some(repo.workdir().unwrap_or_else(|| repo.git_dir()).to_path_buf())
}

/// The hooks directory of `repo` as git finds it: `core.hooksPath` (relative to the top of the work
/// tree `workdir`), else `hooks` in the common git directory.
pub fn hooks_dir_of(repo: &gix::Repository, workdir: &Path) -> Result<PathBuf, String> {
    let configured = repo
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .map_err(|e| format!("core.hooksPath: {e}"))?
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
    let commit = find_commit(git, rev)?;
    let tree_id = commit.tree_id().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?;
    let root = tree_id.detach();
    let mut collector = Collector::new(git, filter, max_file_size, View::Tree(root));
    collector.tree(root, String::new(), Vec::new())?;
    collector.finish()
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
    collector.finish()
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

/// What a tree entry at a changed path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    File,
    Symlink,
    /// A gitlink (submodule commit).
    Submodule,
    /// A file or link at a path git refuses to check out (a `..` or `.git` component, a `/`
    /// inside a name, a name twice in one directory): never read, reported as an error.
    Invalid(&'static str),
}

/// One side of a changed path: what the tree held there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    pub kind: EntryType,
    pub id: ObjectId,
    /// The root tree of the commit this side comes from, where a symlink is resolved.
    root: ObjectId,
}

/// A path whose entry differs between two trees. There is no rename tracking: a renamed file is a
/// deletion of the old path and an addition of the new one. Directories are not listed, only the
/// files, symlinks and submodules in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Repo-relative, `/`-separated.
    pub path: String,
    /// The entry in the old tree (`None`: added).
    pub old: Option<TreeEntry>,
    /// The entry in the new tree (`None`: deleted).
    pub new: Option<TreeEntry>,
}

/// The full hex id of the best common ancestor of the commits `base` and `head` name (what
/// `git merge-base base head` prints).
///
/// No common ancestor is an error, never an empty result: in a shallow clone it says that the
/// history joining the two was not fetched and how to fetch it; otherwise that the histories are
/// unrelated. Unknown revisions are [`SourceError::UnknownRev`].
pub fn merge_base(repo: &Path, base: &str, head: &str) -> Result<String, SourceError> {
    merge_base_named(open(repo)?, base, head, (base, head))
}

/// The merge-base of the commits `base_rev` and `head_rev` name; messages call them `names`.
fn merge_base_named(
    mut git: gix::Repository,
    base_rev: &str,
    head_rev: &str,
    (base, head): (&str, &str),
) -> Result<String, SourceError> {
    git.object_cache_size_if_unset(16 << 20);
    let base_id = find_commit(&git, base_rev)?.id;
    let head_id = find_commit(&git, head_rev)?.id;
    let shallow = git.is_shallow().unwrap_or(false);
    let fetch_more = "fetch more history: `fetch-depth: 0` in actions/checkout, or `git fetch --deepen=N` \
                      (or `git fetch --unshallow`) before running tollgate";
    match git.merge_base(base_id, head_id) {
        Ok(Some(id)) => Ok(id.to_string()),
        Ok(None) if shallow => Err(SourceError::NoMergeBase(format!(
            "no merge-base of `{base}` and `{head}` in this shallow clone: the history that joins them was not \
             fetched; {fetch_more}"
        ))),
        Ok(None) => Err(SourceError::NoMergeBase(format!(
            "`{base}` and `{head}` have unrelated histories (no common commit), so there is no merge-base to \
             compare with; PR mode needs a --base that `{head}` branched from"
        ))),
        // Walking past the shallow boundary finds parents that were never fetched.
        Err(e) if shallow => Err(SourceError::NoMergeBase(format!(
            "cannot find the merge-base of `{base}` and `{head}` in this shallow clone ({}); {fetch_more}",
            describe(&e)
        ))),
        Err(e) => Err(SourceError::Git(format!("merge-base of `{base}` and `{head}`: {}", describe(&e)))),
    }
}

/// Every path whose entry differs between the trees of the commits `old` and `new` name, sorted
/// by path. Compares tree ids first, so unchanged directories are not read: the cost follows the
/// size of the change, plus one walk of `new`'s directories for its symlinks.
///
/// A symlink whose entry did not change is listed too (as modified) when what it resolves to did:
/// a manifest read through a link changes when its target does (see [`read_entry_sets`]).
pub fn changed_paths(repo: &Path, old: &str, new: &str) -> Result<Vec<Change>, SourceError> {
    changed_paths_in(&open(repo)?, old, new)
}

fn changed_paths_in(git: &gix::Repository, old: &str, new: &str) -> Result<Vec<Change>, SourceError> {
    let tree_of = |rev: &str| -> Result<ObjectId, SourceError> {
        let commit = find_commit(git, rev)?;
        Ok(commit.tree_id().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?.detach())
    };
    let (old_root, new_root) = (tree_of(old)?, tree_of(new)?);
    let mut by_path: std::collections::BTreeMap<String, Change> = std::collections::BTreeMap::new();
    // Directory pairs whose ids differ: (old, new, escaped path, why git refuses the path).
    type DirPair = (Option<ObjectId>, Option<ObjectId>, String, Option<&'static str>);
    let mut pending: Vec<DirPair> = vec![(Some(old_root), Some(new_root), String::new(), None)];
    while let Some((a, b, dir, refused)) = pending.pop() {
        let (before, after) = (tree_entries(git, a, &dir)?, tree_entries(git, b, &dir)?);
        let mut names: std::collections::BTreeMap<&[u8], (Vec<&RawEntry>, Vec<&RawEntry>)> = Default::default();
        for e in &before {
            names.entry(e.name.as_slice()).or_default().0.push(e);
        }
        for e in &after {
            names.entry(e.name.as_slice()).or_default().1.push(e);
        }
        for (name, (was, is)) in names {
            if was == is {
                continue;
            }
            let path = join(&dir, name.as_bstr());
            let mut why = refused.or_else(|| invalid_name(name));
            if is.len() > 1 {
                // What a checkout makes of a name listed twice is not the gate's to guess.
                why = why.or(Some(LISTED_TWICE));
            }
            let subtree = |side: &[&RawEntry]| side.iter().find(|e| e.mode.kind() == EntryKind::Tree).map(|e| e.id);
            let leaf = |side: &[&RawEntry], root: ObjectId| {
                side.iter().find_map(|e| {
                    let kind = match e.mode.kind() {
                        EntryKind::Tree => return None,
                        _ if why.is_some() => EntryType::Invalid(why.unwrap_or_default()),
                        EntryKind::Blob | EntryKind::BlobExecutable => EntryType::File,
                        EntryKind::Link => EntryType::Symlink,
                        EntryKind::Commit => EntryType::Submodule,
                    };
                    Some(TreeEntry { kind, id: e.id, root })
                })
            };
            let (old_dir, new_dir) = (subtree(&was), subtree(&is));
            if old_dir != new_dir {
                pending.push((old_dir, new_dir, path.clone(), why));
            }
            let (old_leaf, new_leaf) = (leaf(&was, old_root), leaf(&is, new_root));
            if old_leaf.is_some() || new_leaf.is_some() {
                let (o, n) = (old_leaf.map(|e| (e.kind, e.id)), new_leaf.map(|e| (e.kind, e.id)));
                // Mode changes (a file made executable) are changes; equal leaves with another
                // entry changing beside them (a listed-twice name) are not.
                if o != n || was.len() != is.len() || why.is_some() || mode_of(&was) != mode_of(&is) {
                    by_path.insert(path.clone(), Change { path, old: old_leaf, new: new_leaf });
                }
            }
        }
    }
    if old_root != new_root {
        for (path, parts, id) in symlinks_in(git, new_root)? {
            if by_path.contains_key(&path) {
                continue;
            }
            // Unchanged entry, so the same link is in both trees.
            let before = resolve_in_tree(git, old_root, &parts, id)?;
            let after = resolve_in_tree(git, new_root, &parts, id)?;
            if before != after {
                let entry = |root| Some(TreeEntry { kind: EntryType::Symlink, id, root });
                by_path.insert(path.clone(), Change { path, old: entry(old_root), new: entry(new_root) });
            }
        }
    }
    Ok(by_path.into_values().collect())
}

/// Why a name that appears twice in one tree object is refused.
const LISTED_TWICE: &str = "a name listed twice in one directory";

/// The names the tree lists more than once (only a crafted tree does; usually none).
fn names_listed_twice(tree: &gix::Tree<'_>, id: ObjectId, dir: &str) -> Result<Vec<Vec<u8>>, SourceError> {
    let mut names = Vec::new();
    for entry in tree.iter() {
        let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
        names.push(entry.inner.filename.as_bytes());
    }
    names.sort_unstable();
    let mut twice: Vec<Vec<u8>> = names.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0].to_vec()).collect();
    twice.dedup();
    Ok(twice)
}

/// One entry of a tree object, owned.
#[derive(PartialEq, Eq)]
struct RawEntry {
    name: Vec<u8>,
    mode: gix::objs::tree::EntryMode,
    id: ObjectId,
}

/// The mode of a side's first non-tree entry.
fn mode_of(side: &[&RawEntry]) -> Option<gix::objs::tree::EntryMode> {
    side.iter().find(|e| e.mode.kind() != EntryKind::Tree).map(|e| e.mode)
}

/// The entries of the tree `id` (none for `None`).
fn tree_entries(git: &gix::Repository, id: Option<ObjectId>, dir: &str) -> Result<Vec<RawEntry>, SourceError> {
    let Some(id) = id else { return Ok(Vec::new()) };
    let tree = git.find_tree(id).map_err(|e| object_error(dir, id, &e))?;
    let mut out = Vec::new();
    for entry in tree.iter() {
        let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
        out.push(RawEntry {
            name: entry.inner.filename.to_vec(),
            mode: entry.inner.mode,
            id: entry.inner.oid.to_owned(),
        });
    }
    Ok(out)
}

/// Symlinks found in a tree: escaped path, raw components, blob id.
type Links = Vec<(String, Vec<Vec<u8>>, ObjectId)>;

/// Every symlink in the tree `root` (none under a name git refuses).
fn symlinks_in(git: &gix::Repository, root: ObjectId) -> Result<Links, SourceError> {
    let mut out = Vec::new();
    let mut pending = vec![(root, String::new(), Vec::new())];
    while let Some((id, dir, parts)) = pending.pop() {
        let tree = git.find_tree(id).map_err(|e| object_error(&dir, id, &e))?;
        for entry in tree.iter() {
            let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
            let kind = entry.inner.mode.kind();
            if !matches!(kind, EntryKind::Tree | EntryKind::Link) || invalid_name(entry.inner.filename).is_some() {
                continue;
            }
            let path = join(&dir, entry.inner.filename);
            let mut parts: Vec<Vec<u8>> = parts.clone();
            parts.push(entry.inner.filename.to_vec());
            if kind == EntryKind::Tree {
                pending.push((entry.inner.oid.to_owned(), path, parts));
            } else {
                out.push((path, parts, entry.inner.oid.to_owned()));
            }
        }
    }
    Ok(out)
}

/// Where the link `id` at `parts` leads in the tree `root`: the target blob and its escaped path,
/// or why it leads nowhere the gate can read.
fn resolve_in_tree(
    git: &gix::Repository,
    root: ObjectId,
    parts: &[Vec<u8>],
    id: ObjectId,
) -> Result<Result<(ObjectId, String), String>, SourceError> {
    let target = match link_node(git, parts, id)? {
        Node::Link(target) => target,
        Node::LongLink(size) => return Ok(Err(link::too_long(size))),
        _ => return Ok(Err(link::too_long(0))),
    };
    Ok(match link::resolve(&mut TreeView { git, root }, parts, &target)? {
        Outcome::File { file, target } => Ok((file, target)),
        Outcome::Bad(why) => Err(why),
    })
}

/// Read sets of entries (repo-relative path and tree entry, e.g. the two sides of
/// [`changed_paths`]) as [`read_rev`] reads a tree: files on rayon workers, within the size cap;
/// a symlink is read through (resolved in its own commit's tree), submodules come back as skipped.
/// One [`Discovered`] per set, sorted by path.
///
/// All sets are read in one pass with the versions of a path next to each other, so one worker
/// reads them in a row and a version stored as a delta of the other finds its base in that
/// worker's cache.
pub fn read_entry_sets(
    repo: &Path,
    sets: Vec<Vec<(String, TreeEntry)>>,
    max_file_size: u64,
) -> Result<Vec<Discovered>, SourceError> {
    read_entry_sets_in(open(repo)?, sets, max_file_size)
}

fn read_entry_sets_in(
    git: gix::Repository,
    sets: Vec<Vec<(String, TreeEntry)>>,
    max_file_size: u64,
) -> Result<Vec<Discovered>, SourceError> {
    use rayon::prelude::*;
    let mut out: Vec<Discovered> = sets.iter().map(|_| Discovered::default()).collect();
    let mut blobs: Vec<(String, usize, ObjectId)> = Vec::new();
    for (i, set) in sets.into_iter().enumerate() {
        for (path, entry) in set {
            let parts = unescape_components(&path);
            if let Some(why) = parts.iter().find_map(|p| invalid_name(p)) {
                out[i].skipped.push(Skipped { path, reason: SkipReason::InvalidPath { why } });
                continue;
            }
            match entry.kind {
                EntryType::File => blobs.push((path, i, entry.id)),
                EntryType::Symlink => match resolve_in_tree(&git, entry.root, &parts, entry.id)? {
                    Ok((id, target)) => {
                        blobs.push((path.clone(), i, id));
                        out[i].skipped.push(Skipped { path, reason: SkipReason::Symlink { target } });
                    }
                    Err(why) => out[i].skipped.push(Skipped { path, reason: SkipReason::BadSymlink { why } }),
                },
                EntryType::Submodule => out[i].skipped.push(Skipped { path, reason: SkipReason::Submodule }),
                EntryType::Invalid(why) => {
                    out[i].skipped.push(Skipped { path, reason: SkipReason::InvalidPath { why } })
                }
            }
        }
    }
    blobs.sort();
    let shared = git.into_sync();
    let files: Vec<(usize, SourceFile)> = blobs
        .into_par_iter()
        .map_init(
            || (worker_repo(&shared), Vec::new()),
            |w, (path, i, id)| read_capped(w, path, id, max_file_size).map(|f| (i, f)),
        )
        .collect::<Result<_, _>>()?;
    for (i, f) in files {
        out[i].files.push(f);
    }
    for d in &mut out {
        d.files.sort_by(|a, b| a.path.cmp(&b.path));
        d.skipped.sort();
    }
    Ok(out)
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

/// A repository opened once for a whole run. Revisions are resolved once, by
/// [`Repo::resolve_commit`], to a [`CommitId`]; every other read takes a commit id, so a run
/// never resolves a name twice (a commit landing in between would mix two commits).
#[derive(Clone)]
pub struct Repo {
    shared: std::sync::Arc<gix::ThreadSafeRepository>,
    /// How many names [`Repo::resolve_commit`] resolved (shared by the clones of this handle).
    resolved: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("git_dir", &self.shared.git_dir()).finish()
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
    /// Open the repository containing `path`.
    pub fn open(path: &Path) -> Result<Repo, SourceError> {
        Ok(Repo { shared: std::sync::Arc::new(open(path)?.into_sync()), resolved: Default::default() })
    }

    fn git(&self) -> gix::Repository {
        self.shared.to_thread_local()
    }

    /// The commit `rev` names (anything `git rev-parse` understands that leads to a commit).
    pub fn resolve_commit(&self, rev: &str) -> Result<CommitId, SourceError> {
        self.resolved.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(CommitId(find_commit(&self.git(), rev)?.id.to_string()))
    }

    /// How many names this handle resolved: each revision of a run once.
    pub fn resolutions(&self) -> usize {
        self.resolved.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// [`read_rev`] of a resolved commit.
    pub fn read_rev(&self, id: &CommitId, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
        read_rev_in(&self.git(), id.as_str(), filter, max_file_size)
    }

    /// [`read_index`] of this repository.
    pub fn read_index(&self, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
        read_index_in(&self.git(), filter, max_file_size)
    }

    /// [`read_blob_at`] of a resolved commit.
    pub fn read_blob_at(&self, id: &CommitId, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        read_blob_in(&self.git(), id.as_str(), path)
    }

    /// [`read_files_under`] of a resolved commit.
    pub fn read_files_under(
        &self,
        id: &CommitId,
        path: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Option<NamedBlobs>, SourceError> {
        read_files_under_in(&self.git(), id.as_str(), path, keep)
    }

    /// [`merge_base`] of two resolved commits; `names` are how the user named them (messages).
    pub fn merge_base(&self, base: &CommitId, head: &CommitId, names: (&str, &str)) -> Result<CommitId, SourceError> {
        merge_base_named(self.git(), base.as_str(), head.as_str(), names).map(CommitId)
    }

    /// [`changed_paths`] between two resolved commits.
    pub fn changed_paths(&self, old: &CommitId, new: &CommitId) -> Result<Vec<Change>, SourceError> {
        changed_paths_in(&self.git(), old.as_str(), new.as_str())
    }

    /// [`read_entry_sets`] in this repository.
    pub fn read_entry_sets(
        &self,
        sets: Vec<Vec<(String, TreeEntry)>>,
        max_file_size: u64,
    ) -> Result<Vec<Discovered>, SourceError> {
        read_entry_sets_in(self.git(), sets, max_file_size)
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

/// The symlink blob `id` at `parts` as a [`Node::Link`] with its target (the blob's content), or
/// [`Node::LongLink`] when it is longer than any target the OS resolves (not read).
fn link_node(git: &gix::Repository, parts: &[Vec<u8>], id: ObjectId) -> Result<Node<ObjectId>, SourceError> {
    let shown = || escape_path(&parts.join(&b'/'));
    let size = git.find_header(id).map_err(|e| object_error(&shown(), id, &e))?.size();
    if size > link::MAX_TARGET {
        return Ok(Node::LongLink(size));
    }
    let mut blob = git.find_blob(id).map_err(|e| object_error(&shown(), id, &e))?;
    Ok(Node::Link(blob.take_data()))
}

/// What a tree entry of this kind is, for link resolution.
fn node(
    git: &gix::Repository,
    kind: EntryKind,
    id: ObjectId,
    parts: &[Vec<u8>],
) -> Result<Node<ObjectId>, SourceError> {
    Ok(match kind {
        EntryKind::Tree => Node::Dir,
        EntryKind::Blob | EntryKind::BlobExecutable => Node::File(id),
        EntryKind::Link => link_node(git, parts, id)?,
        EntryKind::Commit => Node::Submodule,
    })
}

/// A commit's tree, to resolve links in.
struct TreeView<'r> {
    git: &'r gix::Repository,
    root: ObjectId,
}

impl link::Tree for TreeView<'_> {
    type File = ObjectId;

    fn lookup(&mut self, path: &[Vec<u8>]) -> Result<Node<ObjectId>, SourceError> {
        let tree = self.git.find_tree(self.root).map_err(|e| object_error("", self.root, &e))?;
        let entry = tree
            .lookup_entry(path.iter().map(Vec::as_slice))
            .map_err(|e| SourceError::Git(format!("{}: {}", escape_path(&path.join(&b'/')), describe(&e))))?;
        match entry {
            None => Ok(Node::Missing),
            Some(e) => node(self.git, e.mode().kind(), e.object_id(), path),
        }
    }
}

/// The index (what `--staged` reads), to resolve links in: what `git commit` would record.
struct IndexView<'r> {
    git: &'r gix::Repository,
    state: &'r gix::index::State,
}

impl link::Tree for IndexView<'_> {
    type File = ObjectId;

    fn lookup(&mut self, path: &[Vec<u8>]) -> Result<Node<ObjectId>, SourceError> {
        use gix::index::entry::{Flags, Mode, Stage};
        let joined = path.join(&b'/');
        let gone = |e: &gix::index::Entry| e.flags.intersects(Flags::INTENT_TO_ADD | Flags::REMOVE);
        if let Some(e) = self.state.entry_by_path_and_stage(joined.as_bstr(), Stage::Unconflicted) {
            if !gone(e) {
                return Ok(match e.mode {
                    Mode::FILE | Mode::FILE_EXECUTABLE => Node::File(e.id),
                    Mode::SYMLINK => link_node(self.git, path, e.id)?,
                    Mode::COMMIT => Node::Submodule,
                    _ => Node::Dir,
                });
            }
        }
        if self.state.path_is_directory(joined.as_bstr()) {
            return Ok(Node::Dir);
        }
        // Under a sparse directory entry (`dir/`, outside the sparse cone): look in its tree.
        for i in (1..path.len()).rev() {
            let mut dir = path[..i].join(&b'/');
            dir.push(b'/');
            if let Some(e) = self.state.entry_by_path_and_stage(dir.as_bstr(), Stage::Unconflicted) {
                if e.mode == Mode::DIR && !gone(e) {
                    let tree = self.git.find_tree(e.id).map_err(|err| object_error(&escape_path(&dir), e.id, &err))?;
                    let entry = tree
                        .lookup_entry(path[i..].iter().map(Vec::as_slice))
                        .map_err(|err| SourceError::Git(format!("{}: {}", escape_path(&joined), describe(&err))))?;
                    return match entry {
                        None => Ok(Node::Missing),
                        Some(entry) => node(self.git, entry.mode().kind(), entry.object_id(), path),
                    };
                }
            }
        }
        Ok(Node::Missing)
    }
}

/// Where links found while collecting are resolved.
#[derive(Clone, Copy)]
enum View<'a> {
    /// A commit's tree (`--rev`, PR mode).
    Tree(ObjectId),
    /// The index (`--staged`, and tracked files the working tree lacks).
    Index(&'a gix::index::State),
}

/// Gathers files and skip notes while walking trees or the index.
pub(crate) struct Collector<'a> {
    git: &'a gix::Repository,
    filter: &'a PathFilter,
    max_file_size: u64,
    out: Discovered,
    /// Blobs to read once the walk is done (in parallel).
    blobs: Vec<(String, ObjectId)>,
    view: View<'a>,
}

impl<'a> Collector<'a> {
    fn new(git: &'a gix::Repository, filter: &'a PathFilter, max_file_size: u64, view: View<'a>) -> Self {
        Collector { git, filter, max_file_size, out: Discovered::default(), blobs: Vec::new(), view }
    }

    /// Walk the tree `id` (whose own path is `prefix`, escaped, and `parts`, raw; empty for the
    /// root) without recursion, so a pathologically deep tree cannot overflow the stack.
    /// Directories out of scope are pruned.
    fn tree(&mut self, id: ObjectId, prefix: String, parts: Vec<Vec<u8>>) -> Result<(), SourceError> {
        // The last element: why git refuses this directory's path (a crafted tree), if it does.
        let mut pending = vec![(id, prefix, parts, None)];
        while let Some((id, dir, parts, refused)) = pending.pop() {
            let tree = self.git.find_tree(id).map_err(|e| object_error(&dir, id, &e))?;
            let twice = names_listed_twice(&tree, id, &dir)?;
            for entry in tree.iter() {
                let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
                let name = entry.inner.filename;
                let path = join(&dir, name);
                // `..`, `.git`, a `/` inside a name, a name listed twice: git refuses to check
                // such a path out, and what it would mean is not the gate's to guess. What lies
                // under it is an error.
                let why = refused
                    .or_else(|| invalid_name(name))
                    .or_else(|| twice.iter().any(|n| n.as_slice() == name.as_bytes()).then_some(LISTED_TWICE));
                let oid = entry.inner.oid.to_owned();
                match entry.inner.mode.kind() {
                    EntryKind::Tree => {
                        if self.filter.dir_in_scope(&path) {
                            let mut sub = parts.clone();
                            sub.push(name.to_vec());
                            pending.push((oid, path, sub, why));
                        }
                    }
                    EntryKind::Commit => {
                        if self.filter.submodule_in_scope(&path) {
                            let reason = why.map_or(SkipReason::Submodule, |why| SkipReason::InvalidPath { why });
                            self.skip(path, reason);
                        }
                    }
                    _ if !self.filter.matches(&path) => {}
                    _ if why.is_some() => self.skip(path, SkipReason::InvalidPath { why: why.unwrap_or_default() }),
                    EntryKind::Blob | EntryKind::BlobExecutable => self.blob(path, oid),
                    EntryKind::Link => {
                        let mut link = parts.clone();
                        link.push(name.to_vec());
                        self.link(path, link, oid)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Queue the blob `id` at `path`; it is read in `finish`.
    fn blob(&mut self, path: String, id: ObjectId) {
        self.blobs.push((path, id));
    }

    /// Resolve the symlink blob `id` at `parts` in this collector's view: the file it leads to is
    /// queued under the link's own `path` (with a note naming the target), anything else is a
    /// blocking skip.
    fn link(&mut self, path: String, parts: Vec<Vec<u8>>, id: ObjectId) -> Result<(), SourceError> {
        let outcome = match link_node(self.git, &parts, id)? {
            Node::Link(target) => match self.view {
                View::Tree(root) => link::resolve(&mut TreeView { git: self.git, root }, &parts, &target)?,
                View::Index(state) => link::resolve(&mut IndexView { git: self.git, state }, &parts, &target)?,
            },
            Node::LongLink(size) => Outcome::Bad(link::too_long(size)),
            _ => Outcome::Bad(link::too_long(0)),
        };
        match outcome {
            Outcome::File { target, file } => {
                self.blobs.push((path.clone(), file));
                self.skip(path, SkipReason::Symlink { target });
            }
            Outcome::Bad(why) => self.skip(path, SkipReason::BadSymlink { why }),
        }
        Ok(())
    }

    fn skip(&mut self, path: String, reason: SkipReason) {
        self.out.skipped.push(Skipped { path, reason });
    }

    /// Read the queued blobs on rayon workers (one thread-local repository handle each), only
    /// when within the size cap, and return everything sorted by path.
    fn finish(mut self) -> Result<Discovered, SourceError> {
        use rayon::prelude::*;
        let shared = self.git.clone().into_sync();
        let max = self.max_file_size;
        let files: Result<Vec<SourceFile>, SourceError> = std::mem::take(&mut self.blobs)
            .into_par_iter()
            .map_init(|| (worker_repo(&shared), Vec::new()), |w, (path, id)| read_capped(w, path, id, max))
            .collect();
        self.out.files = files?;
        self.out.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.out.skipped.sort();
        Ok(self.out)
    }
}

/// A repository handle for one rayon worker, with its own object cache.
fn worker_repo(shared: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut repo = shared.to_thread_local();
    repo.object_cache_size_if_unset(4 << 20);
    // Delta bases: similar manifests are stored as long delta chains in a pack, and without a
    // base cache every blob inflates its whole chain again (zlib was a quarter of a run).
    repo.objects.set_pack_cache(|| Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(32 << 20)));
    repo
}

/// The blob `id` at `path`, unless it is larger than `max` bytes (then only its size).
fn read_capped(
    (git, buf): &mut (gix::Repository, Vec<u8>),
    path: String,
    id: ObjectId,
    max: u64,
) -> Result<SourceFile, SourceError> {
    // The header gives the size without inflating the object (for a delta, only its header).
    let size = git.find_header(id).map_err(|e| object_error(&path, id, &e))?.size();
    if size > max {
        return Ok(SourceFile { path, bytes: Vec::new(), too_large: Some(size) });
    }
    // Decoded into the worker's buffer, reused from one blob to the next, then copied out at its
    // size: a fresh decode buffer per blob was grown and zeroed each time (~15 of ~115 ms).
    use gix::prelude::FindExt;
    let blob = git.objects.find_blob(&id, buf).map_err(|e| object_error(&path, id, &e))?;
    Ok(SourceFile { path, bytes: blob.data.to_vec(), too_large: None })
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
    fn missing_path_is_an_io_error() {
        assert!(matches!(open(Path::new("/nonexistent/tollgate/dir")), Err(SourceError::Io { .. })));
    }
}
