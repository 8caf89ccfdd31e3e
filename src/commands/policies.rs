//! `tollgate policies list|explain`: the built-in catalogue.

use crate::error::{Error, ExitStatus, Io};
use crate::settings::cli::PoliciesArgs;

pub fn run(args: PoliciesArgs, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    crate::catalog::run(args.command, io)
}
