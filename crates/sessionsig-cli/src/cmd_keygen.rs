//! `sessionsig keygen`.

use crate::error::CliResult;
use crate::io::{print_line, write_secret_file};
use sessionsig::session::SessionKeyPair;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `keygen`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Key-file layout: v7 (128-hex NaCl secret, default) or v8 (64-hex seed).
    #[arg(long, default_value = "v7", value_parser = ["v7", "v8"])]
    format: String,
    /// Write the key to this new file (mode 0600) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Generate and print (or write) a session key.
pub fn run(a: Args) -> CliResult<ExitCode> {
    let key = SessionKeyPair::generate();
    let json = if a.format == "v8" {
        key.to_json_v8()
    } else {
        key.to_json_v7()
    };
    match a.out {
        Some(path) => {
            write_secret_file(&path, &json)?;
            print_line(&format!("{{\"publicKey\":\"{}\"}}", key.public_hex()))?;
        }
        None => print_line(&json)?,
    }
    Ok(ExitCode::SUCCESS)
}
