//! The checked source as a renderer's input: the files a kustomization or chart names, read from
//! the working tree (inside the repository, and only what git tracks) or from git objects (a
//! commit, the index), never from anywhere else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::confine::{GitFiles, GitIndex, Jail};

/// Where the files come from.
#[derive(Clone)]
pub enum Tree {
    /// The working tree under `root`; with `index`, only files git tracks are read (a file nobody
    /// committed, such as a CI credential in the workspace, is not the repository's to name).
    Disk { root: PathBuf, jail: Arc<Jail>, index: Option<Arc<GitIndex>>, max_file_size: u64 },
    /// A commit or the index, from git objects.
    Git(GitFiles),
    /// A commit, its object store kept open while a render reads it (see [`Tree::for_reading`]).
    Commit(GitFiles, Arc<crate::source::git::CommitReader>),
}

/// Why a file could not be read.
pub type ReadError = String;

impl Tree {
    /// The content of the repo-relative file `rel`; `None` when there is no file there (a
    /// directory, or nothing).
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, ReadError> {
        match self {
            Tree::Commit(_, reader) => match reader.read(rel.trim_start_matches("./")) {
                Ok(b) => Ok(b),
                // A directory, link or submodule there: no file.
                Err(crate::source::SourceError::Git(m)) if m.contains(" is a ") => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            Tree::Git(files) => match files.file(rel) {
                Ok(b) => Ok(b),
                Err(crate::error::GitFilesError::NotAFile { .. }) => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            Tree::Disk { root, jail, index, max_file_size } => {
                let p = root.join(rel);
                match std::fs::symlink_metadata(&p) {
                    Err(_) => return Ok(None),
                    Ok(m) if m.is_dir() => return Ok(None),
                    Ok(_) => {}
                }
                let real = jail.resolve(&p).map_err(|r| format!("{rel}: {}", String::from(r)))?;
                if !real.is_file() {
                    return Ok(None);
                }
                if let Some(index) = index {
                    if !index.has_file(rel).map_err(|e| e.to_string())? {
                        return Err(format!(
                            "{rel} is not tracked by git (commit or stage it, or check with --staged)"
                        ));
                    }
                }
                let f = std::fs::File::open(&real).map_err(|e| format!("{rel}: {e}"))?;
                match crate::source::confine::read_capped(f, *max_file_size) {
                    Ok(Ok(b)) => Ok(Some(b)),
                    Ok(Err(size)) => Err(format!("{rel} is larger than the size cap ({size} bytes)")),
                    Err(e) => Err(format!("{rel}: {e}")),
                }
            }
        }
    }

    /// [`Tree::read`] of each of `rels` (a commit's objects read with one open of its store).
    pub fn read_many(&self, rels: &[String]) -> Vec<Result<Option<Vec<u8>>, ReadError>> {
        match self {
            Tree::Git(files) => files
                .files(rels)
                .into_iter()
                .map(|r| match r {
                    Ok(b) => Ok(b),
                    Err(crate::error::GitFilesError::NotAFile { .. }) => Ok(None),
                    Err(e) => Err(e.to_string()),
                })
                .collect(),
            Tree::Disk { .. } | Tree::Commit(..) => rels.iter().map(|r| self.read(r)).collect(),
        }
    }

    /// This tree for many reads: a commit's object store opened once (dropped with the result),
    /// instead of once per read.
    pub fn for_reading(&self) -> Tree {
        match self {
            Tree::Git(files @ GitFiles::Commit { repo, id, .. }) => match repo.commit_reader(id) {
                Ok(reader) => Tree::Commit(files.clone(), Arc::new(reader)),
                Err(_) => self.clone(),
            },
            other => other.clone(),
        }
    }

    /// Every file of the tree whose name `keep` accepts, with its content, sorted by path.
    pub fn find(&self, keep: &dyn Fn(&str) -> bool) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
        match self {
            Tree::Git(files) | Tree::Commit(files, _) => {
                let by_name = |p: &str| keep(p.rsplit('/').next().unwrap_or(p));
                Ok(files.files_under("", &by_name).map_err(|e| e.to_string())?.unwrap_or_default())
            }
            Tree::Disk { root, .. } => self.walk(root, root, &|name: &str| keep(name), false),
        }
    }

    /// [`Tree::find`], leaving out a working tree's files that [`Tree::read`] refuses (not
    /// tracked by git, over the size cap, leading out of the repository) instead of failing: for
    /// a search of the whole tree, where a file nobody committed is not the repository's.
    pub fn find_readable(&self, keep: &dyn Fn(&str) -> bool) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
        match self {
            Tree::Disk { root, .. } => self.walk(root, root, &|name: &str| keep(name), true),
            _ => self.find(keep),
        }
    }
}

impl Tree {
    /// The files under `base` on disk whose name `keep` accepts, read through [`Tree::read`] (in
    /// the repository, tracked), sorted. Hidden directories too, as the working tree's discovery
    /// reads them, but not `.git`; files git ignores are left out.
    fn walk(
        &self,
        root: &Path,
        base: &Path,
        keep: &dyn Fn(&str) -> bool,
        skip_refused: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
        let mut out = Vec::new();
        let walk = ignore::WalkBuilder::new(base)
            .hidden(false)
            .git_ignore(true)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walk.flatten() {
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if !is_file || !keep(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let Some(rel) = relative(root, entry.path()) else { continue };
            match self.read(&rel) {
                Ok(Some(bytes)) => out.push((rel, bytes)),
                Ok(None) => {}
                Err(_) if skip_refused => {}
                Err(e) => return Err(e),
            }
        }
        out.sort();
        Ok(out)
    }
}

fn relative(root: &Path, p: &Path) -> Option<String> {
    let rel = p.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

impl Tree {
    /// Every file under the directory `dir` (repo-relative), with its content, sorted by path.
    pub fn under(&self, dir: &str) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
        match self {
            Tree::Git(files) | Tree::Commit(files, _) => {
                Ok(files.files_under(dir, &|_| true).map_err(|e| e.to_string())?.unwrap_or_default())
            }
            Tree::Disk { root, .. } => self.walk(root, &root.join(dir), &|_: &str| true, false),
        }
    }
}
