//! Read files from the working tree (the default source of `check`), skipping what git ignores.
//!
//! Ignore rules are git's: `.gitignore` files, `.git/info/exclude` and the global excludes file,
//! applied only inside a git repository and, as in git, only to untracked files: every path the
//! index tracks is read whatever the ignore rules say (a committed `.gitignore` listing `*.yaml`
//! must not hide the manifests Argo CD applies). A tracked file absent from disk because of a
//! sparse checkout (skip-worktree) is read from the index, which git takes as its content; one
//! simply deleted is not there to check. Hidden files are read like any other; the `.git`
//! directory never is. A symlink whose path matches the filter is read through, resolved on disk
//! inside the root only (see [`super::link`]); symlinked directories are not walked, as kubectl's
//! `-R` and Argo CD do not. A file named explicitly on the command line is read even when git
//! ignores it (as ripgrep does), unless an `--exclude` glob matches it; one that is not a
//! manifest by its name (a Dockerfile, a `.tf` file) is an error, never read as YAML. Names are kept byte-exact ([`super::path`]).

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;

use super::git::{TrackedKind, WorktreeIndex};
use super::link::{self, Node, Outcome, Tree};
use super::path::{escape_name, escape_path, invalid_path};
use super::{At, Discovered, Lazy, PathFilter, SkipReason, Skipped, SourceError, SourceFile, Unread};

/// The files under `root` (the repository root, or the current directory outside a repository)
/// that match `filter`, with paths relative to `root` and `/`-separated, sorted by path.
///
/// `paths` are the user's PATH arguments (files or directories, relative to the current
/// directory or absolute); empty means all of `root`. A PATH that does not exist, or lies outside
/// `root`, is an error naming it. The filter's prefixes (if any) also apply, to repo-relative
/// paths; usually they are left empty here and the PATHs are passed as `paths`.
pub fn read_worktree(
    root: &Path,
    paths: &[PathBuf],
    filter: &PathFilter,
    max_file_size: u64,
) -> Result<Discovered, SourceError> {
    read_worktree_lazy(root, paths, filter, max_file_size, None)
}

