//! Confinement: where tollgate may read and write when a path comes from the checked repository
//! (`.tollgate.yaml`, a schema location's contents, a policy's `parse_config_file`) rather than
//! from the command line. Every file of the checked source may be written by a hostile pull
//! request, so such a path stays inside the repository, never under its git directory (hooks,
//! config, credentials) and never through a symbolic link that leaves it. Inside a git repository
//! `parse_config_file` reads only files git tracks (or the git objects of the commit or index
//! checked), and a report the config names never replaces a tracked file. Paths typed on the
//! command line are the user's and stay free.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::ObjectId;

pub use crate::error::Refusal;
use crate::error::{GitError, GitFilesError};

/// The repository a run is confined to: its top directory and the git directories under it that
/// nothing from the repository may touch.
#[derive(Debug, Clone)]
pub struct Jail {
    /// The top of the work tree (the git directory of a bare repository; the current directory
    /// outside a repository), as found.
    root: PathBuf,
    /// `root` with symlinks resolved.
    canonical: PathBuf,
    /// The git directory, the common git directory and the hooks directory, each as configured
    /// (absolute, normalised) and, when it exists, resolved.
    git_dirs: Vec<PathBuf>,
}

impl Jail {
    /// The jail of the repository whose top directory is `root`.
    pub fn new(root: &Path) -> Jail {
        let root = std::path::absolute(root).map(|p| normalize(&p)).unwrap_or_else(|_| root.to_path_buf());
        let canonical = root.canonicalize().unwrap_or_else(|_| root.clone());
        let mut git_dirs = Vec::new();
        if let Ok(repo) = gix::discover(&root) {
            let abs = |p: &Path| if p.is_absolute() { normalize(p) } else { normalize(&root.join(p)) };
            let mut dirs = vec![abs(repo.git_dir()), abs(repo.common_dir())];
            if let Ok(hooks) = super::git::hooks_dir_of(&repo, &root) {
                dirs.push(abs(&hooks));
            }
            for d in dirs {
                if let Ok(c) = d.canonicalize() {
                    git_dirs.push(c);
                }
                git_dirs.push(d);
            }
        }
        Jail { root, canonical, git_dirs }
    }

    /// The top directory, as found.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the resolved path `canonical` lies inside the repository.
    pub fn contains(&self, canonical: &Path) -> bool {
        canonical.starts_with(&self.canonical)
    }

    /// The repo-relative, `/`-separated form of `p` (absolute), lexically (`.` and `..` removed,
    /// nothing resolved): `None` when it lies outside the top directory as spelt or resolved.
    pub fn relative(&self, p: &Path) -> Option<String> {
        let n = normalize(p);
        [&self.root, &self.canonical]
            .iter()
            .find_map(|r| n.strip_prefix(r).ok())
            .map(|rel| rel.to_string_lossy().replace('\\', "/"))
    }

    /// Whether `p` (absolute) lies inside the repository, as spelt or once resolved.
    pub fn holds(&self, p: &Path) -> bool {
        let n = normalize(p);
        n.starts_with(&self.root) || n.starts_with(&self.canonical) || p.canonicalize().is_ok_and(|c| self.contains(&c))
    }

    /// Why tollgate will not touch `p` (absolute) as a file of the repository: it lies in a git
    /// directory (`.git` anywhere below the top, the git and common directories, the hooks
    /// directory). `None`: it does not.
    fn git_reason(&self, p: &Path) -> Option<Refusal> {
        let under_git_name = [&self.root, &self.canonical].iter().any(|r| {
            p.strip_prefix(r).is_ok_and(|rel| {
                rel.components().any(|c| matches!(c, Component::Normal(n) if n.eq_ignore_ascii_case(".git")))
            })
        });
        let dir = self.git_dirs.iter().find(|d| p.starts_with(d));
        match (under_git_name, dir) {
            (_, Some(d)) => Some(Refusal::InGitDir(d.clone())),
            (true, None) => Some(Refusal::InDotGit),
            (false, None) => None,
        }
    }

    /// The real path of `p` (absolute) when tollgate may read it as a file of the repository: it
    /// exists, its real path (symlinks resolved) is inside the repository and not in a git
    /// directory. The error says why not.
    pub fn resolve(&self, p: &Path) -> Result<PathBuf, Refusal> {
        let real = p.canonicalize().map_err(|source| Refusal::Io { path: None, source })?;
        if !self.contains(&real) {
            let via_link = real != normalize(p);
            return Err(Refusal::Outside { real, via_link });
        }
        match self.git_reason(&real).or_else(|| self.git_reason(&normalize(p))) {
            Some(why) => Err(why),
            None => Ok(real),
        }
    }

