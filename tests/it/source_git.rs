//! Reading sources from real git repositories (built with the `git` CLI) and from the working tree.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;
use tollgate::source::git::{find_repo_root, read_blob_at, read_index, read_rev, resolve_commit};
use tollgate::source::worktree::read_worktree;
use tollgate::source::{Discovered, PathFilter, SkipReason, SourceError};

const NO_CAP: u64 = u64::MAX;

/// Run git in `dir` isolated from the caller's environment and configuration; return stdout.
fn git_in(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "protocol.file.allow=always"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0");
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES"] {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn git(dir: &Path, args: &[&str]) -> String {
    git_in(dir, args, &[])
}

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    fs::write(path, content).expect("write");
}

/// A fresh repository in a temp dir.
fn repo() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    dir
}

fn commit_all(root: &Path, message: &str) -> String {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "--no-verify", "-m", message]);
    git(root, &["rev-parse", "HEAD"])
}

fn paths(d: &Discovered) -> Vec<&str> {
    d.files.iter().map(|f| f.path.as_str()).collect()
}

fn content<'a>(d: &'a Discovered, path: &str) -> &'a str {
    let file = d.files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} missing in {:?}", paths(d)));
    std::str::from_utf8(&file.bytes).expect("utf-8")
}

fn all() -> PathFilter {
    PathFilter::default()
}

#[test]
fn rev_ignores_uncommitted_edits() {
    let r = repo();
    write(r.path(), "apps/a.yaml", "v: 1\n");
    commit_all(r.path(), "one");
    write(r.path(), "apps/a.yaml", "v: edited\n");
    write(r.path(), "apps/untracked.yaml", "u: 1\n");
    git(r.path(), &["add", "apps/untracked.yaml"]); // staged but not committed: still invisible

    let d = read_rev(r.path(), "HEAD", &all(), NO_CAP).expect("read");
    assert_eq!(paths(&d), ["apps/a.yaml"]);
    assert_eq!(content(&d, "apps/a.yaml"), "v: 1\n");
    assert!(d.skipped.is_empty());

    // A subdirectory of the work tree finds the same repository.
    let d = read_rev(&r.path().join("apps"), "HEAD", &all(), NO_CAP).expect("read from subdir");
    assert_eq!(paths(&d), ["apps/a.yaml"]);
}

#[test]
fn revs_resolve_like_git() {
    let r = repo();
    write(r.path(), "a.yaml", "v: 1\n");
    let first = commit_all(r.path(), "one");
    git(r.path(), &["tag", "-a", "-m", "release", "v1"]);
    git(r.path(), &["tag", "light"]);
    write(r.path(), "a.yaml", "v: 2\n");
    write(r.path(), "b.yml", "b: 1\n");
    let second = commit_all(r.path(), "two");
    git(r.path(), &["update-ref", "refs/remotes/origin/main", &first]);

    let head = read_rev(r.path(), "HEAD", &all(), NO_CAP).expect("HEAD");
    assert_eq!(paths(&head), ["a.yaml", "b.yml"]);
    assert_eq!(content(&head, "a.yaml"), "v: 2\n");

    for rev in ["HEAD~1", "HEAD^", "v1", "light", "origin/main", first.as_str(), &first[..8]] {
        let old = read_rev(r.path(), rev, &all(), NO_CAP).unwrap_or_else(|e| panic!("{rev}: {e}"));
        assert_eq!(paths(&old), ["a.yaml"], "{rev}");
        assert_eq!(content(&old, "a.yaml"), "v: 1\n", "{rev}");
        assert_eq!(resolve_commit(r.path(), rev).expect("resolve"), first, "{rev}");
    }
    assert_eq!(resolve_commit(r.path(), "main").expect("resolve"), second);
    assert_eq!(resolve_commit(r.path(), "HEAD").expect("resolve"), second);
}

