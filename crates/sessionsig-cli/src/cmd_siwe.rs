//! `sessionsig siwe parse|verify`.

use crate::args::parse_time;
use crate::error::CliResult;
use crate::io::{print_json, read_message};
use sessionsig::siwe::{verify, SiweMessage, VerifyOptions};
use sessionsig::time::{Duration, OffsetDateTime};
use std::path::PathBuf;
use std::process::ExitCode;

/// `siwe` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Print the message's fields as JSON (stdin when no FILE).
    Parse {
        /// The message file; one trailing newline is ignored.
        file: Option<PathBuf>,
    },
    /// Verify a wallet signature over the message's exact bytes, and its time window.
    Verify {
        /// The 65-byte signature, 0x + 130 hex.
        #[arg(long)]
        signature: String,
        /// Verify as of this RFC 3339 instant (default: now).
        #[arg(long, value_parser = parse_time)]
        at: Option<OffsetDateTime>,
        /// Require this domain.
        #[arg(long)]
        domain: Option<String>,
        /// Require this nonce.
        #[arg(long)]
        nonce: Option<String>,
        /// Allowed clock skew in seconds.
        #[arg(long, default_value_t = 60)]
        skew: i64,
        /// The message file; one trailing newline is ignored.
        file: Option<PathBuf>,
    },
}

/// Run a `siwe` subcommand.
pub fn run(c: Command) -> CliResult<ExitCode> {
    match c {
        Command::Parse { file } => {
            let text = read_message(file.as_deref())?;
            let msg = SiweMessage::parse(&text)?;
            print_json(&msg.to_json())?;
        }
        Command::Verify {
            signature,
            at,
            domain,
            nonce,
            skew,
            file,
        } => {
            let text = read_message(file.as_deref())?;
            let opts = VerifyOptions {
                now: at.unwrap_or_else(OffsetDateTime::now_utc),
                skew: Duration::seconds(skew),
                domain,
                nonce,
            };
            let msg = verify(&text, &signature, &opts)?;
            let mut out = msg.to_json();
            if let Some(o) = out.as_object_mut() {
                o.insert("valid".into(), true.into());
            }
            print_json(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