    /// Whether [`Jail::create`] may create `rel`; nothing is made. The error says why not.
    pub fn check_create(&self, rel: &Path) -> Result<(), Refusal> {
        relative_inside(rel)?;
        let target = self.root.join(rel);
        if let Some(why) = self.git_reason(&target) {
            return Err(why);
        }
        // The directories that exist: none a link, none resolving outside or into a git directory.
        let existing = walk_dirs(&self.root, rel.parent().unwrap_or(Path::new("")), false)?;
        let real = existing.canonicalize().map_err(|source| Refusal::Io { path: Some(existing.clone()), source })?;
        if !self.contains(&real) {
            return Err(Refusal::DirOutside(existing));
        }
        if let Some(why) = self.git_reason(&real) {
            return Err(why);
        }
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => Err(Refusal::Link(None)),
            Ok(m) if m.is_dir() => Err(Refusal::IsDir),
            _ => Ok(()),
        }
    }

    /// Create the file `rel` (relative to the top directory, no `..`) for writing, replacing a
    /// regular file there: directories that are missing are made, no component may be a symbolic
    /// link, nothing is written in a git directory, and the file is created afresh (an existing
    /// file's mode, such as an exec bit, is not kept). The error says why not.
    pub fn create(&self, rel: &Path) -> Result<File, Refusal> {
        // Everything is checked before any directory is made, so a refused path leaves nothing.
        self.check_create(rel)?;
        walk_dirs(&self.root, rel.parent().unwrap_or(Path::new("")), true)?;
        create_fresh(&self.root.join(rel), true, 0o644).map_err(|source| Refusal::Io { path: None, source })
    }
}

/// A path from a config file is relative and has no `..`: it cannot name anything outside the
/// directory it is resolved against (a symlink on the way is checked when it is used).
pub fn relative_inside(p: &Path) -> Result<(), Refusal> {
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(Refusal::ParentDir),
            Component::RootDir | Component::Prefix(_) => return Err(Refusal::Absolute),
        }
    }
    Ok(())
}

/// Walk the directories of `rel` below `base`: each must be a real directory (not a symbolic
/// link). A missing one is made when `create`, else the walk stops there. Returns the deepest
/// directory that exists.
pub fn walk_dirs(base: &Path, rel: &Path, create: bool) -> Result<PathBuf, Refusal> {
    let mut at = base.to_path_buf();
    for c in rel.components() {
        let Component::Normal(name) = c else { continue };
        let next = at.join(name);
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() => return Err(Refusal::Link(Some(next))),
            Ok(m) if m.is_dir() => at = next,
            Ok(_) => return Err(Refusal::NotADir(next)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                if let Err(source) = std::fs::create_dir(&next) {
                    return Err(Refusal::Io { path: Some(next), source });
                }
                at = next;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(at),
            Err(source) => return Err(Refusal::Io { path: Some(next), source }),
        }
    }
    Ok(at)
}

/// Create `path` as a new file with `mode` (unix; less the umask): never through a symbolic link
/// (`create_new` is `O_CREAT|O_EXCL`, which does not follow one), replacing a regular file there
/// when `replace` (removed first, so its mode and any other name it has are not reused).
pub fn create_fresh(path: &Path, replace: bool, mode: u32) -> std::io::Result<File> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(std::io::Error::other("it is a symbolic link; tollgate does not write through links"))
        }
        Ok(m) if m.is_file() && replace => std::fs::remove_file(path)?,
        Ok(m) if m.is_dir() => return Err(std::io::Error::other("it is a directory")),
        _ => {}
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    o.open(path)
}

