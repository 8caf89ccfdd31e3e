//! Where a run reads from, decided once: the repository (found and its revisions resolved once),
//! what is checked (working tree, a commit, the index, stdin, a change), and the one rule for where
//! the gate's own files (config, policies, data, schemas) come from.
//!
//! The rule: **a gate file the checked repository supplies is read from the content being
//! checked, and the user's own paths from disk.**
//! - PR mode (`--base`): every gate path inside the repository, from the command line or the
//!   config, is read from the trusted commit (the merge-base, or head with `--policy-from head`),
//!   so that a change cannot weaken the gate that judges it.
//! - `--rev` and `--staged`: `.tollgate.yaml` is read from the commit or the index, and so are the
//!   paths that config names; `-p`, `-d`, `--schema-location` and `--config` are the user's, read
//!   from disk.
//! - The working tree: from disk; paths the repository's config names only inside the repository.
//! - Anywhere: a path outside the repository is in no commit, and is read from disk.
//!
//! A gate path that is not where the rule looks is an error naming the path and where it looked
//! ("no such file or directory in the merge-base", "… in HEAD", or the disk's own error).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, SourceError};
use crate::source::confine::{GitFiles, GitIndex, Jail};
use crate::source::git::{self, CommitId, Repo};
use crate::source::walk;

use super::pr::{self, GatePath, Pr};

/// What a run checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The working tree (or the given paths in it).
    WorkTree,
    /// A commit: `--rev REV`.
    Rev(String),
    /// The index: `--staged`.
    Staged,
    /// One document stream on stdin (`-`).
    Stdin,
    /// PR mode: the change from the merge-base of `--base` to head.
    Change(pr::Options),
}

/// The run's view of the repository, opened once: every git read of the run goes through the
/// commit ids resolved here.
pub struct Gate {
    pub cwd: PathBuf,
    /// The top of the work tree (the git directory of a bare repository; `cwd` outside one).
    pub root: PathBuf,
    /// The repository, when `cwd` is inside one.
    pub repo: Option<Repo>,
    /// Nothing a config file of the repository names is read or written outside it.
    pub jail: Arc<Jail>,
    /// What git tracks in the index (read when first needed).
    pub index: Option<Arc<GitIndex>>,
    pub target: Target,
    /// `--rev`: the commit id it names, resolved once.
    pub rev_id: Option<CommitId>,
    /// PR mode.
    pub pr: Option<Pr>,
    /// Where `--rev` and `--staged` read the repository: git objects, not the disk.
    pub git_files: Option<GitFiles>,
}

/// A config file's text as the rule finds it.
pub struct ConfigText {
    /// The name shown in messages.
    pub name: String,
    /// `None`: there is no `.tollgate.yaml` (defaults apply).
    pub text: Option<String>,
    /// Part of the checked repository: its paths are then confined.
    pub confined: bool,
    /// Read from git objects (`--rev`, `--staged`): the gate files it names come from them too.
    pub from_git: bool,
    /// PR mode: the path read from the trusted commit (its changes are reported).
    pub read: Option<GatePath>,
}

