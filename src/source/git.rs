//! Read files straight from git objects: a commit's tree (`--rev`) or the index (`--staged`).
//!
//! Nothing here looks at the working tree, so uncommitted (or unstaged) edits are invisible, and
//! the same code works in bare repositories, shallow clones and on a detached HEAD. Symlinks and
//! submodules (gitlinks) that match the filter are reported as skipped, never followed.

use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::ObjectId;

use super::{Discovered, PathFilter, SkipReason, Skipped, SourceError, SourceFile};

/// The work-tree root of the repository containing `start` (searching upwards like git does), or
/// the git directory itself for a bare repository. `None` when `start` is not inside a repository.
pub fn find_repo_root(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let dir = if start.is_file() { start.parent()?.to_path_buf() } else { start };
    let repo = gix::discover(&dir).ok()?;
    Some(repo.workdir().unwrap_or_else(|| repo.git_dir()).to_path_buf())
}

/// Every file matching `filter` in the tree of the commit `rev` names, sorted by path.
///
/// `rev` is anything `git rev-parse` understands that leads to a commit (`HEAD`, a branch, a tag,
/// a short or full id, `HEAD~1`, `origin/main`). Blobs larger than `max_file_size` bytes are not
/// read; they come back with `too_large` set.
pub fn read_rev(repo: &Path, rev: &str, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
    let git = open(repo)?;
    let commit = find_commit(&git, rev)?;
    let tree_id = commit.tree_id().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))?;
    let mut collector = Collector::new(&git, filter, max_file_size);
    collector.tree(tree_id.detach(), "")?;
    collector.finish()
}

/// Every file matching `filter` in the index, i.e. the content `git commit` would record.
///
/// Honours `GIT_INDEX_FILE` (pre-commit hooks under `git commit -a` or `git commit PATH` run
/// against a temporary index); a relative value is resolved against the current directory, as
/// git does. Only stage-0 entries are reported: a conflicted path has none and is left out.
/// Entries added with `git add -N` (intent to add) are left out too, as `git commit` does.
pub fn read_index(repo: &Path, filter: &PathFilter, max_file_size: u64) -> Result<Discovered, SourceError> {
    use gix::index::entry::{Flags, Mode};

    let git = open(repo)?;
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

    let mut collector = Collector::new(&git, filter, max_file_size);
    for entry in index.entries() {
        if entry.stage_raw() != 0 || entry.flags.intersects(Flags::INTENT_TO_ADD | Flags::REMOVE) {
            continue;
        }
        let path = entry.path(&index).to_str_lossy();
        if entry.mode == Mode::DIR {
            // A sparse index keeps directories outside the sparse cone as one tree entry.
            let dir = path.trim_end_matches('/');
            if filter.dir_in_scope(dir) {
                collector.tree(entry.id, dir)?;
            }
            continue;
        }
        if entry.mode == Mode::COMMIT {
            if filter.submodule_in_scope(&path) {
                collector.skip(path.into_owned(), SkipReason::Submodule);
            }
            continue;
        }
        if !filter.matches(&path) {
            continue;
        }
        let path = path.into_owned();
        if entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE {
            collector.blob(path, entry.id)?;
        } else if entry.mode == Mode::SYMLINK {
            collector.skip(path, SkipReason::Symlink);
        }
    }
    collector.finish()
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
    let git = open(repo)?;
    let commit = find_commit(&git, rev)?;
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
}

/// One side of a changed path: what the tree held there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    pub kind: EntryType,
    pub id: ObjectId,
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
    let mut git = open(repo)?;
    git.object_cache_size_if_unset(16 << 20);
    let base_id = find_commit(&git, base)?.id;
    let head_id = find_commit(&git, head)?.id;
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
/// size of the change.
pub fn changed_paths(repo: &Path, old: &str, new: &str) -> Result<Vec<Change>, SourceError> {
    use gix::diff::tree::recorder::Change as Recorded;

    let git = open(repo)?;
    let tree_of = |rev: &str| -> Result<gix::Tree<'_>, SourceError> {
        let commit = find_commit(&git, rev)?;
        commit.tree().map_err(|e| SourceError::Git(format!("commit {}: {}", commit.id, describe(&e))))
    };
    let (old_tree, new_tree) = (tree_of(old)?, tree_of(new)?);
    let mut recorder = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        gix::objs::TreeRefIter::from_bytes(&old_tree.data, old_tree.id.kind()),
        gix::objs::TreeRefIter::from_bytes(&new_tree.data, new_tree.id.kind()),
        &mut gix::diff::tree::State::default(),
        &git.objects,
        &mut recorder,
    )
    .map_err(|e| SourceError::Git(format!("diff of {old} and {new}: {}", describe(&e))))?;
    let side = |mode: gix::objs::tree::EntryMode, id: ObjectId| -> Option<TreeEntry> {
        let kind = match mode.kind() {
            EntryKind::Blob | EntryKind::BlobExecutable => EntryType::File,
            EntryKind::Link => EntryType::Symlink,
            EntryKind::Commit => EntryType::Submodule,
            EntryKind::Tree => return None,
        };
        Some(TreeEntry { kind, id })
    };
    // A path can be recorded twice when a directory and a file swap places (deleted as one kind,
    // added as the other); merge the two sides by path.
    let mut by_path: std::collections::BTreeMap<String, Change> = std::collections::BTreeMap::new();
    for rec in recorder.records {
        let (path, old, new) = match rec {
            Recorded::Addition { entry_mode, oid, path, .. } => (path, None, side(entry_mode, oid)),
            Recorded::Deletion { entry_mode, oid, path, .. } => (path, side(entry_mode, oid), None),
            Recorded::Modification { previous_entry_mode, previous_oid, entry_mode, oid, path } => {
                (path, side(previous_entry_mode, previous_oid), side(entry_mode, oid))
            }
        };
        if old.is_none() && new.is_none() {
            continue;
        }
        let path = path.to_str_lossy().into_owned();
        let c = by_path.entry(path.clone()).or_insert(Change { path, old: None, new: None });
        c.old = c.old.or(old);
        c.new = c.new.or(new);
    }
    Ok(by_path.into_values().collect())
}