/// Read at most `cap` bytes from `r`: `Ok(Ok(bytes))`, or `Ok(Err(size))` when there is more
/// (then the rest is read and counted, never kept, so the size is exact and memory stays at the
/// cap).
pub fn read_capped(mut r: impl Read, cap: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    let mut buf = Vec::new();
    (&mut r).take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if (buf.len() as u64) <= cap {
        return Ok(Ok(buf));
    }
    let mut size = buf.len() as u64;
    drop(buf);
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => return Ok(Err(size)),
            Ok(n) => size += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `p` without `.` and `..` components (without touching the file system).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// What git tracks: a file of the repository that git does not track was not committed by anyone
// (a CI credential file, a local `.env`), so what the repository names is read only from tracked
// files or from git objects, and a report is never written over a tracked file.

/// What an index entry is, as far as reading files goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Link,
    Submodule,
    /// A directory outside the cone of a sparse index: its files are in the tree it names.
    SparseDir,
    /// Only conflict stages (an unresolved merge).
    Conflict,
}

/// The entries of an index, read once.
struct IndexSnapshot {
    repo: gix::ThreadSafeRepository,
    entries: BTreeMap<String, (Kind, ObjectId)>,
}

/// The index of the repository whose top directory is `root` (`GIT_INDEX_FILE` honoured, as
/// `check --staged` reads it), read the first time it is needed and then kept for the run.
pub struct GitIndex {
    root: PathBuf,
    loaded: OnceLock<Result<IndexSnapshot, GitError>>,
}

impl std::fmt::Debug for GitIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitIndex").field("root", &self.root).finish_non_exhaustive()
    }
}

impl GitIndex {
    pub fn new(root: &Path) -> GitIndex {
        GitIndex { root: root.to_path_buf(), loaded: OnceLock::new() }
    }

    fn get(&self) -> Result<&IndexSnapshot, GitError> {
        self.loaded.get_or_init(|| load_index(&self.root)).as_ref().map_err(Clone::clone)
    }

    /// Whether the index holds `rel` (repo-relative, exact) as a regular file.
    pub fn has_file(&self, rel: &str) -> Result<bool, GitError> {
        let snap = self.get()?;
        if let Some((kind, _)) = snap.entries.get(rel) {
            return Ok(*kind == Kind::File);
        }
        // Under a directory of a sparse index: in the tree it names.
        match sparse_parent(&snap.entries, rel) {
            Some((dir, id)) => {
                let repo = snap.repo.to_thread_local();
                let rest = &rel[dir + 1..];
                Ok(matches!(tree_lookup(&repo, id, rest)?, Some((Kind::File, _))))
            }
            None => Ok(false),
        }
    }
}

fn load_index(root: &Path) -> Result<IndexSnapshot, GitError> {
    use gix::index::entry::{Flags, Mode};
    let repo = gix::discover(root).map_err(|e| GitError::new(root.display().to_string(), e))?;
    let mut entries = BTreeMap::new();
    // No index file (a fresh repository, a bare one): nothing is tracked in it.
    if repo.index_path().exists() {
        let index = repo
            .open_index()
            .map_err(|e| GitError::new(format!("{}: cannot read the index", repo.index_path().display()), e))?;
        for e in index.entries() {
            if e.flags.intersects(Flags::INTENT_TO_ADD | Flags::REMOVE) {
                continue;
            }
            let path = e.path(&index).to_str_lossy().into_owned();
            let kind = match e.mode {
                _ if e.stage_raw() != 0 => Kind::Conflict,
                Mode::FILE | Mode::FILE_EXECUTABLE => Kind::File,
                Mode::SYMLINK => Kind::Link,
                Mode::COMMIT => Kind::Submodule,
                Mode::DIR => Kind::SparseDir,
                _ => continue,
            };
            let slot = entries.entry(path.trim_end_matches('/').to_string()).or_insert((kind, e.id));
            // Stage 0 wins over conflict stages (there is none when a path is in conflict).
            if slot.0 == Kind::Conflict && kind != Kind::Conflict {
                *slot = (kind, e.id);
            }
        }
    }
    Ok(IndexSnapshot { repo: repo.into_sync(), entries })
}

/// The sparse directory entry above `rel`, if any: its length and tree.
fn sparse_parent(entries: &BTreeMap<String, (Kind, ObjectId)>, rel: &str) -> Option<(usize, ObjectId)> {
    let mut at = rel;
    while let Some((parent, _)) = at.rsplit_once('/') {
        if let Some((Kind::SparseDir, id)) = entries.get(parent) {
            return Some((parent.len(), *id));
        }
        at = parent;
    }
    None
}

