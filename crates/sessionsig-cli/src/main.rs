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

use clap::{Args, FromArgMatches, Parser, Subcommand};
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
    #[command(about = cmd_verify::ABOUT)]
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
    if std::env::args_os().nth(1).is_some_and(|a| a == "verify") {
        return verify_alone();
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
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

/// Print a parse error (or the help or version it stands for) and say how to exit.
fn usage_error(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(error::EXIT_USAGE)
    } else {
        ExitCode::SUCCESS
    }
}

/// The `verify` command on its own, named as it is under `sessionsig`: the same arguments,
/// help and errors (a test compares them with the whole tree's).
fn verify_command() -> clap::Command {
    // `about` after the arguments: the derive would set the `Args` struct's doc comment.
    cmd_verify::Args::augment_args(clap::Command::new("verify"))
        .bin_name("sessionsig verify")
        .about(cmd_verify::ABOUT)
}

/// `sessionsig verify …`, parsed with `verify`'s arguments alone. `verify` is the command run
/// as one process per batch of SessionSigs, where start-up is part of the cost per line;
/// building the whole command tree first (every subcommand's flags: ≈ 0.56 M of the 2.6 M
/// instructions of a one-line run, callgrind, and the code pages they live on) only to use
/// one branch of it is most of clap's share of that start.
fn verify_alone() -> ExitCode {
    let parsed = verify_command()
        .try_get_matches_from(std::env::args_os().skip(1))
        .and_then(|m| cmd_verify::Args::from_arg_matches(&m));
    match parsed.map(cmd_verify::run) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => report(&e),
        Err(e) => usage_error(&e),
    }
}

fn report(e: &CliError) -> ExitCode {
    eprintln!("{e}");
    ExitCode::from(e.exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What parsing `args` (after `sessionsig verify`) gives through the whole tree and through
    /// `verify` alone: the arguments, or the error's kind and text (help is an "error" too).
    fn both(args: &[&str]) -> (String, String) {
        let full = Cli::try_parse_from(["sessionsig", "verify"].iter().chain(args));
        let full = match full {
            Ok(Cli {
                command: Command::Verify(a),
            }) => format!("{a:?}"),
            Ok(other) => panic!("not verify: {other:?}"),
            Err(e) => format!("{:?}: {}", e.kind(), e.render()),
        };
        let alone = verify_command()
            .try_get_matches_from(["verify"].iter().chain(args))
            .and_then(|m| cmd_verify::Args::from_arg_matches(&m));
        let alone = match alone {
            Ok(a) => format!("{a:?}"),
            Err(e) => format!("{:?}: {}", e.kind(), e.render()),
        };
        (full, alone)
    }

    /// `sessionsig verify` parsed alone accepts, refuses and explains exactly as the whole
    /// command tree does.
    #[test]
    fn verify_alone_parses_and_explains_as_the_whole_tree() {
        let cases: &[&[&str]] = &[
            &["--help"],
            &["-h"],
            &[],
            &["--node", "http://127.0.0.1:7470"],
            &[
                "--node",
                "http://n",
                "--at",
                "2025-06-01T00:05:00Z",
                "in.jsonl",
            ],
            &[
                "--node",
                "http://n",
                "--request",
                "lit-pkp://*=pkp-signing",
                "-",
            ],
            &["--node", "http://n", "--at", "yesterday"],
            &["--node", "http://n", "--skew", "x"],
            &["--node", "http://n", "--bogus"],
            &["--node", "http://n", "a", "b"],
            &["--version"],
            &[
                "--node",
                "http://n",
                "--eth-rpc",
                "1=https://key@rpc.example/v1",
            ],
            &[
                "--node",
                "http://n",
                "--trust-lit-bls",
                "--max-lifetime",
                "60",
            ],
        ];
        for args in cases {
            let (full, alone) = both(args);
            assert_eq!(full, alone, "sessionsig verify {args:?}");
        }
        // The cases reach both outcomes, and the help names the command as users type it.
        assert!(both(&["--help"])
            .0
            .contains("Usage: sessionsig verify [OPTIONS] --node <NODE>"));
        assert!(both(&["--node", "n"]).0.starts_with("Args {"));
    }
}