#[test]
fn bare_clone() {
    let r = repo();
    write(r.path(), "k8s/deploy.yaml", "kind: Deployment\n");
    let head = commit_all(r.path(), "one");
    let outer = tempfile::tempdir().expect("tempdir");
    let bare = outer.path().join("bare.git");
    git(outer.path(), &["clone", "-q", "--bare", &r.path().display().to_string(), "bare.git"]);

    let d = read_rev(&bare, "HEAD", &all(), NO_CAP).expect("read bare");
    assert_eq!(paths(&d), ["k8s/deploy.yaml"]);
    assert_eq!(content(&d, "k8s/deploy.yaml"), "kind: Deployment\n");
    assert_eq!(resolve_commit(&bare, "main").expect("resolve"), head);
    assert_eq!(
        find_repo_root(&bare).map(|p| p.canonicalize().expect("canon")),
        Some(bare.canonicalize().expect("canon"))
    );
    // A bare repository has no index; --staged there is an error, not a silent pass.
    assert!(matches!(read_index(&bare, &all(), NO_CAP), Err(SourceError::Git(_))));
}

#[test]
fn shallow_clone() {
    let r = repo();
    write(r.path(), "a.yaml", "v: 1\n");
    commit_all(r.path(), "one");
    write(r.path(), "a.yaml", "v: 2\n");
    commit_all(r.path(), "two");
    let outer = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", r.path().display());
    git(outer.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let shallow = outer.path().join("shallow");
    assert!(shallow.join(".git/shallow").exists(), "clone is shallow");

    let d = read_rev(&shallow, "HEAD", &all(), NO_CAP).expect("read shallow");
    assert_eq!(content(&d, "a.yaml"), "v: 2\n");
    let d = read_rev(&shallow, "origin/main", &all(), NO_CAP).expect("read origin/main");
    assert_eq!(content(&d, "a.yaml"), "v: 2\n");
    // The parent is not in the clone.
    assert!(matches!(read_rev(&shallow, "HEAD~1", &all(), NO_CAP), Err(SourceError::UnknownRev { .. })));
}

#[test]
fn detached_head() {
    let r = repo();
    write(r.path(), "a.yaml", "v: 1\n");
    let first = commit_all(r.path(), "one");
    write(r.path(), "a.yaml", "v: 2\n");
    commit_all(r.path(), "two");
    git(r.path(), &["checkout", "-q", "--detach", "HEAD~1"]);

    assert_eq!(resolve_commit(r.path(), "HEAD").expect("resolve"), first);
    let d = read_rev(r.path(), "HEAD", &all(), NO_CAP).expect("read");
    assert_eq!(content(&d, "a.yaml"), "v: 1\n");
    let d = read_rev(r.path(), "main", &all(), NO_CAP).expect("read main");
    assert_eq!(content(&d, "a.yaml"), "v: 2\n");
}

#[cfg(unix)]
#[test]
fn symlinks_are_read_through_and_submodules_noted() {
    let r = repo();
    write(r.path(), "apps/a.yaml", "a: 1\n");
    std::os::unix::fs::symlink("a.yaml", r.path().join("apps/link.yaml")).expect("symlink");
    std::os::unix::fs::symlink("a.yaml", r.path().join("apps/link.txt")).expect("symlink");
    let head = commit_all(r.path(), "one");
    // Gitlinks: a submodule's manifests are in another repository whatever its name, so each one
    // under the checked paths is noted, with or without a manifest extension; --exclude and the
    // paths given still apply.
    git(r.path(), &["update-index", "--add", "--cacheinfo", &format!("160000,{head},charts/sub.yaml")]);
    git(r.path(), &["update-index", "--add", "--cacheinfo", &format!("160000,{head},vendor/lib")]);
    git(r.path(), &["commit", "-q", "--no-verify", "-m", "submodules"]);

    // A link whose path matches is read through (its target's content under its own path).
    let link = || SkipReason::Symlink { target: "apps/a.yaml".into() };
    let expect_default = |d: &Discovered| {
        assert_eq!(paths(d), ["apps/a.yaml", "apps/link.yaml"]);
        assert_eq!(content(d, "apps/link.yaml"), "a: 1\n");
        let skipped: Vec<_> = d.skipped.iter().map(|s| (s.path.as_str(), s.reason.clone())).collect();
        assert_eq!(
            skipped,
            [
                ("apps/link.yaml", link()),
                ("charts/sub.yaml", SkipReason::Submodule),
                ("vendor/lib", SkipReason::Submodule)
            ]
        );
    };
    expect_default(&read_rev(r.path(), "HEAD", &all(), NO_CAP).expect("rev"));
    expect_default(&read_index(r.path(), &all(), NO_CAP).expect("index"));
    let no_vendor = PathFilter::new(&[], &["vendor/**".into()]).expect("filter");
    let d = read_rev(r.path(), "HEAD", &no_vendor, NO_CAP).expect("rev");
    assert!(d.skipped.iter().all(|s| s.path != "vendor/lib"), "{:?}", d.skipped);
    let apps = PathFilter::new(&[], &[]).expect("filter").with_prefixes(vec!["apps".into()]);
    let d = read_rev(r.path(), "HEAD", &apps, NO_CAP).expect("rev");
    assert!(d.skipped.iter().all(|s| s.reason != SkipReason::Submodule), "{:?}", d.skipped);
    let vendor = PathFilter::new(&[], &[]).expect("filter").with_prefixes(vec!["vendor".into()]);
    let d = read_rev(r.path(), "HEAD", &vendor, NO_CAP).expect("rev");
    assert!(d.files.is_empty());
    assert_eq!(d.skipped.len(), 1);
    assert_eq!((d.skipped[0].path.as_str(), &d.skipped[0].reason), ("vendor/lib", &SkipReason::Submodule));

    // The working tree has the symlink too; it is read through on disk.
    let d = read_worktree(r.path(), &[], &all(), NO_CAP).expect("worktree");
    assert_eq!(paths(&d), ["apps/a.yaml", "apps/link.yaml"]);
    let skipped: Vec<_> = d.skipped.iter().map(|s| (s.path.as_str(), s.reason.clone())).collect();
    assert_eq!(skipped, [("apps/link.yaml", link())]);
    // Named explicitly, the same.
    let d = read_worktree(r.path(), &[r.path().join("apps/link.yaml")], &all(), NO_CAP).expect("worktree");
    assert_eq!(paths(&d), ["apps/link.yaml"]);
    assert_eq!(d.skipped.len(), 1);
}

#[test]
fn unknown_rev_and_not_a_repository() {
    let r = repo();
    write(r.path(), "a.yaml", "a: 1\n");
    commit_all(r.path(), "one");

    for rev in ["nope", "HEAD~5", "0123456789abcdef0123456789abcdef01234567", "HEAD^{tree}", "HEAD:a.yaml"] {
        match read_rev(r.path(), rev, &all(), NO_CAP) {
            Err(SourceError::UnknownRev { rev: got, message }) => {
                assert_eq!(got, rev);
                assert!(!message.is_empty());
            }
            other => panic!("{rev}: expected UnknownRev, got {other:?}"),
        }
        assert!(matches!(resolve_commit(r.path(), rev), Err(SourceError::UnknownRev { .. })), "{rev}");
    }

    // An empty repository has no HEAD commit yet.
    let empty = repo();
    assert!(matches!(read_rev(empty.path(), "HEAD", &all(), NO_CAP), Err(SourceError::UnknownRev { .. })));

    let plain = tempfile::tempdir().expect("tempdir");
    if find_repo_root(plain.path()).is_some() {
        eprintln!("the temp dir is inside a git repository; skipping the not-a-repository checks");
        return;
    }
    assert!(matches!(read_rev(plain.path(), "HEAD", &all(), NO_CAP), Err(SourceError::NotARepository(_))));
    assert!(matches!(read_index(plain.path(), &all(), NO_CAP), Err(SourceError::NotARepository(_))));
    assert!(matches!(resolve_commit(plain.path(), "HEAD"), Err(SourceError::NotARepository(_))));
    let missing = plain.path().join("missing");
    assert!(matches!(read_rev(&missing, "HEAD", &all(), NO_CAP), Err(SourceError::Io { .. })));
}

#[test]
fn find_repo_root_walks_up() {
    let r = repo();
    write(r.path(), "apps/web/a.yaml", "a: 1\n");
    let root = r.path().canonicalize().expect("canon");
    for start in [r.path().to_path_buf(), r.path().join("apps/web"), r.path().join("apps/web/a.yaml")] {
        let found = find_repo_root(&start).map(|p| p.canonicalize().expect("canon"));
        assert_eq!(found.as_ref(), Some(&root), "{}", start.display());
    }
}

#[test]
fn include_exclude_and_prefixes() {
    let r = repo();
    for path in ["apps/a.yaml", "apps/b.json", "apps/web/c.yml", "apps/x.tpl", "infra/d.yaml", "vendor/e.yaml"] {
        write(r.path(), path, "k: v\n");
    }
    write(r.path(), "README.md", "# readme\n");
    commit_all(r.path(), "one");

    let d = read_rev(r.path(), "HEAD", &all(), NO_CAP).expect("read");
    assert_eq!(paths(&d), ["apps/a.yaml", "apps/b.json", "apps/web/c.yml", "infra/d.yaml", "vendor/e.yaml"]);

    let f = PathFilter::new(&[], &["*.json".into(), "vendor/**".into()]).expect("filter");
    let d = read_rev(r.path(), "HEAD", &f, NO_CAP).expect("read");
    assert_eq!(paths(&d), ["apps/a.yaml", "apps/web/c.yml", "infra/d.yaml"]);

    let f = PathFilter::new(&["**/*.tpl".into()], &[]).expect("filter");
    let d = read_rev(r.path(), "HEAD", &f, NO_CAP).expect("read");
    assert_eq!(paths(&d), ["apps/x.tpl"]);

    let f = PathFilter::default().with_prefixes(vec!["apps/web".into(), "infra/d.yaml".into()]);
    let d = read_rev(r.path(), "HEAD", &f, NO_CAP).expect("read");
    assert_eq!(paths(&d), ["apps/web/c.yml", "infra/d.yaml"]);
    let d = read_index(r.path(), &f, NO_CAP).expect("index");
    assert_eq!(paths(&d), ["apps/web/c.yml", "infra/d.yaml"]);
    let d = read_worktree(r.path(), &[], &f, NO_CAP).expect("worktree");
    assert_eq!(paths(&d), ["apps/web/c.yml", "infra/d.yaml"]);
}

#[test]
fn size_cap_uses_the_object_header() {
    let r = repo();
    let big: String = (0..200).map(|i| format!("line{i}: value\n")).collect();
    write(r.path(), "big.yaml", &big);
    write(r.path(), "small.yaml", "s: 1\n");
    commit_all(r.path(), "one");
    // A similar second version, then repack so one of them is stored as a delta.
    write(r.path(), "big.yaml", &format!("{big}extra: 1\n"));
    commit_all(r.path(), "two");
    git(r.path(), &["repack", "-adfq"]);
    git(r.path(), &["prune-packed"]);

    for (rev, size) in [("HEAD", big.len() + 9), ("HEAD~1", big.len())] {
        let d = read_rev(r.path(), rev, &all(), 100).expect("read");
        let file = d.files.iter().find(|f| f.path == "big.yaml").expect("big listed");
        assert_eq!(file.too_large, Some(size as u64), "{rev}");
        assert!(file.bytes.is_empty());
        assert_eq!(content(&d, "small.yaml"), "s: 1\n");
        let d = read_rev(r.path(), rev, &all(), size as u64).expect("read");
        assert_eq!(content(&d, "big.yaml").len(), size, "{rev} exactly at the cap is read");
    }
    let d = read_index(r.path(), &all(), 100).expect("index");
    assert_eq!(d.files.iter().find(|f| f.path == "big.yaml").and_then(|f| f.too_large), Some(big.len() as u64 + 9));
    let d = read_worktree(r.path(), &[], &all(), 100).expect("worktree");
    assert_eq!(d.files.iter().find(|f| f.path == "big.yaml").and_then(|f| f.too_large), Some(big.len() as u64 + 9));
    assert_eq!(content(&d, "small.yaml"), "s: 1\n");
}

#[test]
fn index_sees_staged_not_unstaged() {
    let r = repo();
    write(r.path(), "a.yaml", "v: 1\n");
    write(r.path(), "b.yaml", "b: 1\n");
    write(r.path(), "gone.yaml", "g: 1\n");
    commit_all(r.path(), "one");
    write(r.path(), "a.yaml", "v: staged\n");
    git(r.path(), &["add", "a.yaml"]);
    write(r.path(), "a.yaml", "v: unstaged\n");
    write(r.path(), "b.yaml", "b: unstaged\n");
    write(r.path(), "new.yaml", "n: 1\n");
    git(r.path(), &["add", "new.yaml"]);
    write(r.path(), "later.yaml", "l: 1\n");
    git(r.path(), &["add", "-N", "later.yaml"]); // intent to add: not part of the next commit
    git(r.path(), &["rm", "-q", "--cached", "gone.yaml"]);

    let d = read_index(r.path(), &all(), NO_CAP).expect("index");
    assert_eq!(paths(&d), ["a.yaml", "b.yaml", "new.yaml"]);
    assert_eq!(content(&d, "a.yaml"), "v: staged\n");
    assert_eq!(content(&d, "b.yaml"), "b: 1\n");

    // Before the first `git add` there is no index file at all: nothing is staged.
    let empty = repo();
    let d = read_index(empty.path(), &all(), NO_CAP).expect("index");
    assert!(d.files.is_empty());
}

#[test]
fn index_in_a_sparse_checkout() {
    let r = repo();
    write(r.path(), "apps/a.yaml", "a: 1\n");
    write(r.path(), "infra/b.yaml", "b: 1\n");
    write(r.path(), "top.yaml", "t: 1\n");
    commit_all(r.path(), "one");
    git(r.path(), &["config", "index.sparse", "true"]);
    git(r.path(), &["sparse-checkout", "set", "--cone", "apps"]);
    assert!(!r.path().join("infra/b.yaml").exists(), "infra is outside the cone");

    // Directories outside the cone are stored as tree entries; they are still committed content.
    let d = read_index(r.path(), &all(), NO_CAP).expect("index");
    assert_eq!(paths(&d), ["apps/a.yaml", "infra/b.yaml", "top.yaml"]);
    assert_eq!(content(&d, "infra/b.yaml"), "b: 1\n");
}

#[test]
fn linked_worktree() {
    let r = repo();
    write(r.path(), "a.yaml", "v: main\n");
    commit_all(r.path(), "one");
    let outer = tempfile::tempdir().expect("tempdir");
    let wt = outer.path().join("wt");
    git(r.path(), &["worktree", "add", "-q", "-b", "feature", &wt.display().to_string()]);
    write(&wt, "a.yaml", "v: feature\n");
    git(&wt, &["add", "a.yaml"]);

    assert_eq!(content(&read_index(&wt, &all(), NO_CAP).expect("index"), "a.yaml"), "v: feature\n");
    assert_eq!(content(&read_index(r.path(), &all(), NO_CAP).expect("index"), "a.yaml"), "v: main\n");
    git(&wt, &["commit", "-q", "--no-verify", "-m", "feature"]);
    assert_eq!(content(&read_rev(&wt, "HEAD", &all(), NO_CAP).expect("rev"), "a.yaml"), "v: feature\n");
    assert_eq!(content(&read_rev(r.path(), "HEAD", &all(), NO_CAP).expect("rev"), "a.yaml"), "v: main\n");
    assert_eq!(find_repo_root(&wt).map(|p| p.canonicalize().expect("canon")), Some(wt.canonicalize().expect("canon")));
}

/// `GIT_INDEX_FILE` is process-wide, so the check runs in a child test process that has it set.
#[test]
fn index_honours_git_index_file() {
    const REPO_VAR: &str = "TOLLGATE_TEST_INDEX_REPO";
    if let Some(repo_dir) = std::env::var_os(REPO_VAR) {
        let d = read_index(Path::new(&repo_dir), &all(), NO_CAP).expect("index");
        assert_eq!(paths(&d), ["a.yaml", "only-in-temp-index.yaml"]);
        assert_eq!(content(&d, "a.yaml"), "v: temp index\n");
        return;
    }

    let r = repo();
    write(r.path(), "a.yaml", "v: 1\n");
    commit_all(r.path(), "one");
    // Like `git commit -a`: a temporary index with different staged content.
    let tmp_index = r.path().join(".git/tollgate-tmp-index");
    let env = [("GIT_INDEX_FILE", tmp_index.as_path())];
    git_in(r.path(), &["read-tree", "HEAD"], &env);
    write(r.path(), "a.yaml", "v: temp index\n");
    write(r.path(), "only-in-temp-index.yaml", "x: 1\n");
    git_in(r.path(), &["add", "a.yaml", "only-in-temp-index.yaml"], &env);

    // The real index is untouched.
    let d = read_index(r.path(), &all(), NO_CAP).expect("index");
    assert_eq!(paths(&d), ["a.yaml"]);
    assert_eq!(content(&d, "a.yaml"), "v: 1\n");

    // Absolute, and relative to the current directory (as git resolves it).
    let relative = PathBuf::from(".git/tollgate-tmp-index");
    for value in [tmp_index.as_path(), relative.as_path()] {
        let out = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "source_git::index_honours_git_index_file", "--test-threads=1", "--nocapture"])
            .current_dir(r.path())
            .env(REPO_VAR, r.path())
            .env("GIT_INDEX_FILE", value)
            .output()
            .expect("child test runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child with GIT_INDEX_FILE={}: {stdout}", value.display());
        assert!(stdout.contains("1 passed"), "child ran the test: {stdout}");
    }
}

