//! `tollgate hook install|uninstall` on real git repositories: a real `git commit` runs the hook,
//! which blocks a violating commit and lets a clean one through; foreign hooks are left alone
//! unless --force; `core.hooksPath` and linked worktrees are honoured.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{git, repo, tollgate, write};

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: busybox:1.36
      securityContext:
        privileged: true
";

const CLEAN: &str = "apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: busybox:1.36
";

/// PATH without any directory holding a `tollgate`, so the hook's fallback (the binary that
/// installed it) is what runs unless a test puts one first.
fn path_without_tollgate() -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).filter(|d| !d.join("tollgate").exists()).collect();
    std::env::join_paths(dirs).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A real `git commit ARGS` in `dir` (hooks run), isolated from the user's git configuration.
fn commit(dir: &Path, args: &[&str], path_env: &str) -> Output {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "user.name=Tollgate Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .arg("commit")
        .args(args);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null").env("GIT_CONFIG_NOSYSTEM", "1").env("PATH", path_env);
    cmd.output().unwrap_or_else(|e| panic!("cannot run git commit: {e}"))
}

fn text(o: &Output) -> String {
    format!("--- stdout\n{}\n--- stderr\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn commit_count(dir: &Path) -> usize {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).args(["rev-list", "--count", "--all"]).env("GIT_CONFIG_GLOBAL", "/dev/null");
    let out = cmd.output().unwrap_or_else(|e| panic!("git rev-list: {e}"));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

/// The hook blocks a violating commit and lets the fixed one through.
#[track_caller]
fn assert_gate(dir: &Path, hook_runs_in: &Path) {
    let path = path_without_tollgate();
    let before = commit_count(dir);
    write(dir, "apps/pod.yaml", PRIVILEGED);
    git(dir, &["add", "apps/pod.yaml"]);
    let refused = commit(dir, &["-q", "-m", "add a privileged pod"], &path);
    assert!(!refused.status.success(), "the hook let a violation through\n{}", text(&refused));
    let out = text(&refused);
    assert!(out.contains("k8s/privileged-container"), "the hook's report names the rule\n{out}");
    assert!(out.contains("apps/pod.yaml"), "{out}");
    assert_eq!(commit_count(dir), before, "nothing was committed");
    assert!(hook_runs_in.join("pre-commit").is_file());

    write(dir, "apps/pod.yaml", CLEAN);
    git(dir, &["add", "apps/pod.yaml"]);
    let ok = commit(dir, &["-q", "-m", "add a pod"], &path);
    assert!(ok.status.success(), "a clean commit was refused\n{}", text(&ok));
    assert_eq!(commit_count(dir), before + 1);
}

#[test]
fn installed_hook_blocks_a_violating_commit_and_passes_a_clean_one() {
    let r = repo();
    let root = r.path();
    let run = tollgate(root, &["hook", "install"]);
    run.expect_code(0);
    assert!(run.stdout.contains("pre-commit"), "{}", run.stdout);
    let hook = root.join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).unwrap_or_default();
    assert!(script.contains("tollgate check --staged"), "{script}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).map(|m| m.permissions().mode()).unwrap_or(0);
        assert_eq!(mode & 0o111, 0o111, "the hook is executable");
    }
    assert_gate(root, &root.join(".git/hooks"));

    // `git commit -a` records the work tree: the hook checks that (a temporary index), not the old index.
    write(root, "apps/pod.yaml", PRIVILEGED);
    let refused = commit(root, &["-q", "-a", "-m", "make it privileged"], &path_without_tollgate());
    assert!(!refused.status.success(), "commit -a let a violation through\n{}", text(&refused));
    // Unstaged changes are not what is committed: a clean staged change passes.
    write(root, "apps/other.yaml", CLEAN.replace("debug", "other"));
    git(root, &["add", "apps/other.yaml"]);
    let ok = commit(root, &["-q", "-m", "another pod"], &path_without_tollgate());
    assert!(ok.status.success(), "the unstaged violation blocked a clean staged change\n{}", text(&ok));
}

#[test]
fn tollgate_on_path_is_preferred_over_the_installing_binary() {
    let r = repo();
    let root = r.path();
    tollgate(root, &["hook", "install"]).expect_code(0);
    // A `tollgate` first on PATH that records its arguments and blocks.
    let bin = common::tempdir();
    let log = bin.path().join("args.log");
    write(bin.path(), "tollgate", format!("#!/bin/sh\necho \"$@\" > '{}'\nexit 3\n", log.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(bin.path().join("tollgate"), std::fs::Permissions::from_mode(0o755));
    }
    write(root, "a.yaml", CLEAN);
    git(root, &["add", "a.yaml"]);
    let path = format!("{}:{}", bin.path().display(), path_without_tollgate());
    let out = commit(root, &["-q", "-m", "x"], &path);
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&log).unwrap_or_default().trim(), "check --staged");
}