/// Read sets of entries (repo-relative path and tree entry, e.g. the two sides of
/// [`changed_paths`]) as [`read_rev`] reads a tree: files on rayon workers, within the size cap;
/// symlinks and submodules come back as skipped. One [`Discovered`] per set, sorted by path.
///
/// All sets are read in one pass with the versions of a path next to each other, so one worker
/// reads them in a row and a version stored as a delta of the other finds its base in that
/// worker's cache.
pub fn read_entry_sets(
    repo: &Path,
    sets: Vec<Vec<(String, TreeEntry)>>,
    max_file_size: u64,
) -> Result<Vec<Discovered>, SourceError> {
    use rayon::prelude::*;
    let git = open(repo)?;
    let mut out: Vec<Discovered> = sets.iter().map(|_| Discovered::default()).collect();
    let mut blobs: Vec<(String, usize, ObjectId)> = Vec::new();
    for (i, set) in sets.into_iter().enumerate() {
        for (path, entry) in set {
            match entry.kind {
                EntryType::File => blobs.push((path, i, entry.id)),
                EntryType::Symlink => out[i].skipped.push(Skipped { path, reason: SkipReason::Symlink }),
                EntryType::Submodule => out[i].skipped.push(Skipped { path, reason: SkipReason::Submodule }),
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
    let git = open(repo)?;
    let commit = find_commit(&git, rev)?;
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
            let name = entry.inner.filename.to_str_lossy();
            let p = if dir.is_empty() { name.into_owned() } else { format!("{dir}/{name}") };
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

/// Gathers files and skip notes while walking trees or the index.
struct Collector<'a> {
    git: &'a gix::Repository,
    filter: &'a PathFilter,
    max_file_size: u64,
    out: Discovered,
    /// Blobs to read once the walk is done (in parallel).
    blobs: Vec<(String, ObjectId)>,
}

impl<'a> Collector<'a> {
    fn new(git: &'a gix::Repository, filter: &'a PathFilter, max_file_size: u64) -> Self {
        Collector { git, filter, max_file_size, out: Discovered::default(), blobs: Vec::new() }
    }

    /// Walk the tree `id` (whose own path is `prefix`, empty for the root) without recursion, so
    /// a pathologically deep tree cannot overflow the stack. Directories out of scope are pruned.
    fn tree(&mut self, id: ObjectId, prefix: &str) -> Result<(), SourceError> {
        let mut pending = vec![(id, prefix.to_string())];
        while let Some((id, dir)) = pending.pop() {
            let tree = self.git.find_tree(id).map_err(|e| object_error(&dir, id, &e))?;
            for entry in tree.iter() {
                let entry = entry.map_err(|e| SourceError::Git(format!("tree {id} ({dir}/): {}", describe(&e))))?;
                let name = entry.inner.filename.to_str_lossy();
                let path = if dir.is_empty() { name.into_owned() } else { format!("{dir}/{name}") };
                let oid = entry.inner.oid.to_owned();
                match entry.inner.mode.kind() {
                    EntryKind::Tree => {
                        if self.filter.dir_in_scope(&path) {
                            pending.push((oid, path));
                        }
                    }
                    EntryKind::Blob | EntryKind::BlobExecutable => {
                        if self.filter.matches(&path) {
                            self.blob(path, oid)?;
                        }
                    }
                    EntryKind::Link => {
                        if self.filter.matches(&path) {
                            self.skip(path, SkipReason::Symlink);
                        }
                    }
                    EntryKind::Commit => {
                        if self.filter.submodule_in_scope(&path) {
                            self.skip(path, SkipReason::Submodule);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Queue the blob `id` at `path`; it is read in `finish`.
    fn blob(&mut self, path: String, id: ObjectId) -> Result<(), SourceError> {
        self.blobs.push((path, id));
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
