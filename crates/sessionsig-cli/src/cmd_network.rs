//! `sessionsig network up`: N local nodes on `http://127.0.0.1:<base-port + i>` sharing one
//! store, in the foreground.
//!
//! Prints the node URLs on stdout (one per line) once every node answers `/healthz`; Ctrl-C /
//! SIGTERM stop them all gracefully and exit 0.

use crate::cmd_node::node_error;
use crate::error::CliResult;
use std::process::ExitCode;

/// The `network` subcommands.
pub type Command = sessionsig_node::cli::NetworkCommand;

/// Run a `network` subcommand (the tokio runtime is built inside).
pub fn run(c: Command) -> CliResult<ExitCode> {
    sessionsig_node::cli::run_network(c).map_err(node_error)
}
