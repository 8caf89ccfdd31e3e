//! Run a renderer (`kubectl kustomize`, `kustomize build`, `helm template`) as a bounded child:
//! its own process group, a clean environment, a deadline and a cap on what it writes; the whole
//! group is killed when either is reached, so a hostile chart or kustomization cannot stall the
//! gate or fill its memory.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How a run ended, when it did not produce its output.
#[derive(Debug)]
pub enum Failure {
    /// The program could not be started.
    Spawn(String),
    /// It exited non-zero (or on a signal): what it wrote to stderr.
    Exit { code: Option<i32>, stderr: String },
    /// It ran past the deadline.
    Timeout(Duration),
    /// It wrote more than the cap to stdout.
    TooLarge(u64),
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::Spawn(e) => format!("cannot start the renderer: {e}"),
            Failure::Exit { code, stderr } => {
                let how = code.map(|c| format!("exit status {c}")).unwrap_or_else(|| "killed by a signal".into());
                let text = klog_text(stderr);
                let text = text.trim();
                match text.is_empty() {
                    true => format!("the renderer failed ({how})"),
                    false => format!("the renderer failed ({how}): {text}"),
                }
            }
            Failure::Timeout(d) => format!("the renderer ran longer than {} s and was stopped", d.as_secs()),
            Failure::TooLarge(cap) => format!("the renderer wrote more than {} MiB and was stopped", cap >> 20),
        }
    }
}

/// kubectl's log lines reduced to their error texts (a multi-line value, `err=<` then tab-indented
/// lines then `>`, joined); other lines as they are.
fn klog_text(stderr: &str) -> String {
    let mut out = Vec::new();
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        let reduced = klog(line);
        if reduced.ends_with(" err=<") || (reduced != line && line.ends_with(" err=<")) {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l.trim() == ">" {
                    break;
                }
                value.push(l.trim_start_matches('\t').to_string());
            }
            out.push(value.join("\n"));
        } else {
            out.push(reduced);
        }
    }
    out.join("\n")
}

/// A line of kubectl's log (`E1207 04:52:59.643566  19226 run.go:72] "command failed" err="…"`)
/// reduced to its error text; other lines as they are.
fn klog(line: &str) -> String {
    let b = line.as_bytes();
    let klog = b.len() > 6 && matches!(b[0], b'E' | b'W' | b'I' | b'F') && b[1..5].iter().all(u8::is_ascii_digit);
    let Some(rest) = line.split_once("] ").map(|(_, r)| r).filter(|_| klog) else { return line.to_string() };
    match rest.split_once(" err=\"") {
        Some((_, quoted)) => {
            let mut out = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => break,
                    c => out.push(c),
                }
            }
            out
        }
        None => rest.to_string(),
    }
}

/// The bounds of one run.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub timeout: Duration,
    /// Bytes of standard output.
    pub max_output: u64,
}

/// The address space a renderer may use (kubectl kustomize and helm need well under 1 GiB).
pub const MAX_ADDRESS_SPACE: u64 = 4 << 30;

/// What stderr keeps of a failing renderer's message.
const MAX_STDERR: u64 = 64 * 1024;

/// Run `program args` in `cwd` with only `PATH` (`path_var`: absolute directories outside the
/// repository, see [`safe_path`]) and `HOME` set to `home` (so no user configuration, plugin
/// directory or cache of the machine is read), and return its standard output.
pub fn run(
    program: &Path,
    args: &[String],
    cwd: &Path,
    home: &Path,
    path_var: &std::ffi::OsStr,
    bounds: Bounds,
) -> Result<Vec<u8>, Failure> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path_var)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_CACHE_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env("HELM_CACHE_HOME", home)
        .env("HELM_CONFIG_HOME", home)
        .env("HELM_DATA_HOME", home)
        .env("KUBECONFIG", home.join("no-kubeconfig"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: on a timeout every process it started is killed with it.
        .process_group(0);
    // Spawned without a `pre_exec` hook, so the standard library can use posix_spawn (a fork of
    // this multi-threaded process cost ~6 ms of system time a render); the address-space bound is
    // set on the child right after, before it has done anything a bound would matter for.
    let mut child = cmd.spawn().map_err(|e| Failure::Spawn(format!("{}: {e}", program.display())))?;
    let pgid = child.id() as i32;
    let limit = libc::rlimit { rlim_cur: MAX_ADDRESS_SPACE, rlim_max: MAX_ADDRESS_SPACE };
    // SAFETY: prlimit(2) on the child's pid with a valid rlimit; no memory of ours is written.
    unsafe {
        libc::prlimit(pgid, libc::RLIMIT_AS, &limit, std::ptr::null_mut());
    }
    let (Some(mut out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        kill_group(pgid);
        let _ = child.wait();
        return Err(Failure::Spawn("no pipes to the renderer".into()));
    };
    let cap = bounds.max_output;
    // Readers on their own threads: a full pipe would otherwise block the child forever.
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut out).take(cap + 1).read_to_end(&mut buf);
        // Over the cap: the group is stopped at once (a flood does not wait for the deadline).
        if buf.len() as u64 > cap {
            kill_group(pgid);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.take(MAX_STDERR).read_to_end(&mut buf);
        buf
    });
    // The child is waited for on a thread of its own: its exit is seen at once, the deadline by
    // the channel's timeout.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(bounds.timeout) {
        Ok(Ok(s)) => Some(s),
        Ok(Err(e)) => {
            kill_group(pgid);
            let _ = waiter.join();
            return Err(Failure::Spawn(e.to_string()));
        }
        Err(_) => None,
    };
    // Whatever happened, nothing of the group outlives the run.
    kill_group(pgid);
    let Some(status) = status else {
        let _ = waiter.join();
        return Err(Failure::Timeout(bounds.timeout));
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if stdout.len() as u64 > cap {
        return Err(Failure::TooLarge(cap));
    }
    if !status.success() {
        return Err(Failure::Exit { code: status.code(), stderr: String::from_utf8_lossy(&stderr).into_owned() });
    }
    Ok(stdout)
}

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals the process group the child leads; it touches
    // no memory of ours.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// The directories of `path_var` a renderer may see: absolute ones outside `repo`, so that
