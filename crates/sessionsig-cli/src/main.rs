//! `sessionsig`: make session keys, AuthSigs and SessionSigs; decode ReCaps; verify anything.
//!
//! JSON goes to stdout, errors to stderr. Exit 0 on success, 1 on invalid input or a failed
//! verification, 2 on a usage error.
#![forbid(unsafe_code)]

mod args;
mod cmd_auth_sig;
mod cmd_backpack;
mod cmd_backpack_files;
mod cmd_backpack_output;
mod cmd_backpack_profile;
mod cmd_backpack_session;
mod cmd_backpack_sharing;
mod cmd_demo;
mod cmd_keygen;
mod cmd_network;
mod cmd_node;
mod cmd_recap;
mod cmd_revoke;
mod cmd_session;
mod cmd_session_sigs;
mod cmd_siwe;
mod cmd_verify;
mod error;
mod io;
mod verify_output;

use clap::{Parser, Subcommand};
use error::CliError;
use std::process::ExitCode;

/// Session keys and session signatures (SIWE + ReCap), wire-compatible with Lit Protocol.
#[derive(Parser, Debug)]
#[command(name = "sessionsig", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate an ed25519 session key: {"publicKey","secretKey"}.
    Keygen(cmd_keygen::Args),
    /// Parse or verify a Sign-In with Ethereum (EIP-4361) message.
    #[command(subcommand)]
    Siwe(cmd_siwe::Command),
    /// Decode or encode a ReCap (ERC-5573) `urn:recap:` resource.
    #[command(subcommand)]
    Recap(cmd_recap::Command),
    /// Make an AuthSig: a wallet-signed SIWE message that delegates capabilities.
    AuthSig(Box<cmd_auth_sig::Args>),
    /// Make SessionSigs: one signature per node, keyed by node URL.
    SessionSigs(cmd_session_sigs::Args),
    /// Verify SessionSigs (one, a map, or JSON Lines of either) for a node.
    Verify(cmd_verify::Args),
    /// Sign a revocation of a session key or of one AuthSig (for POST /v1/revocations).
    Revoke(cmd_revoke::Args),
    /// A persistent client session: log in once, then SessionSigs without the wallet.
    #[command(subcommand)]
    Session(cmd_session::Command),
    /// Run one node: an HTTP server that verifies SessionSigs (SQLite by default).
    Node(Box<cmd_node::Args>),
    /// Run a local network of nodes on one shared store.
    #[command(subcommand)]
    Network(cmd_network::Command),
    /// Your data backpack on the nodes: login once, then put, get, ls, rm, share, revoke.
    Backpack(Box<cmd_backpack::Args>),
    /// Start three local nodes and walk through the backpack story: one sign-in, many
    /// operations, a narrowed session, a share, its refusals and its revocation.
    Demo(cmd_demo::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(error::EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Keygen(a) => cmd_keygen::run(a),
        Command::Siwe(c) => cmd_siwe::run(c),
        Command::Recap(c) => cmd_recap::run(c),
        Command::AuthSig(a) => cmd_auth_sig::run(*a),
        Command::SessionSigs(a) => cmd_session_sigs::run(a),
        Command::Verify(a) => cmd_verify::run(a),
        Command::Revoke(a) => cmd_revoke::run(a),
        Command::Session(c) => cmd_session::run(c),
        Command::Node(a) => cmd_node::run(*a),
        Command::Network(c) => cmd_network::run(c),
        Command::Backpack(a) => cmd_backpack::run(*a),
        Command::Demo(a) => cmd_demo::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

fn report(e: &CliError) -> ExitCode {
    eprintln!("{e}");
    ExitCode::from(e.exit)
}