#[test]
fn read_blob_at_a_rev() {
    let r = repo();
    write(r.path(), ".tollgate.yaml", "builtin: strict\n");
    write(r.path(), "policies/p.rego", "package main\n");
    commit_all(r.path(), "one");
    write(r.path(), ".tollgate.yaml", "builtin: none\n");
    commit_all(r.path(), "two");

    let got = read_blob_at(r.path(), "HEAD~1", ".tollgate.yaml").expect("read");
    assert_eq!(got.as_deref(), Some(&b"builtin: strict\n"[..]));
    let got = read_blob_at(r.path(), "HEAD", "./policies/p.rego").expect("read");
    assert_eq!(got.as_deref(), Some(&b"package main\n"[..]));
    assert_eq!(read_blob_at(r.path(), "HEAD", "absent.yaml").expect("read"), None);
    assert_eq!(read_blob_at(r.path(), "HEAD", "policies/absent/x").expect("read"), None);
    assert!(matches!(read_blob_at(r.path(), "HEAD", "policies"), Err(SourceError::Git(_))));
    assert!(matches!(read_blob_at(r.path(), "nope", ".tollgate.yaml"), Err(SourceError::UnknownRev { .. })));
}

#[test]
fn worktree_honours_gitignore() {
    let r = repo();
    write(r.path(), ".gitignore", "ignored.yaml\nbuild/\n");
    write(r.path(), "a.yaml", "a: 1\n");
    write(r.path(), "ignored.yaml", "i: 1\n");
    write(r.path(), "build/out.yaml", "o: 1\n");
    write(r.path(), "sub/.gitignore", "local.yaml\n");
    write(r.path(), "sub/local.yaml", "l: 1\n");
    write(r.path(), "sub/kept.yaml", "k: 1\n");
    write(r.path(), ".hidden/h.yaml", "h: 1\n");
    write(r.path(), ".ignore", "a.yaml\n"); // ripgrep's file, not git's: has no effect
    write(r.path(), ".git/info/exclude", "excluded.yaml\n");
    write(r.path(), "excluded.yaml", "e: 1\n");
    write(r.path(), ".git/stray.yaml", "s: 1\n");
    write(r.path(), "notes.txt", "not a manifest\n");

    let d = read_worktree(r.path(), &[], &all(), NO_CAP).expect("worktree");
    assert_eq!(paths(&d), [".hidden/h.yaml", "a.yaml", "sub/kept.yaml"]);
    assert_eq!(content(&d, "a.yaml"), "a: 1\n");

    // Uncommitted and unstaged content is what the working tree source reads.
    write(r.path(), "a.yaml", "a: edited\n");
    let d = read_worktree(r.path(), &[r.path().join("a.yaml")], &all(), NO_CAP).expect("worktree");
    assert_eq!(content(&d, "a.yaml"), "a: edited\n");

    // Named explicitly: read even though ignored.
    let named = [r.path().join("ignored.yaml"), r.path().join("sub")];
    let d = read_worktree(r.path(), &named, &all(), NO_CAP).expect("worktree");
    assert_eq!(paths(&d), ["ignored.yaml", "sub/kept.yaml"]);
    // ... but --exclude still applies.
    let f = PathFilter::new(&[], &["ignored.*".into()]).expect("filter");
    let d = read_worktree(r.path(), &named, &f, NO_CAP).expect("worktree");
    assert_eq!(paths(&d), ["sub/kept.yaml"]);
    // A file that is not a manifest by its name is an error (read as YAML it would pass as one
    // string), unless an --include glob names it.
    let notes = [r.path().join("notes.txt")];
    match read_worktree(r.path(), &notes, &all(), NO_CAP) {
        Err(SourceError::NotAManifest { path }) => assert_eq!(path, "notes.txt"),
        other => panic!("expected NotAManifest, got {other:?}"),
    }
    let f = PathFilter::new(&["*.txt".into()], &[]).expect("filter");
    let d = read_worktree(r.path(), &notes, &f, NO_CAP).expect("worktree");
    assert_eq!(paths(&d), ["notes.txt"]);
    // Overlapping PATHs do not duplicate files.
    let d = read_worktree(r.path(), &[r.path().join("sub"), r.path().join("sub/kept.yaml")], &all(), NO_CAP)
        .expect("worktree");
    assert_eq!(paths(&d), ["sub/kept.yaml"]);

    match read_worktree(r.path(), &[r.path().join("missing.yaml")], &all(), NO_CAP) {
        Err(SourceError::Io { path, .. }) => assert!(path.ends_with("missing.yaml"), "{path}"),
        other => panic!("expected Io error, got {other:?}"),
    }
    let elsewhere = tempfile::tempdir().expect("tempdir");
    write(elsewhere.path(), "x.yaml", "x: 1\n");
    assert!(matches!(
        read_worktree(r.path(), &[elsewhere.path().join("x.yaml")], &all(), NO_CAP),
        Err(SourceError::Io { .. })
    ));
}

