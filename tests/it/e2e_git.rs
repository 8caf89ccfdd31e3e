//! End-to-end tests of `tollgate check` on real git repositories built in temp dirs: the working
//! tree (ignored files skipped), `--rev` (uncommitted files invisible, older commits, bare and
//! shallow clones, detached HEAD, the config committed with the commit), `--staged`, PATH
//! arguments, symlinks and LFS pointers.

use crate::common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// A ConfigMap named `name` whose `data.v` is `v` (line 7 holds `v`).
fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{owner: team}}\ndata:\n  v: {v}\n")
}

/// A repository with the configmaps policy under `policy/` (committed).
fn repo_with_policy() -> tempfile::TempDir {
    let r = repo();
    copy_fixture("policies/configmaps", r.path(), "policy");
    r
}

/// Run `check -p <abs policy> -o json ARGS` in `dir`; returns (exit code, report).
#[track_caller]
fn check(dir: &Path, policy: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let p = policy.display().to_string();
    // Schema validation off: these tests are about sources, on sketchy manifests.
    let run = tollgate(dir, &[&["check", "-p", &p, "-o", "json", "--no-schemas"][..], args].concat());
    assert!(matches!(run.code, Some(0 | 1)), "{run:?}");
    (run.code, run.json())
}

/// (file, message, line) of every finding.
fn seen(report: &Value) -> Vec<(String, String, u64)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("-").to_string(),
                f["message"].as_str().unwrap_or("?").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn s(file: &str, msg: &str, line: u64) -> (String, String, u64) {
    (file.to_string(), msg.to_string(), line)
}

#[test]
fn working_tree_skips_ignored_files() {
    let r = repo_with_policy();
    let pol = r.path().join("policy");
    write(r.path(), ".gitignore", "build/\n*.local.yaml\n");
    write(r.path(), "apps/a.yaml", cm("a", "tracked"));
    write(r.path(), "apps/dev.local.yaml", cm("dev", "ignored"));
    write(r.path(), "build/out.yaml", cm("out", "ignored"));
    commit_all(r.path(), "one");
    write(r.path(), "apps/new.yaml", cm("new", "untracked"));
    write(r.path(), "apps/sub/.gitignore", "secret.yaml\n");
    write(r.path(), "apps/sub/secret.yaml", cm("secret", "ignored"));

    let (code, rep) = check(r.path(), &pol, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=tracked", 7), s("apps/new.yaml", "new=untracked", 7)]);
    assert_eq!(summary(&rep)[..2], [2, 2]);

    // From a subdirectory: still the whole repository, with repo-relative paths.
    let (_, rep) = check(&r.path().join("apps"), &pol, &[]);
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=tracked", 7), s("apps/new.yaml", "new=untracked", 7)]);
}

#[test]
fn rev_reads_commits_not_the_working_tree() {
    let r = repo_with_policy();
    let pol = r.path().join("policy");
    write(r.path(), "apps/a.yaml", cm("a", "one"));
    let first = commit_all(r.path(), "one");
    write(r.path(), "apps/a.yaml", cm("a", "two"));
    write(r.path(), "apps/b.yaml", cm("b", "two"));
    commit_all(r.path(), "two");
    // Uncommitted: an edit that moves lines, an untracked file, a staged new file.
    write(r.path(), "apps/a.yaml", format!("# edited\n\n{}", cm("a", "dirty")));
    write(r.path(), "apps/untracked.yaml", cm("u", "untracked"));
    write(r.path(), "apps/staged.yaml", cm("st", "staged"));
    git(r.path(), &["add", "apps/staged.yaml"]);

    let (code, rep) = check(r.path(), &pol, &["--rev", "HEAD"]);
    assert_eq!(code, Some(1));
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=two", 7), s("apps/b.yaml", "b=two", 7)]);

    let (_, rep) = check(r.path(), &pol, &["--rev", "HEAD~1"]);
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=one", 7)]);
    let (_, by_id) = check(r.path(), &pol, &["--rev", &first[..10]]);
    assert_eq!(by_id, rep);

    // The working tree sees everything, at its own line numbers.
    let (_, rep) = check(r.path(), &pol, &[]);
    assert_eq!(
        seen(&rep),
        [
            s("apps/a.yaml", "a=dirty", 9),
            s("apps/b.yaml", "b=two", 7),
            s("apps/staged.yaml", "st=staged", 7),
            s("apps/untracked.yaml", "u=untracked", 7),
        ]
    );

    // The snippet of the human output comes from the commit, too.
    let run = tollgate(
        r.path(),
        &["check", "-p", &pol.display().to_string(), "--rev", "HEAD", "--color", "never", "apps/a.yaml"],
    );
    run.expect_code(1);
    assert!(run.stdout.contains("apps/a.yaml:7:3"), "{}", run.stdout);
    assert!(run.stdout.lines().any(|l| l.starts_with(" 7 │") && l.ends_with("v: two")), "{}", run.stdout);
    assert!(!run.stdout.contains("dirty"), "{}", run.stdout);
}

#[test]
fn rev_fingerprints_match_across_commits_when_lines_move() {
    let r = repo_with_policy();
    let pol = r.path().join("policy");
    write(r.path(), "apps/a.yaml", cm("a", "same"));
    commit_all(r.path(), "one");
    write(
        r.path(),
        "apps/a.yaml",
        format!("# a comment\n{}", cm("a", "same").replace("  labels:", "  annotations: {team: shop}\n  labels:")),
    );
    commit_all(r.path(), "two");
    let (_, old) = check(r.path(), &pol, &["--rev", "HEAD~1"]);
    let (_, new) = check(r.path(), &pol, &["--rev", "HEAD"]);
    let fp = |rep: &Value| {
        findings(rep)
            .iter()
            .map(|f| (f["fingerprint"].as_str().unwrap_or("").to_string(), f["line"].as_u64().unwrap_or(0)))
            .collect::<Vec<_>>()
    };
    let (old, new) = (fp(&old), fp(&new));
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].1 + 2, new[0].1, "the line moved");
    assert_eq!(old[0].0, new[0].0, "the fingerprint did not");
}

