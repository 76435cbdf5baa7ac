//! `sessionsig`: make session keys, AuthSigs and SessionSigs; decode ReCaps; verify anything.
//!
//! This program runs `verify` itself and hands every other command to `sessionsig-full`,
//! installed beside it (`sessionsig_cli::companion` says why, with the figures): `verify` runs
//! once per batch of SessionSigs, and a program that carries only the verifier starts in
//! three quarters of the time.
//!
//! JSON goes to stdout, errors to stderr. Exit 0 on success, 1 on invalid input or a failed
//! verification, 2 on a usage error.
#![forbid(unsafe_code)]

use sessionsig_cli::{companion, verify_alone};
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "verify") {
        verify_alone::run()
    } else {
        companion::run()
    }
}