impl Gate {
    /// Find the repository containing `cwd`, open it once and resolve the revisions the target
    /// names once.
    pub fn open(cwd: &Path, target: Target) -> Result<Gate, Error> {
        let repo_root = git::find_repo_root(cwd);
        let root = repo_root.clone().unwrap_or_else(|| cwd.to_path_buf());
        let needs_git = matches!(target, Target::Rev(_) | Target::Staged | Target::Change(_));
        if needs_git && repo_root.is_none() {
            return Err(SourceError::NotARepository(cwd.display().to_string()).into());
        }
        let bare = repo_root
            .as_ref()
            .is_some_and(|r| r.join("HEAD").is_file() && r.join("objects").is_dir() && !r.join(".git").exists());
        if bare && !matches!(target, Target::Rev(_) | Target::Change(_)) {
            return Err(Error::Usage(format!(
                "{} is a bare repository: it has no working tree; use --rev REV",
                root.display()
            )));
        }
        let repo = match &repo_root {
            Some(r) if needs_git => Some(Repo::open(r)?),
            _ => None,
        };
        let jail = Arc::new(Jail::new(&root));
        let index = repo_root.as_ref().map(|_| Arc::new(GitIndex::new(&root)));
        let pr = match (&target, &repo) {
            (Target::Change(opts), Some(repo)) => Some(Pr::open(opts, repo, &root)?),
            _ => None,
        };
        // `--rev` is resolved once, so that the config, the gate files it names and the manifests
        // all come from one commit.
        let rev_id = match (&target, &repo) {
            (Target::Rev(rev), Some(repo)) => Some(repo.resolve_commit(rev)?),
            _ => None,
        };
        let git_files = match (&target, &rev_id, &repo, &index) {
            (Target::Rev(rev), Some(id), Some(repo), _) => {
                Some(GitFiles::Commit { repo: repo.clone(), id: id.clone(), name: rev.clone() })
            }
            (Target::Staged, _, _, Some(index)) => Some(GitFiles::Index(index.clone())),
            _ => None,
        };
        Ok(Gate { cwd: cwd.to_path_buf(), root, repo, jail, index, target, rev_id, pr, git_files })
    }

    /// The config file: `--config FILE` (`flag`), else `.tollgate.yaml` where the rule looks.
    pub fn config(&self, flag: Option<&Path>) -> Result<ConfigText, Error> {
        if let Some(pr) = &self.pr {
            return pr.config(flag, &self.cwd);
        }
        if let Some(p) = flag {
            let p = self.cwd.join(p);
            let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
            let confined = self.jail.holds(&p);
            return Ok(ConfigText {
                name: p.display().to_string(),
                text: Some(text),
                confined,
                from_git: false,
                read: None,
            });
        }
        let name = crate::source::filter::CONFIG_FILE;
        let text = match &self.git_files {
            Some(files) => files.file(name)?.map(|b| String::from_utf8_lossy(&b).into_owned()),
            None => read_repo_config(&self.root)?,
        };
        Ok(ConfigText { name: name.to_string(), text, confined: true, from_git: self.git_files.is_some(), read: None })
    }

    /// Add where the gate came from to an error about the gate's own files (PR mode).
    pub fn gate_error(&self, e: Error) -> Error {
        match &self.pr {
            Some(pr) => pr.gate_error(e),
            None => e,
        }
    }

    /// The commit ids of the run (`--rev`'s), for the check that a report never replaces a
    /// tracked file.
    pub fn commits(&self) -> Vec<&str> {
        self.rev_id.iter().map(CommitId::as_str).collect()
    }

    /// Repo-relative form of a user PATH (relative to cwd).
    pub fn repo_relative(&self, p: &str) -> String {
        let abs = self.cwd.join(p);
        let abs = abs.canonicalize().unwrap_or(abs);
        let root = self.root.canonicalize().unwrap_or_else(|_| self.root.to_path_buf());
        match abs.strip_prefix(&root) {
            Ok(r) => r.to_string_lossy().replace('\\', "/"),
            Err(_) => p.to_string(),
        }
    }
}

/// `.tollgate.yaml` at the top of the work tree `root` (`None`: there is none). A symbolic link is
/// refused: it could point outside the repository, and `--rev` and PR mode read the commit, where
/// a link is not its target, so one rule holds everywhere: the config is a regular file.
pub fn read_repo_config(root: &Path) -> Result<Option<String>, Error> {
    use crate::source::filter::CONFIG_FILE;
    let p = root.join(CONFIG_FILE);
    match std::fs::symlink_metadata(&p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&p, e)),
        Ok(m) if m.file_type().is_symlink() => Err(Error::Usage(format!(
            "{CONFIG_FILE} is a symbolic link; tollgate reads its config only from a regular file (a link can lead \
             outside the repository, and --rev and PR mode read the commit, where a link is not a file): commit the \
             file itself, or name it with --config"
        ))),
        Ok(_) => std::fs::read_to_string(&p).map(Some).map_err(|e| Error::io(&p, e)),
    }
}