/// [`read_worktree`], reading lazily when `lazy` is given (see [`Lazy`]).
pub fn read_worktree_lazy(
    root: &Path,
    paths: &[PathBuf],
    filter: &PathFilter,
    max_file_size: u64,
    lazy: Option<Lazy<'_>>,
) -> Result<Discovered, SourceError> {
    let root = fs::canonicalize(root).map_err(|e| io_error(root, &e))?;
    let cwd = std::env::current_dir().map_err(|e| io_error(Path::new("."), &e))?;
    let mut out = Sink { d: Discovered::default(), lazy, kept: 0, max: max_file_size };
    let mut walk_roots = Vec::new();
    if paths.is_empty() {
        walk_roots.push(root.clone());
    }
    for given in paths {
        let abs = cwd.join(given);
        let meta = fs::symlink_metadata(&abs).map_err(|e| io_error(given, &e))?;
        let real = canonical_keeping_link(&abs, meta.file_type().is_symlink()).map_err(|e| io_error(given, &e))?;
        let Some(parts) = raw_parts(&root, &real) else {
            return Err(SourceError::Io {
                path: given.display().to_string(),
                message: format!("not inside {}", root.display()),
            });
        };
        let rel = escape_path(&parts.join(&b'/'));
        if meta.is_dir() {
            walk_roots.push(real);
        } else if filter.is_excluded(&rel) || !filter.in_scope(&rel) {
            continue;
        } else if meta.file_type().is_symlink() {
            // Named on the command line, a link to a directory inside the root is that directory.
            let dir = fs::metadata(&abs).is_ok_and(|m| m.is_dir()).then(|| fs::canonicalize(&abs).ok()).flatten();
            match dir.filter(|d| raw_parts(&root, d).is_some()) {
                Some(dir) => walk_roots.push(dir),
                None => read_link(&root, rel, &parts, &mut out)?,
            }
        } else if meta.is_file() {
            if !filter.names_manifest(&rel) {
                return Err(SourceError::NotAManifest { path: rel });
            }
            out.file(&real, rel)?;
        } else {
            return Err(SourceError::Io { path: given.display().to_string(), message: "not a regular file".into() });
        }
    }

    // Repo-relative paths the walk looked at, so that tracked files it skipped can be told apart.
    let mut seen: HashSet<String> = HashSet::new();
    if let Some((first, rest)) = walk_roots.split_first() {
        let mut builder = WalkBuilder::new(first);
        for dir in rest {
            builder.add(dir);
        }
        let prune_root = root.clone();
        let prune_filter = filter.clone();
        builder
            .hidden(false)
            .ignore(false) // `.ignore` files are ripgrep's, not git's
            .git_ignore(true)
            .git_exclude(true)
            .git_global(true)
            .require_git(true)
            .parents(true)
            .follow_links(false)
            .filter_entry(move |entry| {
                if entry.file_name() == ".git" {
                    return false;
                }
                if entry.depth() == 0 || !entry.file_type().is_some_and(|t| t.is_dir()) {
                    return true;
                }
                relative(&prune_root, entry.path()).is_none_or(|rel| prune_filter.dir_in_scope(&rel))
            });
        for item in builder.build() {
            let entry = item.map_err(|e| walk_error(&root, &e))?;
            let Some(file_type) = entry.file_type() else { continue };
            if file_type.is_dir() {
                continue;
            }
            let Some(parts) = raw_parts(&root, entry.path()) else { continue };
            let rel = escape_path(&parts.join(&b'/'));
            if !filter.matches(&rel) {
                continue;
            }
            if file_type.is_symlink() {
                read_link(&root, rel.clone(), &parts, &mut out)?;
            } else if file_type.is_file() {
                out.file(entry.path(), rel.clone())?;
            }
            // Sockets, FIFOs and devices are never manifests; reading a FIFO would block.
            seen.insert(rel);
        }
    }

    if let Some(index) = WorktreeIndex::open(&root)? {
        let scopes: Vec<Vec<u8>> =
            walk_roots.iter().filter_map(|d| raw_parts(&root, d)).map(|p| p.join(&b'/')).collect();
        tracked_files(&root, &index, &scopes, &seen, filter, max_file_size, &mut out)?;
    }

    let mut out = out.d;
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    // A file named on the command line and walked too is read once (kept or not, the same).
    out.unread.sort_by(|a, b| a.path.cmp(&b.path));
    out.unread.dedup_by(|a, b| a.path == b.path);
    out.again.sort_by(|a, b| a.path.cmp(&b.path));
    out.again.dedup_by(|a, b| a.path == b.path);
    out.pending.sort_by(|a, b| a.path.cmp(&b.path));
    out.pending.dedup_by(|a, b| a.path == b.path);
    if !out.unread.is_empty() {
        let kept: HashSet<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
        let unread = std::mem::take(&mut out.unread);
        out.unread = unread.into_iter().filter(|u| !kept.contains(u.path.as_str())).collect();
        out.pending.retain(|u| !kept.contains(u.path.as_str()));
    }
    out.skipped.sort();
    out.skipped.dedup();
    if lazy.is_some() {
        out.reader = Some(super::Reader::files(max_file_size));
    }
    Ok(out)
}

