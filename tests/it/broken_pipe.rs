//! A standard output closed by its reader (`tollgate check | head`) ends the run quietly, with no
//! "Broken pipe" error and no exit 2; `check` still exits with its verdict (1 when findings block),
//! so that a pipeline under `set -o pipefail` (GitHub Actions' bash) cannot pass a blocked change.
//! Runs the real binary with its stdout on a pipe that the test closes, before reading anything or
//! after the first bytes.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// A repository whose report is far larger than a pipe's buffer (64 KiB on Linux): the binary is
/// still writing when the reader goes away.
fn many_findings() -> tempfile::TempDir {
    let r = repo();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:latest\n    securityContext:\n      privileged: true\n";
    for i in 0..400 {
        write(r.path(), &format!("apps/pod-{i:04}.yaml"), pod);
    }
    commit_all(r.path(), "pods");
    r
}

/// Run `tollgate ARGS` in `dir` with stdout on a pipe; after `keep` bytes of it (0: none) the
/// pipe is closed. Returns the exit code and stderr.
fn run_closing_stdout(dir: &std::path::Path, args: &[&str], keep: usize) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .current_dir(dir)
        .args(args)
        // Nothing from the test's environment (git variables, GitHub Actions') reaches the run.
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start tollgate: {e}"));
    let mut out = child.stdout.take().unwrap_or_else(|| panic!("piped stdout"));
    if keep > 0 {
        let mut buf = vec![0u8; keep];
        out.read_exact(&mut buf).unwrap_or_else(|e| panic!("reading the first {keep} bytes: {e}"));
    }
    drop(out);
    let mut err = child.stderr.take().unwrap_or_else(|| panic!("piped stderr"));
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                panic!("tollgate did not finish after its stdout closed");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for tollgate: {e}"),
        }
    };
    (status.code(), reader.join().unwrap_or_default())
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_with_the_verdict() {
    let r = many_findings();
    let full = tollgate(r.path(), &["check", "--no-schemas", "-o", "json"]);
    full.expect_code(1);
    assert!(full.stdout.len() > 128 << 10, "the report must overflow the pipe: {} bytes", full.stdout.len());
    for (format, keep) in [("json", 0), ("json", 100), ("human", 0), ("human", 4096), ("sarif", 10)] {
        let (code, stderr) = run_closing_stdout(r.path(), &["check", "--no-schemas", "-o", format], keep);
        // The findings block: a closed pipe must not turn that into a pass.
        assert_eq!(code, Some(1), "-o {format}, reader gone after {keep} bytes: stderr: {stderr}");
        assert!(stderr.is_empty(), "-o {format}, reader gone after {keep} bytes: nothing on stderr, got: {stderr}");
    }
    // A run that passes exits 0.
    let (code, stderr) =
        run_closing_stdout(r.path(), &["check", "--no-schemas", "--fail-on", "never", "-o", "human"], 0);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    // The file outputs are still written after stdout went away.
    let (code, stderr) =
        run_closing_stdout(r.path(), &["check", "--no-schemas", "-o", "json", "-o", "sarif=out.sarif"], 0);
    assert_eq!((code, stderr.as_str()), (Some(1), ""));
    let sarif = std::fs::read_to_string(r.path().join("out.sarif")).unwrap_or_default();
    assert!(sarif.contains("\"results\""), "out.sarif written in full: {} bytes", sarif.len());
}

#[test]
fn other_commands_end_quietly_with_exit_0() {
    let r = repo();
    for args in [&["policies", "list"][..], &["policies", "explain", "privileged-container"][..]] {
        let (code, stderr) = run_closing_stdout(r.path(), args, 0);
        assert_eq!((code, stderr.as_str()), (Some(0), ""), "{args:?}");
    }
}

#[test]
fn other_write_errors_still_fail() {
    // /dev/full: every write fails with "no space left": a real failure, exit 2 with the error.
    let r = many_findings();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        println!("skipped: no /dev/full on this system");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .current_dir(r.path())
        .args(["check", "--no-schemas", "-o", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run tollgate: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("<stdout>"), "the error names stdout: {stderr}");
}
