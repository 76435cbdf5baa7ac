//! The CLI's error: a stable code, a message, and the exit status it maps to.

use std::fmt;

/// Exit status for invalid input or a failed verification.
pub const EXIT_INVALID: u8 = 1;
/// Exit status for a usage error.
pub const EXIT_USAGE: u8 = 2;

/// An error the CLI reports on stderr.
#[derive(Debug)]
pub struct CliError {
    /// Stable code (the core's codes, plus `usage`, `io` and `companion_missing`).
    pub code: &'static str,
    /// Human-readable reason (never contains secrets).
    pub message: String,
    /// Process exit status.
    pub exit: u8,
}

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: "usage",
            message: message.into(),
            exit: EXIT_USAGE,
        }
    }

    /// An I/O error on a named path (exit 1).
    pub fn io(what: &str, e: std::io::Error) -> Self {
        CliError {
            code: "io",
            message: format!("{what}: {e}"),
            exit: EXIT_INVALID,
        }
    }
}

impl From<sessionsig::Error> for CliError {
    fn from(e: sessionsig::Error) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
            exit: EXIT_INVALID,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)
    }
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;
