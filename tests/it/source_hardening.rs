//! The discover stage as an attacker sees it: every manifest git tracks is read, read as git holds
//! it, and reported under its own name, in every source (working tree, `--rev`, `--staged`, PR
//! mode). Each test builds a real repository and runs the real binary.
//!
//! The policy under `policy/` reports one finding per ConfigMap, `<name>=<data.v>`, so a finding
//! shows which content a run read and under which path.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{commit_all, copy_fixture, findings, git, repo, tollgate, write};
use serde_json::Value;

fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{owner: team}}\ndata:\n  v: {v}\n")
}

/// A repository whose `main` holds only the policy, checked out on a new branch `pr`: what the
/// test adds and commits is the pull request, so PR mode (`--base main`) sees all of it as new.
fn pr_repo() -> tempfile::TempDir {
    let r = repo();
    copy_fixture("policies/configmaps", r.path(), "policy");
    commit_all(r.path(), "policy");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    r
}

const WORKTREE: &[&str] = &[];
const REV: &[&str] = &["--rev", "HEAD"];
const STAGED: &[&str] = &["--staged"];
const PR: &[&str] = &["--base", "main"];
/// Every source, PR mode included.
const MODES: [&[&str]; 4] = [WORKTREE, REV, STAGED, PR];

/// Run `check -p policy -o json --no-schemas ARGS` in `dir`: (exit code, report, raw stdout).
#[track_caller]
fn check(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let run = tollgate(dir, &[&["check", "-p", "policy", "-o", "json", "--no-schemas"][..], args].concat());
    assert!(matches!(run.code, Some(0 | 1)), "{args:?}: {run:?}");
    (run.code, run.json(), run.stdout)
}

/// (file, rule, message) of every finding, sorted.
fn seen(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = findings(report)
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("-").to_string();
            (s("file"), s("rule"), s("message"))
        })
        .collect();
    out.sort();
    out
}

fn t(file: &str, rule: &str, message: &str) -> (String, String, String) {
    (file.to_string(), rule.to_string(), message.to_string())
}

#[cfg(unix)]
fn symlink(root: &Path, rel: &str, target: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir: {e}"));
    }
    std::os::unix::fs::symlink(target, &path).unwrap_or_else(|e| panic!("symlink {rel}: {e}"));
}

// ---------------------------------------------------------------------------------------------
// 1. Ignore rules never hide a tracked file

/// A committed `.gitignore` listing `*.yaml` (and a directory, and `.git/info/exclude`) hid every
/// tracked manifest from the default working-tree run: 0 files, exit 0, while Argo CD applies them.
#[test]
fn ignore_rules_do_not_hide_tracked_manifests() {
    let r = pr_repo();
    write(r.path(), ".gitignore", "*.yaml\napps/\n");
    write(r.path(), "apps/web.yaml", cm("web", "tracked-in-ignored-dir"));
    write(r.path(), "top.yaml", cm("top", "tracked-but-ignored"));
    write(r.path(), "excluded.yaml", cm("excluded", "tracked-but-excluded"));
    git(r.path(), &["add", "-f", ".gitignore", "apps/web.yaml", "top.yaml", "excluded.yaml"]);
    git(r.path(), &["commit", "-q", "-m", "manifests git tracks, whatever .gitignore says"]);
    write(r.path(), ".git/info/exclude", "excluded.yaml\n");
    // Untracked and ignored: git does not track it, so it is skipped as before.
    write(r.path(), "scratch.yaml", cm("scratch", "untracked"));
    let want = vec![
        t("apps/web.yaml", "main.deny", "web=tracked-in-ignored-dir"),
        t("excluded.yaml", "main.deny", "excluded=tracked-but-excluded"),
        t("top.yaml", "main.deny", "top=tracked-but-ignored"),
    ];
    for args in MODES {
        let (code, rep, _) = check(r.path(), args);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(seen(&rep), want, "{args:?}");
    }
    // A PATH argument naming the ignored directory: its tracked file is read.
    let (_, rep, _) = check(r.path(), &["apps"]);
    assert_eq!(seen(&rep), want[..1]);
    // A tracked file modified on disk: the working tree's version is what the default run reads.
    write(r.path(), "top.yaml", cm("top", "edited"));
    let (_, rep, _) = check(r.path(), &[]);
    assert!(seen(&rep).contains(&t("top.yaml", "main.deny", "top=edited")), "{:?}", seen(&rep));
    // Deleted from the working tree (not staged): nothing there to check, as `git status` says.
    fs::remove_file(r.path().join("top.yaml")).unwrap_or_else(|e| panic!("rm: {e}"));
    let (_, rep, _) = check(r.path(), &[]);
    assert!(seen(&rep).iter().all(|f| f.0 != "top.yaml"), "{:?}", seen(&rep));
}

