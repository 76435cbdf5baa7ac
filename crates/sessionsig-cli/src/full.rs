//! `sessionsig-full`: every `sessionsig` command (keys, AuthSigs, SessionSigs, ReCaps,
//! verification, a node, a network, the backpack, the demo). `sessionsig` runs `verify` itself
//! and hands every other command to this program (see `sessionsig_cli::companion`);
//! `cargo run -p sessionsig-cli` runs it directly.
//!
//! JSON goes to stdout, errors to stderr. Exit 0 on success, 1 on invalid input or a failed
//! verification, 2 on a usage error.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use sessionsig_cli::exit::{report, usage_error};
use sessionsig_cli::{
    cmd_auth_sig, cmd_backpack, cmd_demo, cmd_keygen, cmd_network, cmd_node, cmd_recap, cmd_revoke,
    cmd_session, cmd_session_sigs, cmd_siwe, cmd_verify, verify_alone,
};
use std::process::ExitCode;

/// Session keys and session signatures (SIWE + ReCap), wire-compatible with Lit Protocol.
#[derive(Parser, Debug)]
// `bin_name`: the usage line says `sessionsig` whichever program prints it (this one is also
// run by its own name, by `cargo run`).
#[command(name = "sessionsig", bin_name = "sessionsig", version, about, long_about = None)]
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
        return verify_alone::run();
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::FromArgMatches;

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
        let alone = verify_alone::command()
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