#[test]
fn rev_errors_exit_2() {
    let r = repo_with_policy();
    write(r.path(), "a.yaml", cm("a", "x"));
    commit_all(r.path(), "one");
    for rev in ["nope", "HEAD~5", "main:a.yaml"] {
        let run = tollgate(r.path(), &["check", "-p", "policy", "--rev", rev]);
        run.expect_code(2);
        assert_eq!(run.stdout, "");
        assert!(run.stderr.contains(&format!("unknown revision `{rev}`")), "{}", run.stderr);
    }
    // Outside any repository.
    let plain = tempdir();
    copy_fixture("policies/configmaps", plain.path(), "policy");
    for flag in ["--rev=HEAD", "--staged"] {
        let run = tollgate(plain.path(), &["check", "-p", "policy", flag]);
        run.expect_code(2);
        assert!(run.stderr.contains("not a git repository"), "{}", run.stderr);
    }
}

#[test]
fn bare_and_shallow_clones_and_detached_head() {
    let src = repo_with_policy();
    let pol = src.path().join("policy");
    write(src.path(), "apps/a.yaml", cm("a", "one"));
    commit_all(src.path(), "one");
    write(src.path(), "apps/a.yaml", cm("a", "two"));
    commit_all(src.path(), "two");

    let clones = tempdir();
    let src_path = src.path().display().to_string();
    git(clones.path(), &["clone", "-q", "--bare", &src_path, "bare.git"]);
    let bare = clones.path().join("bare.git");
    let (code, rep) = check(&bare, &pol, &["--rev", "main"]);
    assert_eq!(code, Some(1));
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=two", 7)]);
    let (_, rep) = check(&bare, &pol, &["--rev", "main~1"]);
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=one", 7)]);
    let run = tollgate(&bare, &["check", "-p", &pol.display().to_string(), "--staged"]);
    run.expect_code(2);
    assert!(run.stderr.contains("bare"), "{}", run.stderr);

    let url = format!("file://{src_path}");
    git(clones.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let shallow = clones.path().join("shallow");
    assert_eq!(git(&shallow, &["rev-parse", "--is-shallow-repository"]), "true");
    let (_, rep) = check(&shallow, &pol, &["--rev", "HEAD"]);
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=two", 7)]);
    let run = tollgate(&shallow, &["check", "-p", &pol.display().to_string(), "--rev", "HEAD~1"]);
    run.expect_code(2);
    assert!(run.stderr.contains("unknown revision `HEAD~1`"), "{}", run.stderr);

    git(src.path(), &["checkout", "-q", "--detach", "HEAD~1"]);
    assert_eq!(git(src.path(), &["rev-parse", "--abbrev-ref", "HEAD"]), "HEAD");
    let (_, rep) = check(src.path(), &pol, &["--rev", "HEAD"]);
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=one", 7)]);
    let (_, rep) = check(src.path(), &pol, &["--rev", "main"]);
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=two", 7)]);
    let (_, rep) = check(src.path(), &pol, &[]);
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=one", 7)]);
}

#[test]
fn staged_sees_the_index_only() {
    let r = repo_with_policy();
    let pol = r.path().join("policy");
    write(r.path(), "apps/a.yaml", cm("a", "committed"));
    write(r.path(), "apps/b.yaml", cm("b", "committed"));
    write(r.path(), "apps/gone.yaml", cm("gone", "committed"));
    commit_all(r.path(), "one");
    write(r.path(), "apps/a.yaml", format!("# staged edit\n{}", cm("a", "staged")));
    git(r.path(), &["add", "apps/a.yaml"]);
    write(r.path(), "apps/a.yaml", cm("a", "unstaged"));
    write(r.path(), "apps/b.yaml", cm("b", "unstaged"));
    write(r.path(), "apps/new.yaml", cm("new", "staged"));
    git(r.path(), &["add", "apps/new.yaml"]);
    write(r.path(), "apps/untracked.yaml", cm("u", "untracked"));
    git(r.path(), &["rm", "-q", "apps/gone.yaml"]);

    let (code, rep) = check(r.path(), &pol, &["--staged"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        seen(&rep),
        [s("apps/a.yaml", "a=staged", 8), s("apps/b.yaml", "b=committed", 7), s("apps/new.yaml", "new=staged", 7)]
    );
    let (_, rep) = check(r.path(), &pol, &["--staged", "apps/new.yaml"]);
    assert_eq!(seen(&rep), [s("apps/new.yaml", "new=staged", 7)]);
}

#[test]
fn path_arguments_restrict_rev_and_staged() {
    let r = repo_with_policy();
    let pol = r.path().join("policy");
    write(r.path(), "apps/web/a.yaml", cm("a", "1"));
    write(r.path(), "apps/worker/b.yaml", cm("b", "2"));
    write(r.path(), "infra/c.yaml", cm("c", "3"));
    write(r.path(), "appsx/d.yaml", cm("d", "4"));
    commit_all(r.path(), "one");
    let files = |dir: &Path, args: &[&str]| -> Vec<String> {
        let (_, rep) = check(dir, &pol, args);
        seen(&rep).into_iter().map(|(f, _, _)| f).collect()
    };
    assert_eq!(files(r.path(), &["--rev", "HEAD", "apps"]), ["apps/web/a.yaml", "apps/worker/b.yaml"]);
    assert_eq!(files(r.path(), &["--rev", "HEAD", "apps/web", "infra/c.yaml"]), ["apps/web/a.yaml", "infra/c.yaml"]);
    assert_eq!(files(r.path(), &["--staged", "infra"]), ["infra/c.yaml"]);
    // Relative to the current directory, like git.
    assert_eq!(files(&r.path().join("apps"), &["--rev", "HEAD", "worker"]), ["apps/worker/b.yaml"]);
    assert_eq!(files(&r.path().join("apps"), &["--rev", "HEAD", "."]), ["apps/web/a.yaml", "apps/worker/b.yaml"]);
    // `.` and `./` at the root name the whole tree.
    let all = files(r.path(), &["--rev", "HEAD"]);
    assert_eq!(files(r.path(), &["--rev", "HEAD", "."]), all);
    assert_eq!(files(r.path(), &["--rev", "HEAD", "./"]), all);
    assert_eq!(files(r.path(), &["--rev", "HEAD", "--exclude", "apps/worker/**", "apps"]), ["apps/web/a.yaml"]);
    assert_eq!(files(r.path(), &["apps/worker"]), ["apps/worker/b.yaml"]);
}

#[test]
fn config_is_read_from_the_commit_and_flags_override_it() {
    let r = repo_with_policy();
    write(r.path(), "apps/a.yaml", cm("a", "x"));
    write(r.path(), "legacy/old.yaml", cm("old", "x"));
    write(r.path(), ".tollgate.yaml", "policy: policy\nexclude: ['legacy/**']\nfail-on: never\n");
    commit_all(r.path(), "gate");
    // The working copy of the config is stricter.
    write(r.path(), ".tollgate.yaml", "policy: policy\nfail-on: error\n");

    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(0);
    let rep = run.json();
    assert_eq!(seen(&rep), [s("apps/a.yaml", "a=x", 7)]);
    assert_eq!(summary(&rep)[0], 1, "neither legacy/ nor .tollgate.yaml is checked");

    tollgate(r.path(), &["check", "--rev", "HEAD", "--fail-on", "error"]).expect_code(1);
    let run = tollgate(r.path(), &["check", "--rev", "HEAD", "-o", "json", "--exclude", "none"]);
    assert_eq!(seen(&run.json()).len(), 2);

    // Without --rev the working-tree config applies.
    let run = tollgate(r.path(), &["check", "-o", "json"]);
    run.expect_code(1);
    assert_eq!(seen(&run.json()).len(), 2);

    // A broken config in the commit is a tool error naming its line.
    write(r.path(), ".tollgate.yaml", "policy: policy\nfail_on: never\n");
    commit_all(r.path(), "typo");
    let run = tollgate(r.path(), &["check", "--rev", "HEAD"]);
    run.expect_code(2);
    assert!(run.stderr.contains(".tollgate.yaml:2:1"), "{}", run.stderr);
    assert!(run.stderr.contains("fail-on"), "{}", run.stderr);
    tollgate(r.path(), &["check", "--rev", "HEAD~1"]).expect_code(0);
}

#[test]
fn symlinks_read_through_and_lfs_pointers_noted() {
    let r = repo_with_policy();
    let pol = r.path().join("policy");
    write(r.path(), "apps/real.yaml", cm("real", "x"));
    std::os::unix::fs::symlink("real.yaml", r.path().join("apps/link.yaml")).unwrap_or_else(|e| panic!("symlink: {e}"));
    std::os::unix::fs::symlink("/etc/passwd", r.path().join("apps/escape.yaml"))
        .unwrap_or_else(|e| panic!("symlink: {e}"));
    write(
        r.path(),
        "apps/model.yaml",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    // LFS pointers block unless the config lets them pass (tests/confinement.rs).
    write(r.path(), ".tollgate.yaml", "lfs-pointers: allow\n");
    commit_all(r.path(), "one");
    for args in [&[][..], &["--rev", "HEAD"][..], &["--staged"][..]] {
        let (code, rep) = check(r.path(), &pol, args);
        assert_eq!(code, Some(1), "{args:?}");
        let got: Vec<_> = findings(&rep)
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap_or("-").to_string(),
                    f["rule"].as_str().unwrap_or("?").to_string(),
                    f["severity"].as_str().unwrap_or("?").to_string(),
                )
            })
            .collect();
        // A link inside the repository is read through; one leaving it blocks.
        let want: Vec<(String, String, String)> = [
            ("apps/escape.yaml", "source/bad-symlink", "error"),
            ("apps/link.yaml", "source/symlink", "note"),
            ("apps/link.yaml", "main.deny", "error"),
            ("apps/model.yaml", "source/lfs-pointer", "note"),
            ("apps/real.yaml", "main.deny", "error"),
        ]
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
        assert_eq!(got, want, "{args:?}");
        assert_eq!(summary(&rep)[2..5], [3, 0, 2], "{args:?}");
    }
    // Notes alone do not block.
    for f in ["apps/real.yaml", "apps/escape.yaml"] {
        std::fs::remove_file(r.path().join(f)).unwrap_or_else(|e| panic!("rm: {e}"));
    }
    std::fs::write(r.path().join("apps/real.yaml"), "a: 1\n").unwrap_or_else(|e| panic!("write: {e}"));
    let (code, rep) = check(r.path(), &pol, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(summary(&rep)[2..5], [0, 0, 2]);
}