#[test]
fn worktree_outside_a_repository_reads_everything() {
    let plain = tempfile::tempdir().expect("tempdir");
    if find_repo_root(plain.path()).is_some() {
        eprintln!("the temp dir is inside a git repository; skipping");
        return;
    }
    write(plain.path(), ".gitignore", "ignored.yaml\n");
    write(plain.path(), "ignored.yaml", "i: 1\n");
    write(plain.path(), "a/b.json", "{}\n");
    let d = read_worktree(plain.path(), &[], &all(), NO_CAP).expect("worktree");
    assert_eq!(paths(&d), ["a/b.json", "ignored.yaml"]);
}

/// A real pre-commit hook: git runs it against a temporary index for `git commit -a` and
/// `git commit PATH`; the hook (this test binary again) must see exactly what will be committed.
#[cfg(unix)]
#[test]
fn pre_commit_hook_sees_what_will_be_committed() {
    use std::os::unix::fs::PermissionsExt;
    const OUT_VAR: &str = "TOLLGATE_TEST_HOOK_OUT";
    if let Some(out) = std::env::var_os(OUT_VAR) {
        let cwd = std::env::current_dir().expect("cwd");
        let d = read_index(&cwd, &all(), NO_CAP).expect("index");
        let lines: Vec<String> =
            d.files.iter().map(|f| format!("{}={}", f.path, String::from_utf8_lossy(&f.bytes).trim())).collect();
        fs::write(out, lines.join("\n")).expect("write hook output");
        return;
    }

    let r = repo();
    write(r.path(), "a.yaml", "v: 1");
    write(r.path(), "b.yaml", "b: 1");
    commit_all(r.path(), "one");
    let hook = r.path().join(".git/hooks/pre-commit");
    let exe = std::env::current_exe().expect("test binary");
    write(
        r.path(),
        ".git/hooks/pre-commit",
        &format!(
            "#!/bin/sh\nexec '{}' --exact source_git::pre_commit_hook_sees_what_will_be_committed --test-threads=1 -q\n",
            exe.display()
        ),
    );
    fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = r.path().join(".git/hook-out");
    let env = [(OUT_VAR, out.as_path())];
    let seen = || fs::read_to_string(&out).expect("hook ran");

    // `git commit -a`: unstaged edits to tracked files are committed, untracked files are not.
    write(r.path(), "a.yaml", "v: 2");
    write(r.path(), "untracked.yaml", "u: 1");
    git_in(r.path(), &["commit", "-q", "-a", "-m", "two"], &env);
    assert_eq!(seen(), "a.yaml=v: 2\nb.yaml=b: 1");

    // `git commit PATH`: only that path's working-tree content, on top of HEAD.
    write(r.path(), "a.yaml", "v: 3");
    write(r.path(), "b.yaml", "b: 3");
    git(r.path(), &["add", "b.yaml"]);
    git_in(r.path(), &["commit", "-q", "-m", "three", "a.yaml"], &env);
    assert_eq!(seen(), "a.yaml=v: 3\nb.yaml=b: 1");

    // Plain `git commit`: the staged content (git passes a relative GIT_INDEX_FILE here).
    write(r.path(), "a.yaml", "v: unstaged");
    git_in(r.path(), &["commit", "-q", "-m", "four"], &env);
    assert_eq!(seen(), "a.yaml=v: 3\nb.yaml=b: 3");
}
