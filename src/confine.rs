//! Confinement: where tollgate may read and write when a path comes from the checked repository
//! (`.tollgate.yaml`, a schema location's contents, a policy's `parse_config_file`) rather than
//! from the command line. Every file of the checked source may be written by a hostile pull
//! request, so such a path stays inside the repository, never under its git directory (hooks,
//! config, credentials) and never through a symbolic link that leaves it. Paths typed on the
//! command line are the user's and stay free.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

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
            if let Ok(hooks) = crate::hook::hooks_dir_of(&repo, &root) {
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

    /// Whether `p` (absolute) lies inside the repository, as spelt or once resolved.
    pub fn holds(&self, p: &Path) -> bool {
        let n = normalize(p);
        n.starts_with(&self.root) || n.starts_with(&self.canonical) || p.canonicalize().is_ok_and(|c| self.contains(&c))
    }

    /// Why tollgate will not touch `p` (absolute) as a file of the repository: it lies in a git
    /// directory (`.git` anywhere below the top, the git and common directories, the hooks
    /// directory). `None`: it does not.
    fn git_reason(&self, p: &Path) -> Option<String> {
        let under_git_name = [&self.root, &self.canonical].iter().any(|r| {
            p.strip_prefix(r).is_ok_and(|rel| {
                rel.components().any(|c| matches!(c, Component::Normal(n) if n.eq_ignore_ascii_case(".git")))
            })
        });
        let dir = self.git_dirs.iter().find(|d| p.starts_with(d));
        match (under_git_name, dir) {
            (_, Some(d)) => Some(format!("it is inside the git directory {}", d.display())),
            (true, None) => Some("it is inside a `.git` directory".to_string()),
            (false, None) => None,
        }
    }

    /// The real path of `p` (absolute) when tollgate may read it as a file of the repository: it
    /// exists, its real path (symlinks resolved) is inside the repository and not in a git
    /// directory. The error says why not.
    pub fn resolve(&self, p: &Path) -> Result<PathBuf, String> {
        let real = p.canonicalize().map_err(|e| e.to_string())?;
        if !self.contains(&real) {
            let how = if real != normalize(p) { " (through a symbolic link)" } else { "" };
            return Err(format!("it resolves to {}, outside the repository{how}", real.display()));
        }
        match self.git_reason(&real).or_else(|| self.git_reason(&normalize(p))) {
            Some(why) => Err(why),
            None => Ok(real),
        }
    }

    /// Whether [`Jail::create`] may create `rel`; nothing is made. The error says why not.
    pub fn check_create(&self, rel: &Path) -> Result<(), String> {
        relative_inside(rel)?;
        let target = self.root.join(rel);
        if let Some(why) = self.git_reason(&target) {
            return Err(why);
        }
        // The directories that exist: none a link, none resolving outside or into a git directory.
        let existing = walk_dirs(&self.root, rel.parent().unwrap_or(Path::new("")), false)?;
        let real = existing.canonicalize().map_err(|e| format!("{}: {e}", existing.display()))?;
        if !self.contains(&real) {
            return Err(format!("{} resolves outside the repository", existing.display()));
        }
        if let Some(why) = self.git_reason(&real) {
            return Err(why);
        }
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                Err("it is a symbolic link; tollgate does not write through links".to_string())
            }
            Ok(m) if m.is_dir() => Err("it is a directory".to_string()),
            _ => Ok(()),
        }
    }

    /// Create the file `rel` (relative to the top directory, no `..`) for writing, replacing a
    /// regular file there: directories that are missing are made, no component may be a symbolic
    /// link, nothing is written in a git directory, and the file is created afresh (an existing
    /// file's mode, such as an exec bit, is not kept). The error says why not.
    pub fn create(&self, rel: &Path) -> Result<File, String> {
        // Everything is checked before any directory is made, so a refused path leaves nothing.
        self.check_create(rel)?;
        walk_dirs(&self.root, rel.parent().unwrap_or(Path::new("")), true)?;
        create_fresh(&self.root.join(rel), true, 0o644).map_err(|e| e.to_string())
    }
}

/// A path from a config file is relative and has no `..`: it cannot name anything outside the
/// directory it is resolved against (a symlink on the way is checked when it is used).
pub fn relative_inside(p: &Path) -> Result<(), String> {
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err("`..` is not allowed: it could leave the repository".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err(
                    "an absolute path is not allowed: paths in the config file stay inside the repository (give \
                            paths outside it on the command line)"
                        .into(),
                )
            }
        }
    }
    Ok(())
}

/// Walk the directories of `rel` below `base`: each must be a real directory (not a symbolic
/// link). A missing one is made when `create`, else the walk stops there. Returns the deepest
/// directory that exists.
pub fn walk_dirs(base: &Path, rel: &Path, create: bool) -> Result<PathBuf, String> {
    let mut at = base.to_path_buf();
    for c in rel.components() {
        let Component::Normal(name) = c else { continue };
        let next = at.join(name);
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!("{} is a symbolic link; tollgate does not write through links", next.display()))
            }
            Ok(m) if m.is_dir() => at = next,
            Ok(_) => return Err(format!("{} is not a directory", next.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                std::fs::create_dir(&next).map_err(|e| format!("{}: {e}", next.display()))?;
                at = next;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(at),
            Err(e) => return Err(format!("{}: {e}", next.display())),
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