/// A sparse checkout leaves tracked files off the disk (skip-worktree); git takes the index's
/// content as theirs, and Argo CD applies them from the commit. The default run reads them there.
#[test]
fn sparse_checkout_entries_are_read_from_the_index() {
    let r = pr_repo();
    write(r.path(), "apps/web.yaml", cm("web", "in-cone"));
    write(r.path(), "infra/db.yaml", cm("db", "outside-cone"));
    commit_all(r.path(), "two dirs");
    git(r.path(), &["sparse-checkout", "set", "--no-cone", "/apps/", "/policy/"]);
    assert!(!r.path().join("infra/db.yaml").exists(), "sparse checkout removed it");
    let want = vec![t("apps/web.yaml", "main.deny", "web=in-cone"), t("infra/db.yaml", "main.deny", "db=outside-cone")];
    for args in MODES {
        let (_, rep, _) = check(r.path(), args);
        assert_eq!(seen(&rep), want, "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Symlinks: read through inside the repository, blocking otherwise

/// `apps/web.yaml -> ../stash/web.txt` was skipped with a note (exit 0) while kubectl, kustomize
/// and Argo CD read through it. Links are resolved as the OS does (relative to the link, chains,
/// links to directories in the middle of a path), inside the repository only.
#[cfg(unix)]
#[test]
fn symlinks_inside_the_repository_are_read_through() {
    let r = pr_repo();
    write(r.path(), "stash/web.txt", cm("web", "privileged"));
    symlink(r.path(), "apps/web.yaml", "../stash/web.txt");
    symlink(r.path(), "apps/chain.yaml", "web.yaml");
    symlink(r.path(), "linkdir", "stash");
    symlink(r.path(), "apps/via-dir.yml", "../linkdir/./web.txt");
    // A symlinked directory is not walked (kubectl -R and Argo CD do not either): the file
    // behind it is checked at its own path, when that path is a manifest's.
    symlink(r.path(), "apps/shared", "../stash");
    // A link whose own name is not a manifest's is not a manifest, as any other file.
    symlink(r.path(), "apps/notes.txt", "web.yaml");
    commit_all(r.path(), "links");
    let note = "symbolic link to `stash/web.txt`: checked with that file's content (lines and columns are in it)";
    let mut want = Vec::new();
    for link in ["apps/chain.yaml", "apps/via-dir.yml", "apps/web.yaml"] {
        want.push(t(link, "main.deny", "web=privileged"));
        want.push(t(link, "source/symlink", note));
    }
    for args in MODES {
        let (code, rep, _) = check(r.path(), args);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(seen(&rep), want, "{args:?}");
        // Findings are located in the target's lines.
        let f = findings(&rep).iter().find(|f| f["rule"] == "main.deny").unwrap_or_else(|| panic!("no deny"));
        assert_eq!(f["line"].as_u64(), Some(7), "{args:?}: {f:#}");
    }
    // Named on the command line, the same.
    let (_, rep, _) = check(r.path(), &["apps/web.yaml"]);
    assert_eq!(seen(&rep), want[4..]);
    // A link to a directory named on the command line is that directory, at its real path.
    write(r.path(), "stash/extra.yaml", cm("extra", "behind-a-dir-link"));
    let (_, rep, _) = check(r.path(), &["apps/shared"]);
    assert_eq!(seen(&rep), [t("stash/extra.yaml", "main.deny", "extra=behind-a-dir-link")]);
}

/// Links that leave the repository, dangle, loop, or name a directory, `.git` or a submodule:
/// what they would make kubectl apply is invisible to the gate, so each is an error that blocks,
/// and nothing outside the repository (or in `.git`) is read.
#[cfg(unix)]
#[test]
fn symlinks_the_gate_cannot_follow_block() {
    let r = pr_repo();
    let outside = common::tempdir();
    write(outside.path(), "evil.yaml", cm("outside", "read-from-outside"));
    let outside_file = outside.path().join("evil.yaml").display().to_string();
    let depth = r.path().components().count();
    let up = "../".repeat(depth + 1);
    let relative_out = format!("{up}{}", outside_file.trim_start_matches('/'));
    write(r.path(), "stash/web.txt", cm("web", "x"));
    let links = [
        ("apps/absolute.yaml", outside_file.as_str(), "an absolute target is outside the repository"),
        ("apps/relative-out.yaml", relative_out.as_str(), "it leads out of the repository"),
        ("apps/dangling.yaml", "../stash/gone.yaml", "`stash/gone.yaml` does not exist"),
        ("apps/loop.yaml", "loop2.yaml", "more than 40 links in a row"),
        ("apps/dir.yaml", "../stash", "`stash` is a directory"),
        ("apps/not-dir.yaml", "../stash/web.txt/x", "`stash/web.txt` is not a directory"),
        ("apps/git.yaml", "../.git/config", "it leads into `.git`"),
    ];
    for (link, target, _) in links {
        symlink(r.path(), link, target);
    }
    symlink(r.path(), "apps/loop2.yaml", "loop.yaml");
    // What actions/checkout leaves in .git/config: it must never reach a report.
    git(r.path(), &["config", "http.extraheader", "AUTHORIZATION: basic c2VjcmV0LXRva2Vu"]);
    commit_all(r.path(), "bad links");
    for args in MODES {
        let (code, rep, stdout) = check(r.path(), args);
        assert_eq!(code, Some(1), "{args:?}");
        let got = seen(&rep);
        for (link, target, why) in links.iter().chain([&("apps/loop2.yaml", "loop.yaml", "more than 40 links")]) {
            let hit = got.iter().find(|f| f.0 == *link).unwrap_or_else(|| panic!("{args:?}: no finding for {link}"));
            assert_eq!(hit.1, "source/bad-symlink", "{args:?}");
            assert!(hit.2.starts_with(&format!("symbolic link to `{target}`: ")), "{args:?}: {}", hit.2);
            assert!(hit.2.contains(why) && hit.2.contains("blocking"), "{args:?}: {}", hit.2);
            let f = findings(&rep).iter().find(|f| f["file"] == *link).unwrap_or_else(|| panic!("{link}"));
            assert_eq!(f["severity"], "error", "{args:?}");
        }
        assert_eq!(got.len(), links.len() + 1, "{args:?}: only the links: {got:#?}");
        assert!(!stdout.contains("read-from-outside") && !stdout.contains("c2VjcmV0"), "{args:?}: {stdout}");
    }
    // `--fail-on high`: an error without a risk rating still blocks.
    let (code, _, _) = check(r.path(), &["--fail-on", "high"]);
    assert_eq!(code, Some(1));
}

/// In git modes a link is resolved in the commit's tree (`--rev`, PR mode) or the index
/// (`--staged`), never on disk: the blob's content is the target path, and the target is the
/// version git holds, whatever the working tree has.
#[cfg(unix)]
#[test]
fn git_modes_resolve_links_in_git_not_on_disk() {
    let r = pr_repo();
    write(r.path(), "stash/web.txt", cm("web", "committed"));
    symlink(r.path(), "apps/web.yaml", "../stash/web.txt");
    symlink(r.path(), "apps/disk-only.yaml", "../stash/untracked.txt");
    commit_all(r.path(), "links");
    write(r.path(), "stash/web.txt", cm("web", "staged"));
    git(r.path(), &["add", "stash/web.txt"]);
    write(r.path(), "stash/web.txt", cm("web", "on-disk"));
    write(r.path(), "stash/untracked.txt", cm("untracked", "on-disk"));
    let v = |args: &[&str]| -> Vec<(String, String, String)> {
        let (_, rep, _) = check(r.path(), args);
        seen(&rep).into_iter().filter(|f| f.1 != "source/symlink").collect()
    };
    let dangling = |args: &[&str]| {
        v(args)
            .iter()
            .any(|f| f.0 == "apps/disk-only.yaml" && f.1 == "source/bad-symlink" && f.2.contains("does not exist"))
    };
    assert!(v(REV).contains(&t("apps/web.yaml", "main.deny", "web=committed")));
    assert!(v(PR).contains(&t("apps/web.yaml", "main.deny", "web=committed")));
    assert!(v(STAGED).contains(&t("apps/web.yaml", "main.deny", "web=staged")));
    assert!(v(WORKTREE).contains(&t("apps/web.yaml", "main.deny", "web=on-disk")));
    assert!(dangling(REV) && dangling(STAGED) && dangling(PR));
    assert!(v(WORKTREE).contains(&t("apps/disk-only.yaml", "main.deny", "untracked=on-disk")));
}

/// PR mode reads only what changed. A pull request that leaves `apps/web.yaml -> ../stash/web.txt`
/// alone and edits `stash/web.txt` (not a manifest name) changes the manifest the link applies:
/// the link is part of the change.
#[cfg(unix)]
#[test]
fn pr_mode_sees_a_change_behind_an_unchanged_link() {
    let r = repo();
    copy_fixture("policies/configmaps", r.path(), "policy");
    write(r.path(), "stash/web.txt", cm("web", "reviewed"));
    write(r.path(), "stash/db.txt", cm("db", "reviewed"));
    symlink(r.path(), "apps/web.yaml", "../stash/web.txt");
    symlink(r.path(), "apps/db.yaml", "../stash/db.txt");
    commit_all(r.path(), "base");
    git(r.path(), &["checkout", "-q", "-b", "pr"]);
    write(r.path(), "stash/web.txt", cm("web", "sneaked-in"));
    fs::remove_file(r.path().join("stash/db.txt")).unwrap_or_else(|e| panic!("rm: {e}"));
    commit_all(r.path(), "only the targets change");
    let (code, rep, _) = check(r.path(), PR);
    assert_eq!(code, Some(1));
    let got = seen(&rep);
    assert!(got.contains(&t("apps/web.yaml", "main.deny", "web=sneaked-in")), "{got:#?}");
    assert!(got.iter().any(|f| f.0 == "apps/db.yaml" && f.1 == "source/bad-symlink"), "{got:#?}");
    assert!(got.iter().all(|f| f.2 != "web=reviewed"), "{got:#?}");
}

// ---------------------------------------------------------------------------------------------
// 3. File names kept byte-exact

/// Two files whose names differ only in bytes that are not UTF-8 collapsed into one `�.yaml` and
/// one was never checked (working tree and PR mode). Names are now escaped injectively: `\xNN`
/// for such bytes and for control characters, `\\` for a backslash.
#[cfg(unix)]
#[test]
fn names_are_kept_byte_exact_and_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let r = pr_repo();
    let names: [(&[u8], &str, &str); 6] = [
        (b"apps/a\xff.yaml", "apps/a\\xff.yaml", "ff"),
        (b"apps/a\xfe.yaml", "apps/a\\xfe.yaml", "fe"),
        // The escaped spelling of the first name, as a real name: still a different file.
        (b"apps/a\\xff.yaml", "apps/a\\\\xff.yaml", "literal"),
        (b"apps/nl\n.yaml", "apps/nl\\x0a.yaml", "newline"),
        (b"apps/esc\x1b[31m.yaml", "apps/esc\\x1b[31m.yaml", "escape"),
        ("apps/rtl\u{202e}lmay.yaml".as_bytes(), "apps/rtl\\xe2\\x80\\xaelmay.yaml", "bidi"),
    ];
    fs::create_dir_all(r.path().join("apps")).unwrap_or_else(|e| panic!("{e}"));
    for (raw, _, v) in names {
        fs::write(r.path().join(std::ffi::OsStr::from_bytes(raw)), cm(v, v)).unwrap_or_else(|e| panic!("{e}"));
    }
    commit_all(r.path(), "odd names");
    let want: BTreeSet<(String, String)> =
        names.iter().map(|(_, shown, v)| (shown.to_string(), format!("{v}={v}"))).collect();
    for args in MODES {
        let (_, rep, stdout) = check(r.path(), args);
        let got: BTreeSet<(String, String)> = seen(&rep).into_iter().map(|f| (f.0, f.2)).collect();
        assert_eq!(got, want, "{args:?}");
        assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{202e}'), "{args:?}");
        // The human report too: no raw control character reaches the terminal from a name.
        let human = tollgate(r.path(), &[&["check", "-p", "policy", "--no-schemas"][..], args].concat());
        assert!(
            !human.stdout.contains('\u{1b}') && human.stdout.contains("apps/esc\\x1b[31m.yaml"),
            "{}",
            human.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Trees git refuses to check out

/// A raw tree object: entries of (mode, name, object id in hex), sorted as git sorts them.
fn mktree(dir: &Path, entries: &[(&str, &[u8], &str)]) -> String {
    let mut body = Vec::new();
    for (mode, name, id) in entries {
        body.extend_from_slice(mode.as_bytes());
        body.push(b' ');
        body.extend_from_slice(name);
        body.push(0);
        let hex = id.as_bytes();
        for pair in hex.chunks(2) {
            let s = std::str::from_utf8(pair).unwrap_or("00");
            body.push(u8::from_str_radix(s, 16).unwrap_or_else(|e| panic!("{e}")));
        }
    }
    let file = dir.join(".git/tree.bin");
    fs::write(&file, &body).unwrap_or_else(|e| panic!("{e}"));
    let file = file.display().to_string();
    git(dir, &["hash-object", "-t", "tree", "-w", "--literally", &file])
}

/// A crafted commit whose tree holds `..`, `.git` (any spelling), a name with `/` or a name
/// listed twice cannot be checked out by git; the gate does not guess what such a path means. Each entry is a blocking
/// error, and nothing under it is read.
#[test]
fn tree_entries_git_refuses_block() {
    let r = repo();
    copy_fixture("policies/configmaps", r.path(), "policy");
    write(r.path(), "ok.yaml", cm("ok", "fine"));
    let base = commit_all(r.path(), "base");
    let blob = |dir: &Path, text: String| {
        write(dir, "blob.tmp", text);
        git(dir, &["hash-object", "-w", "blob.tmp"])
    };
    let hidden = blob(r.path(), cm("hidden", "under-invalid-name"));
    fs::remove_file(r.path().join("blob.tmp")).unwrap_or_else(|e| panic!("{e}"));
    let inner = mktree(r.path(), &[("100644", b"x.yaml", &hidden)]);
    let policy_tree = git(r.path(), &["rev-parse", "HEAD:policy"]);
    let ok = git(r.path(), &["rev-parse", "HEAD:ok.yaml"]);
    let root = mktree(
        r.path(),
        &[
            ("40000", b"..", &inner),
            ("40000", b".GIT", &inner),
            ("40000", b".git", &inner),
            ("100644", b"a/b.yaml", &hidden),
            ("100644", b"dup.yaml", &ok),
            ("100644", b"dup.yaml", &hidden),
            ("100644", b"ok.yaml", &ok),
            ("40000", b"policy", &policy_tree),
        ],
    );
    let head = git(r.path(), &["commit-tree", &root, "-p", &base, "-m", "crafted"]);
    git(r.path(), &["update-ref", "refs/heads/crafted", &head]);
    for args in [&["--rev", "crafted"][..], &["--base", "main", "--rev", "crafted"][..]] {
        let (code, rep, stdout) = check(r.path(), args);
        assert_eq!(code, Some(1), "{args:?}");
        let got = seen(&rep);
        let invalid: BTreeSet<&str> =
            got.iter().filter(|f| f.1 == "source/invalid-path").map(|f| f.0.as_str()).collect();
        let want = BTreeSet::from(["../x.yaml", ".GIT/x.yaml", ".git/x.yaml", "a\\x2fb.yaml", "dup.yaml"]);
        assert_eq!(invalid, want, "{args:?}: {got:#?}");
        assert!(got.iter().all(|f| f.1 != "source/invalid-path" || f.2.contains("git refuses")), "{got:#?}");
        let f = findings(&rep).iter().find(|f| f["rule"] == "source/invalid-path").unwrap_or_else(|| panic!("none"));
        assert_eq!(f["severity"], "error");
        assert!(!stdout.contains("under-invalid-name"), "{args:?}: {stdout}");
        // The rest of the commit is still checked.
        if args.len() == 2 {
            assert!(got.contains(&t("ok.yaml", "main.deny", "ok=fine")), "{got:#?}");
        }
    }
}
