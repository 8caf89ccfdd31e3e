//! Reading a tree (or the index) into files: the walk that applies the filter, resolves symbolic
//! links in the same tree, notes submodules and invalid names, and reads the blobs on the rayon
//! workers, each with its own object cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::diff::*;
use super::*;

/// The symlink blob `id` at `parts` as a [`Node::Link`] with its target (the blob's content), or
/// [`Node::LongLink`] when it is longer than any target the OS resolves (not read).
pub(super) fn link_node(git: &gix::Repository, parts: &[Vec<u8>], id: ObjectId) -> Result<Node<ObjectId>, SourceError> {
    let shown = || escape_path(&parts.join(&b'/'));
    let size = git.find_header(id).map_err(|e| object_error(&shown(), id, &e))?.size();
    if size > link::MAX_TARGET {
        return Ok(Node::LongLink(size));
    }
    let mut blob = git.find_blob(id).map_err(|e| object_error(&shown(), id, &e))?;
    Ok(Node::Link(blob.take_data()))
}

/// What a tree entry of this kind is, for link resolution.
pub(super) fn node(
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
pub(super) struct TreeView<'r> {
    pub(super) git: &'r gix::Repository,
    pub(super) root: ObjectId,
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
pub(super) struct IndexView<'r> {
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
pub(super) enum View<'a> {
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
    pub(super) fn new(git: &'a gix::Repository, filter: &'a PathFilter, max_file_size: u64, view: View<'a>) -> Self {
        Collector { git, filter, max_file_size, out: Discovered::default(), blobs: Vec::new(), view }
    }

    /// Walk the tree `id` (whose own path is `prefix`, escaped, and `parts`, raw; empty for the
    /// root) without recursion, so a pathologically deep tree cannot overflow the stack.
    /// Directories out of scope are pruned.
    pub(super) fn tree(&mut self, id: ObjectId, prefix: String, parts: Vec<Vec<u8>>) -> Result<(), SourceError> {
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
    pub(super) fn blob(&mut self, path: String, id: ObjectId) {
        self.blobs.push((path, id));
    }

    /// Resolve the symlink blob `id` at `parts` in this collector's view: the file it leads to is
    /// queued under the link's own `path` (with a note naming the target), anything else is a
    /// blocking skip.
    pub(super) fn link(&mut self, path: String, parts: Vec<Vec<u8>>, id: ObjectId) -> Result<(), SourceError> {
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

    pub(super) fn skip(&mut self, path: String, reason: SkipReason) {
        self.out.skipped.push(Skipped { path, reason });
    }

    /// Read the queued blobs on rayon workers (one thread-local repository handle each), only
    /// when within the size cap, and return everything sorted by path.
    pub(super) fn finish(self) -> Result<Discovered, SourceError> {
        self.finish_keeping(&|_| true)
    }

    /// [`Collector::finish`], keeping only the files `keep` accepts (the others are dropped as
    /// soon as they are read, so memory follows what is kept).
    pub(super) fn finish_keeping(
        mut self,
        keep: &(dyn Fn(&SourceFile) -> bool + Sync),
    ) -> Result<Discovered, SourceError> {
        use rayon::prelude::*;
        let stores = Stores::new(self.git.clone().into_sync());
        let max = self.max_file_size;
        let files: Result<Vec<SourceFile>, SourceError> = std::mem::take(&mut self.blobs)
            .into_par_iter()
            .map_init(|| stores.worker(), |w, (path, id)| read_capped(w, path, id, max))
            .filter(|f| f.as_ref().map_or(true, keep))
            .collect();
        self.out.files = files?;
        self.out.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.out.skipped.sort();
        Ok(self.out)
    }
}

impl Collector<'_> {
    /// [`Collector::finish`], reading lazily as `lazy` says: the files it does not keep come back
    /// [`Unread`](crate::source::Unread), with the [`Reader`] that reads them.
    pub(super) fn finish_lazy(mut self, lazy: crate::source::Lazy<'_>) -> Result<Discovered, SourceError> {
        use crate::source::{At, Unread};
        use rayon::prelude::*;
        let stores = Arc::new(Stores::new(self.git.clone().into_sync()));
        let max = self.max_file_size;
        let mut blobs = std::mem::take(&mut self.blobs);
        blobs.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(screen) = lazy.screen {
            // Each file is kept or dropped on the worker that read it, as soon as it is read, so
            // that what is in memory is the budget plus one blob per worker. Which files the
            // budget keeps depends on the order the workers reach them; what is reported does not.
            let kept = std::sync::atomic::AtomicU64::new(0);
            let within_budget = |len: u64| {
                use std::sync::atomic::Ordering::Relaxed;
                kept.fetch_update(Relaxed, Relaxed, |k| k.checked_add(len).filter(|&n| n <= lazy.budget)).is_ok()
            };
            // Kept (and, when the screen kept it, where to read it again), or left unread (and
            // whether a first pass reads it again).
            type Read = Result<(SourceFile, Option<Unread>), (Unread, bool)>;
            let one = |w: &mut StoreWorker, (path, id): (String, ObjectId)| -> Result<Read, SourceError> {
                let f = read_capped(w, path, id, max)?;
                if f.too_large.is_some() {
                    return Ok(Ok((f, None)));
                }
                if screen(&f) {
                    let rereads = lazy.reread.is_some_and(|r| r(&f));
                    if rereads && !within_budget(f.bytes.len() as u64) {
                        return Ok(Err((Unread { path: f.path, at: At::Blob(id) }, true)));
                    }
                    let again = Unread { path: f.path.clone(), at: At::Blob(id) };
                    return Ok(Ok((f, Some(again))));
                }
                if within_budget(f.bytes.len() as u64) {
                    return Ok(Ok((f, None)));
                }
                Ok(Err((Unread { path: f.path, at: At::Blob(id) }, false)))
            };
            // A part at a time, each with workers of its own, so that the store is opened again
            // as it reads (see [`Stores`]) rather than one worker holding one opening to the end.
            const PART: usize = 8192;
            let mut read: Vec<Read> = Vec::with_capacity(blobs.len());
            let mut blobs = blobs.into_iter();
            loop {
                let part: Vec<(String, ObjectId)> = blobs.by_ref().take(PART).collect();
                if part.is_empty() {
                    break;
                }
                let part: Result<Vec<Read>, SourceError> =
                    part.into_par_iter().map_init(|| stores.worker(), |w, b| one(w, b)).collect();
                read.extend(part?);
            }
            for r in read {
                match r {
                    Ok((f, again)) => {
                        self.out.files.push(f);
                        self.out.again.extend(again);
                    }
                    Err((u, pending)) => {
                        if pending {
                            self.out.pending.push(u.clone());
                        }
                        self.out.unread.push(u);
                    }
                }
            }
        } else {
            self.out.unread = blobs.into_iter().map(|(path, id)| Unread { path, at: At::Blob(id) }).collect();
        }
        self.out.again.sort_by(|a, b| a.path.cmp(&b.path));
        self.out.skipped.sort();
        self.out.reader = Some(Reader { repo: Some(stores), max_file_size: max });
        Ok(self.out)
    }
}

/// Reads the files discovery left [`Unread`](crate::source::Unread), on any thread: one
/// [`ReadWorker`] per worker.
#[derive(Clone)]
pub struct Reader {
    /// The object store of the blobs (none for a working tree's files).
    repo: Option<Arc<Stores>>,
    max_file_size: u64,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("max_file_size", &self.max_file_size).finish_non_exhaustive()
    }
}