/// Add the tracked files under `scopes` (raw repo-relative directories; empty = the root) that
/// match the filter and that the walk did not look at: git ignore rules skip only untracked files.
/// Each is read from disk when it is there (a file, or a link resolved on disk); a sparse-checkout
/// entry that is not on disk is read from the index.
fn tracked_files(
    root: &Path,
    index: &WorktreeIndex,
    scopes: &[Vec<u8>],
    seen: &HashSet<String>,
    filter: &PathFilter,
    max_file_size: u64,
    out: &mut Sink<'_>,
) -> Result<(), SourceError> {
    let under = |raw: &[u8], dir: &[u8]| {
        dir.is_empty() || raw == dir || (raw.starts_with(dir) && raw.get(dir.len()) == Some(&b'/'))
    };
    let mut from_index = Vec::new();
    for t in index.tracked() {
        if t.kind == TrackedKind::Submodule {
            continue;
        }
        // A sparse directory is in scope when a scope lies inside it, too.
        let in_scope =
            scopes.iter().any(|d| under(&t.raw, d) || (t.kind == TrackedKind::SparseDir && under(d, &t.raw)));
        if !in_scope {
            continue;
        }
        let rel = escape_path(&t.raw);
        if let Some(why) = invalid_path(&t.raw) {
            let in_scope = match t.kind {
                TrackedKind::File | TrackedKind::Link => filter.matches(&rel),
                _ => filter.entry_in_scope(&rel),
            };
            if in_scope {
                out.d.skipped.push(Skipped { path: rel, reason: SkipReason::InvalidPath { why } });
            }
            continue;
        }
        if t.kind == TrackedKind::SparseDir {
            if filter.dir_in_scope(&rel) {
                from_index.push(t);
            }
            continue;
        }
        if seen.contains(&rel) || !filter.matches(&rel) {
            continue;
        }
        let parts: Vec<Vec<u8>> = t.raw.split(|&b| b == b'/').map(<[u8]>::to_vec).collect();
        // Looked up component by component, so a directory replaced by a symlink on disk is
        // never read through.
        let node = Disk { root }.lookup_plain(&parts)?;
        match node {
            Node::File(path) => out.file(&path, rel)?,
            Node::Link(_) | Node::LongLink(_) => read_link(root, rel, &parts, out)?,
            Node::Missing if t.skip_worktree => from_index.push(t),
            // Deleted (or replaced by a directory) in the working tree: not there to check.
            _ => {}
        }
    }
    if !from_index.is_empty() {
        // A sparse directory is walked within the PATH arguments only.
        let scoped = if scopes.iter().any(Vec::is_empty) {
            filter.clone()
        } else {
            filter.clone().with_prefixes(scopes.iter().map(|d| escape_path(d)).collect())
        };
        let d = index.read(from_index, &scoped, max_file_size)?;
        out.d.files.extend(d.files.into_iter().filter(|f| filter.in_scope(&f.path)));
        out.d.skipped.extend(d.skipped.into_iter().filter(|s| filter.in_scope(&s.path)));
    }
    Ok(())
}

/// Resolve the symlink at `parts` (under `root`) on disk, inside `root` only: the file it leads
/// to is read under the link's own path `rel`, with a note naming the target; anything else is a
/// blocking skip.
fn read_link(root: &Path, rel: String, parts: &[Vec<u8>], out: &mut Sink<'_>) -> Result<(), SourceError> {
    let mut disk = Disk { root };
    let outcome = match disk.lookup(parts)? {
        Node::Link(target) => link::resolve(&mut disk, parts, &target)?,
        Node::LongLink(size) => Outcome::Bad(link::too_long(size)),
        // Replaced since the walk saw it.
        _ => return Ok(()),
    };
    match outcome {
        Outcome::File { target, file } => {
            out.file(&file, rel.clone())?;
            out.d.skipped.push(Skipped { path: rel, reason: SkipReason::Symlink { target } });
        }
        Outcome::Bad(why) => out.d.skipped.push(Skipped { path: rel, reason: SkipReason::BadSymlink { why } }),
    }
    Ok(())
}

/// The working tree under `root`, to resolve links in.
struct Disk<'a> {
    root: &'a Path,
}

impl Disk<'_> {
    /// What is at `parts` when every directory on the way is a real one (not a link), else
    /// [`Node::Missing`].
    fn lookup_plain(&mut self, parts: &[Vec<u8>]) -> Result<Node<PathBuf>, SourceError> {
        for i in 1..parts.len() {
            if !matches!(self.lookup(&parts[..i])?, Node::Dir) {
                return Ok(Node::Missing);
            }
        }
        self.lookup(parts)
    }
}

