//! `sessionsig recap decode|encode`.

use crate::error::CliResult;
use crate::io::{print_json, print_line, read_input};
use sessionsig::recap::Capability;
use std::path::PathBuf;
use std::process::ExitCode;

/// `recap` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Decode a `urn:recap:` URN to {"att","prf","statement"}.
    Decode {
        /// The URN.
        urn: String,
    },
    /// Encode capability JSON {"att","prf"} (stdin when no FILE) to its `urn:recap:` URN.
    Encode {
        /// The JSON file.
        file: Option<PathBuf>,
    },
}

/// Run a `recap` subcommand.
pub fn run(c: Command) -> CliResult<ExitCode> {
    match c {
        Command::Decode { urn } => {
            let cap = Capability::decode(urn.trim())?;
            let mut v: serde_json::Value =
                serde_json::from_str(&cap.to_jcs()).map_err(sessionsig::Error::from)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("statement".into(), cap.statement().into());
            }
            print_json(&v)?;
        }
        Command::Encode { file } => {
            let text = read_input(file.as_deref())?;
            let cap = Capability::from_json(&text)?;
            print_line(&cap.encode())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
