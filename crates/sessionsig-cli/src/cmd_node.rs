//! `sessionsig node`: run one node (the `sessionsig-node` crate) in the foreground.
//!
//! Prints the node URL on stdout once it answers `/healthz`; Ctrl-C / SIGTERM stop it
//! gracefully (in-flight requests are answered) and exit 0. Configuration errors exit 2.

use crate::error::{CliError, CliResult};
use std::process::ExitCode;

/// Arguments of `node` (see `sessionsig node --help`; every key of the TOML file has a flag,
/// declared once in `sessionsig_node::config::flags` and shared with `network up`).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    node: sessionsig_node::cli::NodeArgs,
}

/// Run the node until Ctrl-C / SIGTERM (the tokio runtime is built inside).
pub fn run(a: Args) -> CliResult<ExitCode> {
    sessionsig_node::cli::run_node(a.node).map_err(node_error)
}

/// A node error as the CLI reports it: its stable code, exit 2 for configuration problems.
pub fn node_error(e: sessionsig_node::NodeError) -> CliError {
    CliError {
        code: e.code(),
        message: e.to_string(),
        exit: e.exit_code(),
    }
}
