//! The subcommands, one module each: they resolve their settings, run what they run and write the
//! result to the writers they are given. [`run`] dispatches a parsed command line and maps a
//! failure to exit 2, except a standard output closed by its reader, which ends the run quietly
//! with exit 0 (`tollgate policies list | head`); `check` then still exits with its verdict.

pub mod check;
pub mod hook;
pub mod init;
pub mod parse;
pub mod policies;
pub mod render;
pub mod verify;

use std::path::Path;

use crate::error::{Error, ExitStatus, Io};
use crate::settings::cli::{Cli, Command};

/// Run a command line.
pub fn run(cli: Cli, cwd: &Path, io: &mut Io<'_>) -> ExitStatus {
    let res = match cli.command {
        Command::Check(args) => check::run(*args, cwd, io),
        Command::Parse(args) => parse::run(args, cwd, io),
        Command::Policies(args) => policies::run(args, io),
        Command::Verify(args) => verify::run(args, cwd, io),
        Command::Hook(args) => hook::run(args.command, cwd, io),
        Command::Init => init::run(cwd, io),
    };
    match res {
        Ok(s) => s,
        // The reader of stdout has what it wanted: nothing to report, nothing failed.
        Err(e) if e.is_broken_pipe() => ExitStatus::Pass,
        Err(e) => {
            let _ = writeln!(io.stderr, "error: {}", e.shown());
            ExitStatus::Error
        }
    }
}

/// Write `text` to stdout.
pub fn write_stdout(io: &mut Io<'_>, text: &str) -> Result<(), Error> {
    io.stdout.write_all(text.as_bytes()).map_err(Error::stdout)
}