impl Reader {
    /// A reader of working-tree files only.
    pub(crate) fn files(max_file_size: u64) -> Reader {
        Reader { repo: None, max_file_size }
    }

    /// A reader for one worker thread, with its own object and delta-base caches and decode
    /// buffer.
    pub fn worker(&self) -> ReadWorker {
        let repo = self.repo.as_ref().map(|r| r.worker());
        ReadWorker { repo, max_file_size: self.max_file_size }
    }
}

/// The object store a run reads its blobs from, opened again once the workers of one opening
/// have read [`REOPEN`] bytes. gix maps pack files whole and keeps them mapped while the store
/// lives; every page a read touched then counts in the process's resident memory until the end
/// (the whole pack when every file is read: 456 MB at 1,000,000 files, a quarter of the run's
/// peak). A fresh store maps only what its readers touch, and the old one is unmapped when its
/// last worker is done, so what is mapped at once follows [`REOPEN`], not the repository.
pub(super) struct Stores {
    current: std::sync::Mutex<Arc<Opened>>,
    /// [`REOPEN`] (less in tests).
    reopen: u64,
}

/// One opening of the object store, and how many bytes its workers read.
struct Opened {
    repo: gix::ThreadSafeRepository,
    read: AtomicU64,
}

/// Bytes of blobs read through one opening of the store before the next worker gets a new one.
const REOPEN: u64 = 128 << 20;

impl Stores {
    pub(super) fn new(repo: gix::ThreadSafeRepository) -> Stores {
        Stores::reopening_after(repo, REOPEN)
    }

    fn reopening_after(repo: gix::ThreadSafeRepository, reopen: u64) -> Stores {
        Stores { current: std::sync::Mutex::new(Arc::new(Opened { repo, read: AtomicU64::new(0) })), reopen }
    }

    /// A worker's reader of the current opening, after opening the store again if this one has
    /// read its share (if that fails, the old one goes on: it still reads everything).
    pub(super) fn worker(&self) -> StoreWorker {
        let opened = {
            let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
            if current.read.load(Ordering::Relaxed) >= self.reopen {
                let old = current.repo.to_thread_local();
                let again = gix::open_opts(old.git_dir(), old.open_options().clone());
                if let Ok(again) = again {
                    *current = Arc::new(Opened { repo: again.into_sync(), read: AtomicU64::new(0) });
                }
            }
            Arc::clone(&current)
        };
        StoreWorker { git: worker_repo(&opened.repo), buf: Vec::new(), opened }
    }
}