/// neither a relative entry (`.`, resolved in the directory the renderer runs in) nor the
/// repository can supply a program it starts.
pub fn safe_path(path_var: Option<&std::ffi::OsStr>, repo: &Path) -> std::ffi::OsString {
    let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    let dirs = path_var.map(|p| std::env::split_paths(p).collect::<Vec<_>>()).unwrap_or_default();
    let kept = dirs
        .into_iter()
        .filter(|d| d.is_absolute() && !d.canonicalize().unwrap_or_else(|_| d.clone()).starts_with(&repo));
    std::env::join_paths(kept).unwrap_or_default()
}

/// Find `name` on `path_var` (the `PATH` of the user's environment): the first absolute directory
/// holding an executable file of that name. Relative entries (`.`, empty) are skipped, and so is
/// any directory inside `repo`: a program of the checked repository is never run.
pub fn find_on_path(name: &str, path_var: Option<&std::ffi::OsStr>, repo: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    for dir in std::env::split_paths(path_var?) {
        if !dir.is_absolute() {
            continue;
        }
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if canonical.starts_with(&repo) {
            continue;
        }
        let p = dir.join(name);
        if let Ok(m) = std::fs::metadata(&p) {
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                return Some(p);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> PathBuf {
        PathBuf::from("/bin/sh")
    }

    fn path() -> std::ffi::OsString {
        std::ffi::OsString::from("/usr/bin:/bin")
    }

    fn bounds(ms: u64, cap: u64) -> Bounds {
        Bounds { timeout: Duration::from_millis(ms), max_output: cap }
    }

    #[test]
    fn output_exit_status_and_stderr() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ok = run(&sh(), &["-c".into(), "echo hi".into()], dir.path(), dir.path(), &path(), bounds(10_000, 100));
        assert_eq!(ok.unwrap_or_else(|e| panic!("{e:?}")), b"hi\n");
        let bad = run(
            &sh(),
            &["-c".into(), "echo nope >&2; exit 3".into()],
            dir.path(),
            dir.path(),
            &path(),
            bounds(10_000, 100),
        );
        match bad {
            Err(Failure::Exit { code: Some(3), stderr }) => assert_eq!(stderr, "nope\n"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kubectl_log_lines_are_reduced_to_the_error() {
        let line = r#"E1207 04:52:59.643566   19226 run.go:72] "command failed" err="no resource matches \"Deployment.v1.apps/x\""#;
        assert_eq!(klog(line), r#"no resource matches "Deployment.v1.apps/x""#);
        assert_eq!(klog("Error: plain"), "Error: plain");
        let multi = "E1207 05:08:01.1 1 run.go:72] \"command failed\" err=<\n\ttrouble configuring builtin PatchTransformer\n\tunable to parse\n >\n";
        assert_eq!(klog_text(multi), "trouble configuring builtin PatchTransformer\nunable to parse");
    }

    #[test]
    fn a_renderer_that_never_ends_or_floods_is_stopped_with_its_children() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // A grandchild that holds stdout open must not keep the run waiting either.
        let slow =
            run(&sh(), &["-c".into(), "sleep 30 & sleep 30".into()], dir.path(), dir.path(), &path(), bounds(300, 100));
        assert!(matches!(slow, Err(Failure::Timeout(_))), "{slow:?}");
        let flood = run(&sh(), &["-c".into(), "yes".into()], dir.path(), dir.path(), &path(), bounds(10_000, 1 << 16));
        assert!(matches!(flood, Err(Failure::TooLarge(_))), "{flood:?}");
    }

    #[test]
    fn a_renderer_cannot_take_unbounded_memory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let limit = run(
            &sh(),
            &["-c".into(), "sleep 0.3; ulimit -v".into()],
            dir.path(),
            dir.path(),
            &path(),
            bounds(10_000, 100),
        );
        let kib: u64 = String::from_utf8_lossy(&limit.unwrap_or_else(|e| panic!("{e:?}"))).trim().parse().unwrap_or(0);
        assert_eq!(kib, MAX_ADDRESS_SPACE >> 10);
    }

    #[test]
    fn the_environment_is_not_passed_on() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = run(
            &sh(),
            &["-c".into(), "echo \"$TOLLGATE_SECRET-$HOME\"".into()],
            dir.path(),
            dir.path(),
            &path(),
            bounds(10_000, 1000),
        );
        let text = String::from_utf8(out.unwrap_or_else(|e| panic!("{e:?}"))).unwrap_or_default();
        assert_eq!(text.trim(), format!("-{}", dir.path().display()));
    }

    #[test]
    fn a_program_inside_the_repository_or_on_a_relative_path_entry_is_not_found() {
        use std::os::unix::fs::PermissionsExt;
        let repo = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let bin = repo.path().join("bin");
        std::fs::create_dir(&bin).unwrap_or_else(|e| panic!("{e}"));
        let prog = bin.join("kustomize");
        std::fs::write(&prog, "#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
        let path = std::env::join_paths([bin.clone(), PathBuf::from("bin")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(find_on_path("kustomize", Some(&path), repo.path()), None);
        let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(find_on_path("kustomize", Some(&path), elsewhere.path()), Some(prog));
    }
}