/// Which files under a gate directory are read: one of the extensions (any case), minus those
/// whose name ends with `skip` (`_test.rego`).
#[derive(Debug, Clone, Copy)]
pub struct Kinds<'a> {
    pub exts: &'a [&'a str],
    pub skip: Option<&'a str>,
}

impl Kinds<'_> {
    pub const POLICY: Kinds<'static> = Kinds { exts: &["rego"], skip: Some("_test.rego") };
    /// A `-p` path: Rego files, and YAML files that may hold Gatekeeper templates and constraints.
    pub const POLICY_DIR: Kinds<'static> = Kinds { exts: &["rego", "yaml", "yml"], skip: Some("_test.rego") };
    pub const DATA: Kinds<'static> = Kinds { exts: &["json", "yaml", "yml"], skip: None };
    pub const SCHEMA: Kinds<'static> = Kinds { exts: &["json", "yaml", "yml"], skip: None };

    /// Whether the file `p` (a path or a name) is read.
    pub fn keeps(&self, p: &str) -> bool {
        let name = p.rsplit('/').next().unwrap_or(p);
        let lower = name.to_ascii_lowercase();
        self.exts.iter().any(|x| lower.ends_with(&format!(".{x}"))) && !self.skip.is_some_and(|s| name.ends_with(s))
    }
}

/// A gate file as read: the path shown in messages, and its bytes.
pub type GateFile = (String, Vec<u8>);

/// Where the gate's policy and data paths are read from, by the rule of this module. Built per
/// run from the [`Gate`] and the paths a config of the repository names (`confined`, with where it
/// names them).
pub struct GateReader<'a> {
    pub gate: &'a Gate,
    /// The repository's config came from git objects (`--rev`, `--staged`).
    pub config_from_git: bool,
    pub confined: &'a [(PathBuf, String)],
}

impl GateReader<'_> {
    /// The files under the gate path `p` (absolute) of the given kinds, sorted; a file is taken
    /// as given. In PR mode also the path read from the trusted commit (its changes are reported).
    pub fn read(&self, p: &Path, kinds: Kinds<'_>) -> Result<(Vec<GateFile>, Option<GatePath>), Error> {
        let gate = self.gate;
        if let Some(pr) = &gate.pr {
            return pr.read_gate(p, &gate.cwd, kinds);
        }
        let files = match (self.confined.iter().find(|c| c.0 == p), self.config_from_git, &gate.git_files) {
            (Some((_, at)), true, Some(files)) => read_git_files(files, &gate.jail, p, kinds, at)?,
            (Some((_, at)), _, _) => read_confined_files(p, &gate.cwd, kinds, &gate.jail, at)?,
            (None, _, _) => read_disk_files(p, &gate.cwd, kinds)?,
        };
        Ok((files, None))
    }
}

fn display_path(p: &Path, cwd: &Path) -> String {
    p.strip_prefix(cwd).unwrap_or(p).display().to_string()
}

/// The gate files under `p` on disk; paths are shown relative to `cwd`.
pub fn read_disk_files(p: &Path, cwd: &Path, kinds: Kinds<'_>) -> Result<Vec<GateFile>, Error> {
    walk::files(p, &|name| kinds.keeps(name))?
        .into_iter()
        .map(|f| Ok((display_path(&f, cwd), std::fs::read(&f).map_err(|e| Error::io(&f, e))?)))
        .collect()
}