fn tree_kind(kind: EntryKind) -> Kind {
    match kind {
        EntryKind::Blob | EntryKind::BlobExecutable => Kind::File,
        EntryKind::Link => Kind::Link,
        EntryKind::Commit => Kind::Submodule,
        EntryKind::Tree => Kind::SparseDir,
    }
}

/// The entry at `rest` (`/`-separated) below the tree `id`.
fn tree_lookup(repo: &gix::Repository, id: ObjectId, rest: &str) -> Result<Option<(Kind, ObjectId)>, GitError> {
    let tree = repo.find_tree(id).map_err(|e| GitError::new(format!("tree {id}"), e))?;
    let parts = rest.split('/').filter(|c| !c.is_empty() && *c != ".");
    let entry = tree.lookup_entry(parts).map_err(|e| GitError::new(format!("{rest} in tree {id}"), e))?;
    Ok(entry.map(|e| (tree_kind(e.mode().kind()), e.object_id())))
}

/// The regular files below the tree `id` (whose path is `dir`) that pass `keep`.
fn tree_files(
    repo: &gix::Repository,
    id: ObjectId,
    dir: &str,
    keep: &dyn Fn(&str) -> bool,
    out: &mut Vec<(String, ObjectId)>,
) -> Result<(), GitError> {
    let mut pending = vec![(id, dir.to_string())];
    while let Some((id, dir)) = pending.pop() {
        let tree = repo.find_tree(id).map_err(|e| GitError::new(format!("{dir}: tree {id}"), e))?;
        for entry in tree.iter() {
            let entry = entry.map_err(|e| GitError::new(format!("{dir}: tree {id}"), e))?;
            let name = entry.inner.filename.to_str_lossy();
            let p = if dir.is_empty() { name.into_owned() } else { format!("{dir}/{name}") };
            match tree_kind(entry.inner.mode.kind()) {
                Kind::SparseDir => pending.push((entry.inner.oid.to_owned(), p)),
                Kind::File if keep(&p) => out.push((p, entry.inner.oid.to_owned())),
                _ => {}
            }
        }
    }
    Ok(())
}

fn blob(repo: &gix::Repository, rel: &str, id: ObjectId) -> Result<Vec<u8>, GitError> {
    let mut b = repo.find_blob(id).map_err(|e| GitError::new(format!("{rel}: cannot read object {id}"), e))?;
    Ok(b.take_data())
}

/// The repository's files in git objects, read instead of the disk: the index (`--staged`) or a
/// commit (`--rev`, PR mode).
#[derive(Debug, Clone)]
pub enum GitFiles {
    Index(Arc<GitIndex>),
    /// The commit `id` (full) of the repository `repo`; `name` is how the user named it.
    Commit {
        repo: super::git::Repo,
        id: super::git::CommitId,
        name: String,
    },
}

impl GitFiles {
    /// Where the files come from, for messages.
    pub fn name(&self) -> String {
        match self {
            GitFiles::Index(_) => "the index".to_string(),
            GitFiles::Commit { name, .. } => name.clone(),
        }
    }

    /// An error of `source::git`, with the commit as the user named it.
    fn git_error(&self, source: super::SourceError) -> GitFilesError {
        let shown = match self {
            GitFiles::Commit { id, name, .. } => source.to_string().replace(id.as_str(), name),
            GitFiles::Index(_) => source.to_string(),
        };
        GitFilesError::Commit { shown, source }
    }

    /// The content of the file `rel` (repo-relative, `/`-separated); `None` when there is none. A
    /// directory, symbolic link or submodule there is an error.
    pub fn file(&self, rel: &str) -> Result<Option<Vec<u8>>, GitFilesError> {
        let rel = rel.trim_start_matches("./");
        let idx = match self {
            GitFiles::Commit { repo, id, .. } => return repo.read_blob_at(id, rel).map_err(|e| self.git_error(e)),
            GitFiles::Index(idx) => idx,
        };
        let snap = idx.get()?;
        let repo = snap.repo.to_thread_local();
        match snap.entry(&repo, rel)? {
            Some((Kind::File, id)) => Ok(Some(blob(&repo, rel, id)?)),
            Some((kind, _)) => Err(not_a_file(rel, kind)),
            None if snap.has_under(rel) => Err(not_a_file(rel, Kind::SparseDir)),
            None => Ok(None),
        }
    }

