//! `sessionsig verify …`, parsed with `verify`'s arguments alone.
//!
//! `verify` is the command run as one process per batch of SessionSigs, where start-up is part
//! of the cost per line: building the whole command tree first (every subcommand's flags:
//! ≈ 0.56 M of the 2.6 M instructions of a one-line run, callgrind, and the code pages they
//! live on) only to use one branch of it was most of clap's share of that start. A unit test of
//! `sessionsig-full` holds the help, the errors and the parsed arguments to the whole tree's.

use crate::cmd_verify;
use crate::exit::{report, usage_error};
use clap::{Args, FromArgMatches};
use std::process::ExitCode;

/// The `verify` command on its own, named as it is under `sessionsig`.
pub fn command() -> clap::Command {
    // `about` after the arguments: the derive would set the `Args` struct's doc comment.
    cmd_verify::Args::augment_args(clap::Command::new("verify"))
        .bin_name("sessionsig verify")
        .about(cmd_verify::ABOUT)
}

/// Run `verify` with this process's arguments (the first, `verify`, names the command).
pub fn run() -> ExitCode {
    let parsed = command()
        .try_get_matches_from(std::env::args_os().skip(1))
        .and_then(|m| cmd_verify::Args::from_arg_matches(&m));
    match parsed.map(cmd_verify::run) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => report(&e),
        Err(e) => usage_error(&e),
    }
}
