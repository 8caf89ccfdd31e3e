//! `tollgate hook install|uninstall`: the git pre-commit hook that runs `tollgate check --staged`.
//!
//! The hooks directory is found the way git finds it, with gix: `core.hooksPath` when set (a
//! relative value is relative to the top of the working tree, where git runs hooks), else the
//! `hooks` directory of the common git directory (shared by all linked worktrees). The hook carries
//! a marker line; a hook without it belongs to someone else and is only replaced with `--force`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ExitStatus, Io};
use crate::settings::cli::HookCommand;

/// The line that marks a hook as written by tollgate.
pub const MARKER: &str = "# tollgate-hook: written by `tollgate hook install`; `tollgate hook uninstall` removes it";

/// Run `hook install` / `hook uninstall` in the repository containing `cwd`.
pub fn run(cmd: HookCommand, cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let (path, in_tree) = hook_location(cwd)?;
    let shown = shown(&path, cwd);
    let message = match cmd {
        HookCommand::Install { force } => {
            let exe = std::env::current_exe().ok();
            let replaced = install_in(&path, exe.as_deref(), force, in_tree.as_deref())?;
            let what = if replaced { "replaced" } else { "installed" };
            format!("{what} the pre-commit hook {shown}: `git commit` now runs `tollgate check --staged`\n")
        }
        HookCommand::Uninstall => {
            if uninstall(&path)? {
                format!("removed the pre-commit hook {shown}\n")
            } else {
                format!("no pre-commit hook at {shown}; nothing to remove\n")
            }
        }
    };
    io.stdout.write_all(message.as_bytes()).map_err(Error::stdout)?;
    Ok(ExitStatus::Pass)
}

/// The pre-commit hook's path for the repository containing `cwd`.
pub fn hook_path(cwd: &Path) -> Result<PathBuf, Error> {
    Ok(hook_location(cwd)?.0)
}

/// The pre-commit hook's path, and the top of the work tree when the hooks directory lies in the
/// work tree rather than in the git directory (`core.hooksPath` naming a committed directory).
fn hook_location(cwd: &Path) -> Result<(PathBuf, Option<PathBuf>), Error> {
    let cwd = std::path::absolute(cwd).map_err(|e| io_err(cwd, e))?;
    let repo = gix::discover(&cwd).map_err(|e| {
        Error::Usage(format!("{} is not inside a git repository ({e}); run `git init` first", cwd.display()))
    })?;
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        return Err(Error::Usage(format!(
            "{} is a bare repository: nobody commits there, so a pre-commit hook would never run",
            repo.git_dir().display()
        )));
    };
    let workdir = std::path::absolute(&workdir).unwrap_or(workdir);
    let dir = crate::source::git::hooks_dir_of(&repo, &workdir)?;
    let absolute = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { workdir.join(p) };
    let in_git = [repo.git_dir(), repo.common_dir()].iter().any(|g| dir.starts_with(absolute(g)));
    let in_tree = (!in_git && dir.starts_with(&workdir)).then(|| workdir.clone());
    Ok((dir.join("pre-commit"), in_tree))
}

/// The hook script: `tollgate` from PATH, else the binary at `exe` (the one that installed it).
pub fn script(exe: Option<&Path>) -> String {
    let fallback = exe.map(|p| sh_quote(&p.to_string_lossy())).unwrap_or_else(|| "''".into());
    format!(
        "#!/bin/sh\n\
         {MARKER}\n\
         # Blocks the commit when what is staged breaks a policy (`git commit --no-verify` skips it).\n\
         fallback={fallback}\n\
         if command -v tollgate >/dev/null 2>&1; then\n\
         \x20 exec tollgate check --staged\n\
         elif [ -x \"$fallback\" ]; then\n\
         \x20 exec \"$fallback\" check --staged\n\
         fi\n\
         echo \"tollgate pre-commit hook: tollgate is not on PATH (nor at $fallback); install it, or commit with --no-verify\" >&2\n\
         exit 1\n"
    )
}

/// Whether the file at `path` is a hook tollgate wrote. A missing file is not; nor is a symbolic
/// link (tollgate writes none, and what it points to is not read).
fn is_ours(path: &Path) -> Result<Option<bool>, Error> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Ok(Some(false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).lines().any(|l| l.trim_end() == MARKER))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

/// Write the hook at `path`. A hook tollgate did not write is an error unless `force`. Returns
/// whether a hook was there before.
pub fn install(path: &Path, exe: Option<&Path>, force: bool) -> Result<bool, Error> {
    install_in(path, exe, force, None)
}

/// [`install`], for a hook in the work tree `workdir`: a hooks directory inside the work tree
/// (`core.hooksPath` naming a committed directory) is made of files a commit can plant, so no
/// directory on the way from the top of the work tree may be a symbolic link. The hook itself is
/// always created afresh, never written through a link.
fn install_in(path: &Path, exe: Option<&Path>, force: bool, workdir: Option<&Path>) -> Result<bool, Error> {
    let existing = is_ours(path)?;
    if existing == Some(false) && !force {
        return Err(Error::Usage(format!(
            "{} exists and was not written by tollgate; not overwriting it. Add `tollgate check --staged` to it \
             yourself, or rerun with --force to replace it",
            path.display()
        )));
    }
    if let Some(dir) = path.parent() {
        let in_tree = workdir.and_then(|w| dir.strip_prefix(w).ok().map(|rel| (w, rel)));
        match in_tree {
            Some((w, rel)) => {
                crate::source::confine::walk_dirs(w, rel, true)?;
            }
            None => std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?,
        }
    }
    if existing.is_some() {
        // Replace the file itself, not what a symlink there points to.
        std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
    }
    let mut f = crate::source::confine::create_fresh(path, false, 0o755).map_err(|e| io_err(path, e))?;
    f.write_all(script(exe).as_bytes()).map_err(|e| io_err(path, e))?;
    Ok(existing.is_some())
}

/// Remove the hook at `path` if tollgate wrote it. Returns whether there was one; a hook someone
/// else wrote is an error and stays.
pub fn uninstall(path: &Path) -> Result<bool, Error> {
    match is_ours(path)? {
        None => Ok(false),
        Some(false) => Err(Error::Usage(format!("{} was not written by tollgate; leaving it alone", path.display()))),
        Some(true) => {
            std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
            Ok(true)
        }
    }
}

/// `s` as one single-quoted shell word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn shown(p: &Path, cwd: &Path) -> String {
    p.strip_prefix(cwd).unwrap_or(p).display().to_string()
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(sh_quote("/opt/my tools/it's/tollgate"), "'/opt/my tools/it'\\''s/tollgate'");
        let s = script(Some(Path::new("/x y/tollgate")));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("\nfallback='/x y/tollgate'\n"));
        assert!(s.lines().any(|l| l == MARKER));
        assert!(s.contains("  exec tollgate check --staged\n"));
    }
}