/// One worker's handle on an opening of the store (see [`Stores`]), with its decode buffer.
pub(super) struct StoreWorker {
    git: gix::Repository,
    buf: Vec<u8>,
    opened: Arc<Opened>,
}

/// One worker's reader of unread files (see [`Reader`]).
pub struct ReadWorker {
    repo: Option<StoreWorker>,
    max_file_size: u64,
}

impl ReadWorker {
    /// The file `unread`, read now (not read when over the size cap, as at discovery).
    pub fn read(&mut self, unread: crate::source::Unread) -> Result<SourceFile, SourceError> {
        use crate::source::At;
        match (unread.at, self.repo.as_mut()) {
            (At::Blob(id), Some(repo)) => read_capped(repo, unread.path, id, self.max_file_size),
            (At::File(disk), _) => crate::source::worktree::read_unread(&disk, unread.path, self.max_file_size),
            (At::Blob(_), None) => Err(SourceError::Git(format!("{}: no object store to read it from", unread.path))),
        }
    }
}

/// A repository handle for one rayon worker, with its own object cache.
pub(super) fn worker_repo(shared: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut repo = shared.to_thread_local();
    repo.object_cache_size_if_unset(4 << 20);
    // Delta bases: similar manifests are stored as long delta chains in a pack, and without a
    // base cache every blob inflates its whole chain again (zlib was a quarter of a run).
    repo.objects.set_pack_cache(|| Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(32 << 20)));
    repo
}

/// The blob `id` at `path`, unless it is larger than `max` bytes (then only its size).
pub(super) fn read_capped(
    w: &mut StoreWorker,
    path: String,
    id: ObjectId,
    max: u64,
) -> Result<SourceFile, SourceError> {
    // The header gives the size without inflating the object (for a delta, only its header).
    let size = w.git.find_header(id).map_err(|e| object_error(&path, id, &e))?.size();
    if size > max {
        return Ok(SourceFile { path, bytes: Vec::new(), too_large: Some(size) });
    }
    // Decoded into the worker's buffer, reused from one blob to the next, then copied out at its
    // size: a fresh decode buffer per blob was grown and zeroed each time (~15 of ~115 ms).
    use gix::prelude::FindExt;
    let blob = w.git.objects.find_blob(&id, &mut w.buf).map_err(|e| object_error(&path, id, &e))?;
    w.opened.read.fetch_add(size, Ordering::Relaxed);
    Ok(SourceFile { path, bytes: blob.data.to_vec(), too_large: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository whose blobs are packed (as a large one's are), its files `f{i}.yaml`.
    fn packed_repo(dir: &Path, files: usize) {
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        };
        git(&["init", "-q"]);
        for i in 0..files {
            std::fs::write(dir.join(format!("f{i}.yaml")), format!("kind: ConfigMap\nn: {i}\n"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        git(&["add", "-A"]);
        git(&["commit", "-qm", "t"]);
        git(&["gc", "-q"]);
        git(&["worktree", "add", "-q", "linked"]);
    }

    /// Every blob of HEAD reads the same through a store opened again after each worker's first
    /// read, from the main repository and from a linked worktree (whose git directory is not the
    /// one holding the objects).
    #[test]
    fn a_store_opened_again_reads_the_same_blobs() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        packed_repo(dir.path(), 40);
        for root in [dir.path().to_path_buf(), dir.path().join("linked")] {
            let git = gix::open(&root).unwrap_or_else(|e| panic!("{e}"));
            let tree = git.head_tree_id().unwrap_or_else(|e| panic!("{e}"));
            let tree = git.find_tree(tree).unwrap_or_else(|e| panic!("{e}"));
            let entries: Vec<(String, ObjectId)> = tree
                .iter()
                .map(|e| e.unwrap_or_else(|e| panic!("{e}")))
                .map(|e| (e.filename().to_string(), e.object_id()))
                .collect();
            assert_eq!(entries.len(), 40);
            let stores = Stores::reopening_after(git.clone().into_sync(), 1);
            let mut openings: Vec<Arc<Opened>> = Vec::new();
            for (path, id) in &entries {
                let mut w = stores.worker();
                let f = read_capped(&mut w, path.clone(), *id, u64::MAX).unwrap_or_else(|e| panic!("{e}"));
                let want = std::fs::read(dir.path().join(path)).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(f.bytes, want, "{path}");
                if !openings.iter().any(|o| Arc::ptr_eq(o, &w.opened)) {
                    openings.push(Arc::clone(&w.opened));
                }
            }
            assert_eq!(openings.len(), entries.len(), "one opening per worker after a read");
        }
    }
}