#[test]
fn foreign_hook_is_kept_unless_forced_and_own_hook_is_replaced() {
    let r = repo();
    let root = r.path();
    let hook = root.join(".git/hooks/pre-commit");
    let foreign = "#!/bin/sh\necho lint\n";
    write(root, ".git/hooks/pre-commit", foreign);

    let refused = tollgate(root, &["hook", "install"]);
    refused.expect_code(2);
    assert!(refused.stderr.contains("not written by tollgate"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(&hook).unwrap_or_default(), foreign, "the foreign hook is untouched");
    let refused = tollgate(root, &["hook", "uninstall"]);
    refused.expect_code(2);
    assert_eq!(std::fs::read_to_string(&hook).unwrap_or_default(), foreign);

    let forced = tollgate(root, &["hook", "install", "--force"]);
    forced.expect_code(0);
    assert!(forced.stdout.contains("replaced"), "{}", forced.stdout);
    let ours = std::fs::read_to_string(&hook).unwrap_or_default();
    assert!(ours.contains("tollgate check --staged"), "{ours}");
    // Installing again over its own hook needs no --force.
    tollgate(root, &["hook", "install"]).expect_code(0);
    assert_gate(root, &root.join(".git/hooks"));

    let removed = tollgate(root, &["hook", "uninstall"]);
    removed.expect_code(0);
    assert!(!hook.exists());
    assert!(tollgate(root, &["hook", "uninstall"]).expect_code(0).stdout.contains("nothing to remove"));
    // Without the hook the violation goes in.
    write(root, "apps/pod.yaml", PRIVILEGED);
    git(root, &["add", "-A"]);
    let out = commit(root, &["-q", "-m", "unguarded"], &path_without_tollgate());
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn core_hooks_path_is_honoured() {
    let r = repo();
    let root = r.path();
    git(root, &["config", "core.hooksPath", ".githooks"]);
    std::fs::create_dir_all(root.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    // From a subdirectory: a relative core.hooksPath is relative to the top of the work tree.
    tollgate(&root.join("sub"), &["hook", "install"]).expect_code(0);
    assert!(root.join(".githooks/pre-commit").is_file());
    assert!(!root.join(".git/hooks/pre-commit").exists());
    assert!(!root.join("sub/.githooks").exists());
    assert_gate(root, &root.join(".githooks"));
}

#[test]
fn linked_worktree_uses_the_shared_hooks_directory() {
    let r = repo();
    let root = r.path();
    write(root, "README.md", "x\n");
    common::commit_all(root, "init");
    let wt_parent = common::tempdir();
    let wt = wt_parent.path().join("wt");
    git(root, &["worktree", "add", "-q", "-b", "feature", wt.to_str().unwrap_or_default()]);
    tollgate(&wt, &["hook", "install"]).expect_code(0);
    // Git runs the hooks of the common directory in every worktree.
    assert!(root.join(".git/hooks/pre-commit").is_file());
    assert_gate(&wt, &root.join(".git/hooks"));
}

#[test]
fn outside_a_repository_is_an_error() {
    let d = common::tempdir();
    let run = tollgate(d.path(), &["hook", "install"]);
    run.expect_code(2);
    assert!(run.stderr.contains("not inside a git repository"), "{}", run.stderr);
}

#[test]
fn init_writes_a_working_starter_and_never_overwrites() {
    let r = repo();
    let root = r.path();
    std::fs::create_dir_all(root.join("apps")).unwrap_or_else(|e| panic!("{e}"));
    let run = tollgate(&root.join("apps"), &["init"]);
    run.expect_code(0);
    for f in [".tollgate.yaml", "policy/example.rego", "policy/example_test.rego"] {
        assert!(root.join(f).is_file(), "{f} at the repository root\n{}", run.stdout);
    }
    // The example's tests pass.
    let v = tollgate(root, &["verify", "-p", "policy"]);
    v.expect_code(0);
    assert!(v.stdout.contains("4 passed, 0 failed"), "{}", v.stdout);
    // The config is accepted and turns on both the example and the built-in checks.
    write(
        root,
        "apps/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          securityContext:\n            privileged: true\n",
    );
    let report = tollgate(root, &["check", "-o", "json"]);
    report.expect_code(1);
    let rules: Vec<String> = common::rule_file_line(&report.json()).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(rules, ["example/team-label", "k8s/privileged-container"], "{}", report.stdout);
    write(
        root,
        "apps/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {team: web}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    );
    tollgate(root, &["check"]).expect_code(0);

    // A second init writes nothing, and says what is in the way.
    let edited = "fail-on: warning\n";
    write(root, ".tollgate.yaml", edited);
    std::fs::remove_file(root.join("policy/example_test.rego")).unwrap_or_else(|e| panic!("{e}"));
    let again = tollgate(root, &["init"]);
    again.expect_code(2);
    assert!(again.stderr.contains(".tollgate.yaml"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(root.join(".tollgate.yaml")).unwrap_or_default(), edited);
    assert!(!root.join("policy/example_test.rego").exists(), "nothing was written");
}
