//! `sessionsig` runs `verify` itself and every other command in `sessionsig-full`, the program
//! installed beside it, by `exec`: the same process (its pid, signals, stdin, stdout, stderr
//! and exit status are the command's own), now running the whole command set.
//!
//! Why two programs: `verify` runs as one process per batch of SessionSigs, so its start is
//! part of its cost per line, and a program's start grows with what it carries. With the node,
//! the backpack's storage (SQLite, PostgreSQL, S3 over HTTPS with aws-lc) and two HTTP stacks
//! linked in, `sessionsig` was a 100 MB program (`.text` 13.5 MB) whose loader applied 15.9 k
//! relocations (241 KB of `.data.rel.ro` copied on write) and ran aws-lc's constructor before
//! `main`; `verify` alone links 24 MB (`.text` 2.6 MB, 3 k relocations, 55 KB). Measured on
//! 2026-12-04, one build, the two programs as cargo linked them, alternated single runs: a
//! one-line `verify` run 1.87 → 1.37 ms of CPU (−26 %, 200 pairs; page faults 249 → 138), 400
//! cold lines −3.2 % (150 pairs); `scripts/bench-verify-ratios`, 21 rounds, cold ratio 1.20 →
//! 1.17–1.18 (the bar is 1.20). Every other command pays one more `exec` (≈ 1 ms) before it
//! starts, which nothing else here runs often enough to notice.
//!
//! `cargo build -p sessionsig-cli` and `cargo install` make both programs; `cargo run -p
//! sessionsig-cli` runs `sessionsig-full` (the package's `default-run`). A `sessionsig` without
//! its companion says so and which path it looked at.

use crate::error::{CliError, EXIT_USAGE};
use crate::exit::report;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The program that runs every command but `verify`, installed beside `sessionsig`.
pub const PROGRAM: &str = "sessionsig-full";

/// Where the companion of the running program is: beside it (symbolic links resolved, so a
/// link to `sessionsig` on the `PATH` finds the real directory). Never looked up on the
/// `PATH`: nothing earlier on it can stand in for the companion.
fn path() -> std::io::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name(PROGRAM))
}

/// Run this process's command line in the companion. On Unix this returns only when the
/// companion could not be started.
pub fn run() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| OsString::from("sessionsig"));
    let companion = match path() {
        Ok(p) => p,
        Err(e) => return report(&missing(Path::new(PROGRAM), &e)),
    };
    let mut command = Command::new(&companion);
    command.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // `exec` returns only on failure.
        let e = command.arg0(&argv0).exec();
        report(&missing(&companion, &e))
    }
    #[cfg(not(unix))]
    {
        let _ = argv0;
        match command.status() {
            Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
            Err(e) => report(&missing(&companion, &e)),
        }
    }
}

/// The error of a companion that could not be started.
fn missing(companion: &Path, e: &std::io::Error) -> CliError {
    CliError {
        code: "companion_missing",
        message: format!(
            "this command runs in {PROGRAM}, which could not be started from {} ({e}); \
             build or install the whole package (`cargo build -p sessionsig-cli` makes both \
             programs)",
            companion.display()
        ),
        exit: EXIT_USAGE,
    }
}
