//! Read files from the working tree (the default source of `check`), skipping what git ignores.
//!
//! Ignore rules are git's: `.gitignore` files, `.git/info/exclude` and the global excludes file,
//! applied only inside a git repository. Hidden files are read like any other; the `.git`
//! directory never is. Symlinks are not followed: one that matches the filter is reported as
//! skipped. A file named explicitly on the command line is read even when git ignores it or it
//! lacks a manifest extension (as ripgrep does), unless an `--exclude` glob matches it.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;

use super::{Discovered, PathFilter, SkipReason, Skipped, SourceError, SourceFile};

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
    let root = fs::canonicalize(root).map_err(|e| io_error(root, &e))?;
    let cwd = std::env::current_dir().map_err(|e| io_error(Path::new("."), &e))?;
    let mut out = Discovered::default();
    let mut walk_roots = Vec::new();
    if paths.is_empty() {
        walk_roots.push(root.clone());
    }
    for given in paths {
        let abs = cwd.join(given);
        let meta = fs::symlink_metadata(&abs).map_err(|e| io_error(given, &e))?;
        let real = canonical_keeping_link(&abs, meta.file_type().is_symlink()).map_err(|e| io_error(given, &e))?;
        let Some(rel) = relative(&root, &real) else {
            return Err(SourceError::Io {
                path: given.display().to_string(),
                message: format!("not inside {}", root.display()),
            });
        };
        if meta.is_dir() {
            walk_roots.push(real);
        } else if filter.is_excluded(&rel) || !filter.in_scope(&rel) {
            continue;
        } else if meta.file_type().is_symlink() {
            out.skipped.push(Skipped { path: rel, reason: SkipReason::Symlink });
        } else if meta.is_file() {
            out.files.push(read_file(&real, rel, max_file_size)?);
        } else {
            return Err(SourceError::Io { path: given.display().to_string(), message: "not a regular file".into() });
        }
    }

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
            let Some(rel) = relative(&root, entry.path()) else { continue };
            if !filter.matches(&rel) {
                continue;
            }
            if file_type.is_symlink() {
                out.skipped.push(Skipped { path: rel, reason: SkipReason::Symlink });
            } else if file_type.is_file() {
                out.files.push(read_file(entry.path(), rel, max_file_size)?);
            }
            // Sockets, FIFOs and devices are never manifests; reading a FIFO would block.
        }
    }

    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    out.skipped.sort();
    out.skipped.dedup();
    Ok(out)
}

/// Read a file unless it is over the cap. The cap is enforced on the bytes actually read, too, so
/// a file that grows between `stat` and `read` cannot slip past it.
fn read_file(path: &Path, rel: String, max_file_size: u64) -> Result<SourceFile, SourceError> {
    let err = |e: std::io::Error| io_error(Path::new(&rel), &e);
    let file = fs::File::open(path).map_err(err)?;
    let size = file.metadata().map_err(err)?.len();
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

/// `path` relative to `root` with `/` separators (empty for `root` itself); `None` when outside.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rest = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for component in rest.components() {
        match component {
            Component::Normal(name) => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(&name.to_string_lossy());
            }
            Component::CurDir => {}
            _ => return None,
        }
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
