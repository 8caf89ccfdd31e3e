//! Nothing from the checked repository decides where tollgate writes or what it reads outside the
//! repository. Each test is an attack from a hostile commit (a `.tollgate.yaml`, a policy, a
//! symlink, a manifest field) on a real git repository, run with the real binary: it must be
//! refused with a clear error or finding, and nothing outside may be written, read or shown.

#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use common::{git, tempdir, tollgate, Run};
use tempfile::TempDir;

/// A repository at `<tmp>/repo` and an empty directory beside it, `<tmp>/outside`, standing for
/// everything outside the repository (the user's home, the runner's secrets).
struct Site {
    _tmp: TempDir,
    root: PathBuf,
    outside: PathBuf,
}

fn site() -> Site {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&outside).unwrap();
    git(&root, &["init", "-q"]);
    Site { _tmp: tmp, root, outside }
}

/// The names of the entries of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[track_caller]
fn refused(run: &Run, wants: &[&str]) {
    run.expect_code(2);
    for w in wants {
        assert!(run.stderr.contains(w), "stderr lacks {w:?}:\n{}", run.stderr);
    }
}

/// `tollgate init` never writes through a symbolic link: a `policy` directory that is a link
/// out of the repository, or a dangling link where a file would go, and nothing is written.
#[test]
fn init_never_writes_through_a_symlink() {
    let s = site();
    symlink("../outside", s.root.join("policy")).unwrap();
    refused(&tollgate(&s.root, &["init"]), &["policy is a symbolic link", "nothing was written"]);
    assert!(entries(&s.outside).is_empty());
    assert!(!s.root.join(".tollgate.yaml").exists());
    fs::remove_file(s.root.join("policy")).unwrap();

    symlink("../outside/planted.yaml", s.root.join(".tollgate.yaml")).unwrap();
    refused(&tollgate(&s.root, &["init"]), &["not overwriting .tollgate.yaml"]);
    assert!(entries(&s.outside).is_empty());
    fs::remove_file(s.root.join(".tollgate.yaml")).unwrap();
    tollgate(&s.root, &["init"]).expect_code(0);
    assert!(s.root.join("policy/example.rego").is_file());
}

/// `hook install` with `core.hooksPath` naming a committed directory: a hooks directory that is a
/// link out of the repository is refused, and a planted `pre-commit` link is never written
/// through (not even with --force, which replaces the link itself).
#[test]
fn hook_install_never_writes_through_a_committed_symlink() {
    let s = site();
    git(&s.root, &["config", "core.hooksPath", ".githooks"]);
    symlink("../outside", s.root.join(".githooks")).unwrap();
    refused(&tollgate(&s.root, &["hook", "install"]), &[".githooks is a symbolic link"]);
    assert!(entries(&s.outside).is_empty());
    fs::remove_file(s.root.join(".githooks")).unwrap();

    fs::create_dir(s.root.join(".githooks")).unwrap();
    let victim = s.outside.join("victim");
    fs::write(&victim, "mine\n").unwrap();
    symlink("../../outside/victim", s.root.join(".githooks/pre-commit")).unwrap();
    refused(&tollgate(&s.root, &["hook", "install"]), &["was not written by tollgate"]);
    tollgate(&s.root, &["hook", "install", "--force"]).expect_code(0);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "mine\n");
    let hook = s.root.join(".githooks/pre-commit");
    let meta = fs::symlink_metadata(&hook).unwrap();
    assert!(meta.is_file() && meta.permissions().mode() & 0o111 != 0);
    assert!(fs::read_to_string(&hook).unwrap().contains("tollgate check --staged"));
}
