//! Nothing from the checked repository decides where tollgate writes or what it reads outside the
//! repository. Each test is an attack from a hostile commit (a `.tollgate.yaml`, a policy, a
//! symlink, a manifest field) on a real git repository, run with the real binary: it must be
//! refused with a clear error or finding, and nothing outside may be written, read or shown.

#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use common::{findings, git, tempdir, tollgate, write, Run};
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

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n";

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

/// The policy that reads `path` with `parse_config_file` and reports what it got.
fn reader_policy(path: &str) -> String {
    format!(
        "package main\nimport rego.v1\ndeny contains msg if {{\n  input.kind == \"ConfigMap\"\n  x := parse_config_file({path:?})\n  msg := sprintf(\"got %v\", [x])\n}}\n"
    )
}

/// `parse_config_file` reads only inside the repository (not its git directory) or a `-p`
/// directory, never through a symlink leaving them: a refused path is a runtime error finding
/// naming the path, and nothing of the file reaches the report.
#[test]
fn parse_config_file_reads_only_inside_the_repository() {
    let s = site();
    fs::write(s.outside.join("secret.yaml"), "token: hunter2-outside\n").unwrap();
    write(&s.root, "cm.yaml", CONFIGMAP);
    write(&s.root, "data/ok.yaml", "token: inside-value\n");
    symlink("../outside/secret.yaml", s.root.join("link.yaml")).unwrap();
    git(&s.root, &["config", "remote.origin.url", "https://user:hunter2-git@example.com/r"]);
    let secret_path = s.outside.join("secret.yaml");
    let cases = [
        (secret_path.to_str().unwrap(), "outside the repository and the policy directories"),
        ("../outside/secret.yaml", "outside the repository and the policy directories"),
        ("link.yaml", "(through a symbolic link)"),
        ("data/../../outside/secret.yaml", "outside the repository"),
        (".git/config", "inside the git directory"),
    ];
    for (path, why) in cases {
        write(&s.root, "policy/read.rego", reader_policy(path));
        let run = tollgate(&s.root, &["check", "-p", "policy", "-o", "json"]);
        run.expect_code(1);
        assert!(!run.stdout.contains("hunter2"), "{path}: {}", run.stdout);
        let report = run.json();
        let f = &findings(&report)[0];
        assert_eq!(f["rule"], "policy/runtime-error", "{path}: {report:#}");
        let msg = f["message"].as_str().unwrap();
        assert!(msg.contains(&format!("{path}: not read")) && msg.contains(why), "{path}: {msg}");
    }
    write(&s.root, "policy/read.rego", reader_policy("data/ok.yaml"));
    let run = tollgate(&s.root, &["check", "-p", "policy", "-o", "json"]);
    assert!(run.stdout.contains("got {\\\"token\\\": \\\"inside-value\\\"}"), "{}", run.stdout);

    // A policy library outside the repository, named on the command line, reads its own files.
    let lib = s.outside.join("lib");
    fs::create_dir(&lib).unwrap();
    fs::write(lib.join("allow.yaml"), "token: library-value\n").unwrap();
    fs::write(lib.join("read.rego"), reader_policy(lib.join("allow.yaml").to_str().unwrap())).unwrap();
    let run = tollgate(&s.root, &["check", "-p", lib.to_str().unwrap(), "-o", "json"]);
    assert!(run.stdout.contains("library-value"), "{}", run.stdout);
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
