//! The `tollgate` binary: parse the command line, run it, map the status to the exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = tollgate::cli::Cli::parse();
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot read the current directory: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let stdout_tty = stdout.is_terminal();
    let mut out = stdout.lock();
    let mut err = std::io::stderr().lock();
    let mut input = std::io::stdin().lock();
    let mut io = tollgate::app::Io { stdout: &mut out, stderr: &mut err, stdin: &mut input, stdout_tty };
    let status = tollgate::app::run(cli, &cwd, &mut io);
    ExitCode::from(status as u8)
}