impl Tree for Disk<'_> {
    type File = PathBuf;

    fn lookup(&mut self, parts: &[Vec<u8>]) -> Result<Node<PathBuf>, SourceError> {
        let mut path = self.root.to_path_buf();
        for part in parts {
            path.push(os_name(part));
        }
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
                return Ok(Node::Missing)
            }
            Err(e) => return Err(io_error(Path::new(&escape_path(&parts.join(&b'/'))), &e)),
        };
        let kind = meta.file_type();
        Ok(if kind.is_symlink() {
            if meta.len() > link::MAX_TARGET {
                return Ok(Node::LongLink(meta.len()));
            }
            let target = fs::read_link(&path).map_err(|e| io_error(Path::new(&escape_path(&parts.join(&b'/'))), &e))?;
            Node::Link(os_bytes(target.as_os_str()).into_owned())
        } else if kind.is_dir() {
            Node::Dir
        } else if kind.is_file() {
            Node::File(path)
        } else {
            Node::Special
        })
    }
}

#[cfg(unix)]
fn os_name(raw: &[u8]) -> &std::ffi::OsStr {
    std::os::unix::ffi::OsStrExt::from_bytes(raw)
}

#[cfg(not(unix))]
fn os_name(raw: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(raw).into_owned().into()
}

#[cfg(unix)]
fn os_bytes(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    std::borrow::Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(name))
}

#[cfg(not(unix))]
fn os_bytes(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    // Windows link targets use `\`; the resolver splits on `/`.
    std::borrow::Cow::Owned(name.to_string_lossy().replace('\\', "/").into_bytes())
}

/// Where the walk puts what it finds: files read, or left unread as [`Lazy`] says.
struct Sink<'a> {
    d: Discovered,
    lazy: Option<Lazy<'a>>,
    /// Bytes kept so far against the budget.
    kept: u64,
    max: u64,
}

impl Sink<'_> {
    /// The regular file at `disk` (inside the root, a link already resolved), as `rel`.
    fn file(&mut self, disk: &Path, rel: String) -> Result<(), SourceError> {
        let Some(lazy) = self.lazy else {
            self.d.files.push(read_file(disk, rel, self.max)?);
            return Ok(());
        };
        let unread = |path| Unread { path, at: At::File(disk.to_path_buf()) };
        let Some(screen) = lazy.screen else {
            self.d.unread.push(unread(rel));
            return Ok(());
        };
        let f = read_file(disk, rel, self.max)?;
        let len = f.bytes.len() as u64;
        let screened = f.too_large.is_none() && screen(&f);
        let within = self.kept.saturating_add(len) <= lazy.budget;
        if screened && !within && lazy.reread.is_some_and(|r| r(&f)) {
            self.d.pending.push(unread(f.path.clone()));
            self.d.unread.push(unread(f.path));
            return Ok(());
        }
        if screened {
            self.d.again.push(unread(f.path.clone()));
        }
        if f.too_large.is_some() || screened || within {
            self.kept = self.kept.saturating_add(len);
            self.d.files.push(f);
        } else {
            self.d.unread.push(unread(f.path));
        }
        Ok(())
    }
}

/// Read a working-tree file discovery left unread (`disk`: where the walk found it, a link's
/// target resolved inside the root). Opened without following a symbolic link, and only when it
/// is still a regular file: one swapped in since the walk is an error, never read through.
pub(crate) fn read_unread(disk: &Path, rel: String, max_file_size: u64) -> Result<SourceFile, SourceError> {
    let err = |e: std::io::Error| io_error(Path::new(&rel), &e);
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = options.open(disk).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(SourceError::Io { path: rel, message: "no longer a regular file".into() });
    }
    read_open(file, meta.len(), rel, max_file_size)
}

/// Read a file unless it is over the cap. The cap is enforced on the bytes actually read, too, so
/// a file that grows between `stat` and `read` cannot slip past it.
fn read_file(path: &Path, rel: String, max_file_size: u64) -> Result<SourceFile, SourceError> {
    let err = |e: std::io::Error| io_error(Path::new(&rel), &e);
    let file = fs::File::open(path).map_err(err)?;
    let size = file.metadata().map_err(err)?.len();
    read_open(file, size, rel, max_file_size)
}