    /// [`GitFiles::file`] of each of `rels`, reading a commit's objects with one open of its store.
    pub fn files(&self, rels: &[String]) -> Vec<Result<Option<Vec<u8>>, GitFilesError>> {
        match self {
            GitFiles::Commit { repo, id, .. } => {
                let rels: Vec<String> = rels.iter().map(|r| r.trim_start_matches("./").to_string()).collect();
                match repo.read_blobs_at(id, &rels) {
                    Ok(all) => all.into_iter().map(Ok).collect(),
                    // One path the batch could not read (a directory, a link): each on its own.
                    Err(_) => rels.iter().map(|r| self.file(r)).collect(),
                }
            }
            GitFiles::Index(_) => rels.iter().map(|r| self.file(r)).collect(),
        }
    }

    /// The files at `rel` (repo-relative; empty or `.` for the top): `rel` itself when it is a
    /// file, else every regular file under it whose repo-relative path passes `keep`, sorted by
    /// path (symbolic links and submodules are left out). `None` when there is nothing at `rel`.
    pub fn files_under(
        &self,
        rel: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Option<super::git::NamedBlobs>, GitFilesError> {
        let rel = normalize(Path::new(rel)).to_string_lossy().replace('\\', "/");
        let idx = match self {
            GitFiles::Commit { repo, id, .. } => {
                return repo.read_files_under(id, &rel, keep).map_err(|e| self.git_error(e))
            }
            GitFiles::Index(idx) => idx,
        };
        let snap = idx.get()?;
        let repo = snap.repo.to_thread_local();
        let mut found: Vec<(String, ObjectId)> = Vec::new();
        match snap.entry(&repo, &rel)? {
            Some((Kind::File, id)) => return Ok(Some(vec![(rel.clone(), blob(&repo, &rel, id)?)])),
            // A directory a sparse index keeps as one entry: its files are in its tree.
            Some((Kind::SparseDir, id)) => tree_files(&repo, id, &rel, keep, &mut found)?,
            Some((kind, _)) => return Err(not_a_file(&rel, kind)),
            None if !snap.has_under(&rel) => return Ok(None),
            None => {
                for (p, (kind, id)) in snap.entries.iter().filter(|(p, _)| rel.is_empty() || under(p, &rel)) {
                    match kind {
                        Kind::File if keep(p) => found.push((p.clone(), *id)),
                        Kind::SparseDir => tree_files(&repo, *id, p, keep, &mut found)?,
                        _ => {}
                    }
                }
            }
        }
        found.sort();
        Ok(Some(found.into_iter().map(|(p, id)| blob(&repo, &p, id).map(|b| (p, b))).collect::<Result<Vec<_>, _>>()?))
    }
}

impl IndexSnapshot {
    /// The entry at `rel`: in the index, or in the tree of a sparse directory above it.
    fn entry(&self, repo: &gix::Repository, rel: &str) -> Result<Option<(Kind, ObjectId)>, GitError> {
        if let Some(e) = self.entries.get(rel) {
            return Ok(Some(*e));
        }
        match sparse_parent(&self.entries, rel) {
            Some((dir, id)) => tree_lookup(repo, id, &rel[dir + 1..]),
            None => Ok(None),
        }
    }

