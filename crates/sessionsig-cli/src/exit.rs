//! How a command ends: its error on stderr and the exit status, the same in both programs.

use crate::error::{CliError, EXIT_USAGE};
use std::process::ExitCode;

/// Print a command's error and give its exit status.
pub fn report(e: &CliError) -> ExitCode {
    eprintln!("{e}");
    ExitCode::from(e.exit)
}

/// Print a parse error (or the help or version it stands for) and say how to exit.
pub fn usage_error(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::SUCCESS
    }
}
