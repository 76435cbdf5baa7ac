//! `sessionsig-node`: the node commands of the `sessionsig` CLI, as a standalone binary
//! (`sessionsig-node node …`, `sessionsig-node network up …`).
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use sessionsig_node::cli::{run_network, run_node, NetworkCommand, NodeArgs};
use std::process::ExitCode;

/// Run sessionsig nodes: SessionSig verification over HTTP.
#[derive(Parser, Debug)]
#[command(name = "sessionsig-node", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one node in the foreground until Ctrl-C / SIGTERM.
    Node(Box<NodeArgs>),
    /// Run a local network of nodes.
    #[command(subcommand)]
    Network(NetworkCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let r = match cli.command {
        Command::Node(a) => run_node(*a),
        Command::Network(c) => run_network(c),
    };
    match r {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(e.exit_code())
        }
    }
}