    /// Whether the index has entries below the directory `rel` (every entry for the top).
    fn has_under(&self, rel: &str) -> bool {
        rel.is_empty() || self.entries.range(format!("{rel}/")..).next().is_some_and(|(p, _)| under(p, rel))
    }
}

/// Why `rel` in the index is not a file.
fn not_a_file(rel: &str, kind: Kind) -> GitFilesError {
    let what = match kind {
        Kind::File => "a file",
        Kind::Link => "a symbolic link",
        Kind::Submodule => "a submodule",
        Kind::SparseDir => "a directory",
        Kind::Conflict => "in conflict (unresolved merge)",
    };
    GitFilesError::NotAFile { rel: rel.to_string(), what }
}

/// Whether the repo-relative path `p` lies below the directory `dir`.
fn under(p: &str, dir: &str) -> bool {
    p.len() > dir.len() && p.starts_with(dir) && p.as_bytes()[dir.len()] == b'/'
}

/// Where git tracks `rel` (repo-relative) under any ASCII case (a case-insensitive file system
/// writes `PACKAGE.JSON` over `package.json`): the index of `index`, `HEAD`, or one of the
/// `commits` (full ids). `None`: nowhere. A path below a tracked entry counts.
pub fn tracked_anywhere(index: &GitIndex, rel: &str, commits: &[&str]) -> Result<Option<String>, GitError> {
    let rel = normalize(Path::new(rel)).to_string_lossy().replace('\\', "/");
    let same = |p: &str| {
        p.eq_ignore_ascii_case(&rel)
            || (rel.len() > p.len() && rel.as_bytes()[p.len()] == b'/' && rel[..p.len()].eq_ignore_ascii_case(p))
    };
    let snap = index.get()?;
    if snap.entries.keys().any(|p| same(p)) {
        return Ok(Some("in the index".to_string()));
    }
    let repo = snap.repo.to_thread_local();
    let mut trees: Vec<(String, ObjectId)> = Vec::new();
    if let Ok(id) = repo.head_tree_id() {
        trees.push(("in HEAD".to_string(), id.detach()));
    }
    for c in commits {
        let id = ObjectId::from_hex(c.as_bytes()).map_err(|e| GitError::new(*c, e))?;
        let commit = repo.find_commit(id).map_err(|e| GitError::new(format!("commit {c}"), e))?;
        let tree = commit.tree_id().map_err(|e| GitError::new(format!("commit {c}"), e))?;
        trees.push((format!("in commit {}", &c[..c.len().min(12)]), tree.detach()));
    }
    for (where_, tree) in trees {
        if tree_has_any_case(&repo, tree, &rel)? {
            return Ok(Some(where_));
        }
    }
    Ok(None)
}

/// Whether the tree `id` has an entry at `rel` or above it, comparing names without ASCII case.
fn tree_has_any_case(repo: &gix::Repository, id: ObjectId, rel: &str) -> Result<bool, GitError> {
    let mut level = vec![id];
    for part in rel.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for id in level {
            let tree = repo.find_tree(id).map_err(|e| GitError::new(format!("tree {id}"), e))?;
            for entry in tree.iter() {
                let entry = entry.map_err(|e| GitError::new(format!("tree {id}"), e))?;
                if !entry.inner.filename.eq_ignore_ascii_case(part.as_bytes()) {
                    continue;
                }
                match entry.inner.mode.kind() {
                    EntryKind::Tree => next.push(entry.inner.oid.to_owned()),
                    // A file (or link, or submodule) where the path or one of its directories is.
                    _ => return Ok(true),
                }
            }
        }
        if next.is_empty() {
            return Ok(false);
        }
        level = next;
    }
    // `rel` names a tracked directory.
    Ok(true)
}

/// The file name endings a report file named in a config of the repository may have, per format:
/// the content fits the name, so no report can pose as a script, a Makefile or a tool's config
/// that runs commands (`.envrc`, `package.json` is refused as tracked).
pub fn report_extensions(format: &str) -> &'static [&'static str] {
    match format {
        "json" => &[".json"],
        "sarif" => &[".sarif", ".sarif.json"],
        "junit" => &[".xml"],
        "markdown" => &[".md", ".markdown"],
        "human" | "github" => &[".txt", ".log"],
        _ => &[],
    }
}

/// Whether the report file `rel` of `format` has one of its [`report_extensions`] (any ASCII
/// case, after a non-empty name). The error says which it may have.
pub fn check_report_extension(format: &str, rel: &Path) -> Result<(), Refusal> {
    let name = rel.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let exts = report_extensions(format);
    if exts.iter().any(|x| name.len() > x.len() && name.ends_with(x)) {
        return Ok(());
    }
    Err(Refusal::ReportName { format: format.to_string(), exts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_paths_stay_relative() {
        assert!(relative_inside(Path::new("reports/r.json")).is_ok());
        assert!(relative_inside(Path::new("./r.json")).is_ok());
        assert!(relative_inside(Path::new("../r.json")).is_err());
        assert!(relative_inside(Path::new("a/../../r.json")).is_err());
        assert!(relative_inside(Path::new("a/../r.json")).is_err());
        assert!(relative_inside(Path::new("/tmp/r.json")).is_err());
    }

    #[test]
    fn capped_reads_count_what_they_drop() {
        let data = vec![b'x'; 1000];
        assert_eq!(read_capped(&data[..], 1000).unwrap(), Ok(data.clone()));
        assert_eq!(read_capped(&data[..], 999).unwrap(), Err(1000));
        assert_eq!(read_capped(&data[..], 0).unwrap(), Err(1000));
    }
}