/// Read the open `file` (of `size` bytes by its metadata) as [`read_file`] does.
fn read_open(file: fs::File, size: u64, rel: String, max_file_size: u64) -> Result<SourceFile, SourceError> {
    let err = |e: std::io::Error| io_error(Path::new(&rel), &e);
    if size > max_file_size {
        return Ok(SourceFile { path: rel, bytes: Vec::new(), too_large: Some(size) });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(max_file_size.saturating_add(1)).read_to_end(&mut bytes).map_err(err)?;
    if bytes.len() as u64 > max_file_size {
        return Ok(SourceFile { path: rel, bytes: Vec::new(), too_large: Some(bytes.len() as u64) });
    }
    Ok(SourceFile { path: rel, bytes, too_large: None })
}

/// Canonicalize `path`; for a symlink only its parent, so the link itself is what is named.
fn canonical_keeping_link(path: &Path, is_symlink: bool) -> std::io::Result<PathBuf> {
    match (is_symlink, path.parent(), path.file_name()) {
        (true, Some(parent), Some(name)) => Ok(fs::canonicalize(parent)?.join(name)),
        _ => fs::canonicalize(path),
    }
}

/// The raw components of `path` relative to `root` (none for `root` itself); `None` when outside.
fn raw_parts(root: &Path, path: &Path) -> Option<Vec<Vec<u8>>> {
    let rest = path.strip_prefix(root).ok()?;
    let mut out = Vec::new();
    for component in rest.components() {
        match component {
            Component::Normal(name) => out.push(os_bytes(name).into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// `path` relative to `root`, escaped, with `/` separators (empty for `root` itself); `None` when
/// outside.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let parts = raw_parts(root, path)?;
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&escape_name(part));
    }
    Some(out)
}

fn io_error(path: &Path, err: &std::io::Error) -> SourceError {
    SourceError::Io { path: path.display().to_string(), message: err.to_string() }
}

/// A walk failure, named by the repo-relative path it happened at when the walker says which.
fn walk_error(root: &Path, err: &ignore::Error) -> SourceError {
    fn path_of(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => path_of(err),
            ignore::Error::Partial(errs) => errs.iter().find_map(path_of),
            _ => None,
        }
    }
    fn innermost(err: &ignore::Error) -> &ignore::Error {
        match err {
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => innermost(err),
            _ => err,
        }
    }
    match path_of(err) {
        Some(path) => SourceError::Io {
            path: relative(root, path).filter(|p| !p.is_empty()).unwrap_or_else(|| path.display().to_string()),
            message: innermost(err).to_string(),
        },
        None => SourceError::Io { path: root.display().to_string(), message: err.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_use_slashes_and_reject_outside() {
        let root = Path::new("/r");
        assert_eq!(relative(root, Path::new("/r/a/b.yaml")).as_deref(), Some("a/b.yaml"));
        assert_eq!(relative(root, Path::new("/r")).as_deref(), Some(""));
        assert_eq!(relative(root, Path::new("/other/x.yaml")), None);
        assert_eq!(relative(root, Path::new("/rr/x.yaml")), None);
    }

    #[test]
    fn size_cap_applies_to_bytes_read() {
        let dir = std::env::temp_dir().join(format!("tollgate-worktree-unit-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        let file = dir.join("a.yaml");
        assert!(fs::write(&file, b"0123456789").is_ok());
        let small = read_file(&file, "a.yaml".into(), 10);
        assert!(matches!(small, Ok(SourceFile { ref bytes, too_large: None, .. }) if bytes.len() == 10));
        let big = read_file(&file, "a.yaml".into(), 9);
        assert!(matches!(big, Ok(SourceFile { ref bytes, too_large: Some(10), .. }) if bytes.is_empty()));
        let _ = fs::remove_dir_all(&dir);
    }
}
