//! The `tollgate` binary: parse the command line, run it, map the status to the exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

// Counted per thread while a policy is evaluated: the memory ceiling of policy::limits.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: tollgate::policy::limits::Metered<mimalloc::MiMalloc> =
    tollgate::policy::limits::Metered(mimalloc::MiMalloc);
#[cfg(not(feature = "mimalloc"))]
#[global_allocator]
static GLOBAL: tollgate::policy::limits::Metered<std::alloc::System> =
    tollgate::policy::limits::Metered(std::alloc::System);

fn main() -> ExitCode {
    // regorus builds `anyhow` errors on its hot path and drops them (a reference that is not a
    // static path is tried as one first); with RUST_BACKTRACE=1 in the environment, as many CI
    // images set it, each of those captured a backtrace: 4-5% of `--builtin all`. tollgate never
    // shows library backtraces, so they are off unless RUST_LIB_BACKTRACE asks for them (panics
    // still follow RUST_BACKTRACE). Set first, while this is the only thread.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    // A policy evaluation that cannot be stopped (see policy::limits): the run ends, exit 2. The
    // message goes straight to file descriptor 2, whoever holds the stderr lock.
    tollgate::policy::limits::on_stuck(|message| {
        use std::io::Write;
        use std::os::fd::FromRawFd;
        // SAFETY: descriptor 2 stays open for the life of the process; ManuallyDrop never closes it.
        let mut fd2 = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(2) });
        let _ = writeln!(fd2, "error: {message}");
        std::process::exit(2);
    });
    let cli = tollgate::settings::cli::Cli::parse();
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot read the current directory: {e}");
            return ExitCode::from(2);
        }
    };
    // stdout and stderr are not locked for the whole run: regorus writes warnings to stderr
    // (`eprintln!`) from the threads that compile and evaluate policies, which would wait forever
    // for a lock this thread held while it waits for them.
    let mut out = std::io::stdout();
    let stdout_tty = out.is_terminal();
    let mut err = std::io::stderr();
    let mut input = std::io::stdin().lock();
    let mut io = tollgate::error::Io { stdout: &mut out, stderr: &mut err, stdin: &mut input, stdout_tty };
    let status = tollgate::commands::run(cli, &cwd, &mut io);
    ExitCode::from(status as u8)
}