/// [`read_disk_files`] for a path from a config file that is part of the repository: `p` must
/// resolve inside the repository, outside its git directory (the error names `at`, where the
/// config gives it); the files found under it in a git directory are left out.
fn read_confined_files(p: &Path, cwd: &Path, kinds: Kinds<'_>, jail: &Jail, at: &str) -> Result<Vec<GateFile>, Error> {
    let shown = display_path(p, cwd);
    if std::fs::symlink_metadata(p).is_ok() {
        jail.resolve(p).map_err(|why| Error::Usage(format!("{at}: {shown}: not read: {why}")))?;
    }
    walk::files(p, &|name| kinds.keeps(name))?
        .into_iter()
        .filter(|f| jail.resolve(f).is_ok())
        .map(|f| Ok((display_path(&f, cwd), std::fs::read(&f).map_err(|e| Error::io(&f, e))?)))
        .collect()
}

/// A path that a config read from git objects names (`--rev`: the commit, `--staged`: the
/// index): read from the same objects, not the disk, as PR mode reads the merge-base. Missing
/// there is an error naming `at`, where the config gives the path.
fn read_git_files(files: &GitFiles, jail: &Jail, p: &Path, kinds: Kinds<'_>, at: &str) -> Result<Vec<GateFile>, Error> {
    let rel = jail.relative(p).ok_or_else(|| Error::Usage(format!("{at}: {}: outside the repository", p.display())))?;
    files
        .files_under(&rel, &|f| kinds.keeps(f))
        .map_err(|e| Error::Usage(format!("{at}: {e}")))?
        .ok_or_else(|| Error::Usage(format!("{at}: {rel}: no such file or directory in {}", files.name())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Options, Timer};

    fn git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .output()
            .unwrap_or_else(|e| panic!("git: {e}"));
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A repository with `main` and a branch `change` one commit ahead of it.
    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        git(root, &["init", "-q"]);
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        std::fs::write(root.join("a.yaml"), cm).unwrap_or_else(|e| panic!("{e}"));
        git(root, &["add", "-A"]);
        git(root, &["commit", "-qm", "a"]);
        git(root, &["checkout", "-qb", "change"]);
        std::fs::write(root.join("b.yaml"), cm.replace("name: a", "name: b")).unwrap_or_else(|e| panic!("{e}"));
        git(root, &["add", "-A"]);
        git(root, &["commit", "-qm", "b"]);
        dir
    }

    fn options() -> Options {
        Options { today: "2026-01-01".into(), max_file_size: 1 << 20, ..Default::default() }
    }

    /// Each revision a run names is resolved once, when the gate opens: every read after that
    /// (config, gate files, the manifests, the diff) goes through the commit id, so a commit
    /// landing on HEAD during the run cannot mix two commits.
    #[test]
    fn each_revision_is_resolved_once_for_the_whole_run() {
        let r = repo();
        let root = std::fs::canonicalize(r.path()).unwrap_or_else(|e| panic!("{e}"));

        let gate = Gate::open(&root, Target::Rev("HEAD".into())).unwrap_or_else(|e| panic!("{e}"));
        let repo = gate.repo.clone().unwrap_or_else(|| panic!("a repository"));
        assert_eq!(repo.resolutions(), 1);
        let text = gate.config(None).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.from_git && text.text.is_none());
        let run = pipeline::run(&gate, options(), None, Timer::new(false)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.outcome.files, 2, "both files of HEAD were read");
        assert_eq!(repo.resolutions(), 1, "HEAD was resolved again during the run");

        let opts = pr::Options {
            base: "main".into(),
            head: None,
            trust: pr::Trust::MergeBase,
            show_existing: false,
            forbid_new_waivers: false,
        };
        let gate = Gate::open(&root, Target::Change(opts)).unwrap_or_else(|e| panic!("{e}"));
        let repo = gate.repo.clone().unwrap_or_else(|| panic!("a repository"));
        assert_eq!(repo.resolutions(), 2, "--base and HEAD, once each");
        gate.config(None).unwrap_or_else(|e| panic!("{e}"));
        let run = pipeline::run(&gate, options(), None, Timer::new(false)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.outcome.files, 1, "the changed file");
        assert_eq!(repo.resolutions(), 2, "a revision was resolved again during the run");
    }
}
