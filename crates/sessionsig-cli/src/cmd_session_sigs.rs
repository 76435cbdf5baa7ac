//! `sessionsig session-sigs`: sign one SessionSig per node.

use crate::args::{parse_time, RequestArg};
use crate::error::{CliError, CliResult};
use crate::io::{print_line, read_file, read_secret_file};
use sessionsig::auth_sig::AuthSig;
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{Duration, OffsetDateTime};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `session-sigs`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The session key file ({"publicKey","secretKey"}, v7 or v8 layout).
    #[arg(long)]
    session_key_file: PathBuf,
    /// The session AuthSig (delegating to this session key).
    #[arg(long)]
    auth_sig_file: PathBuf,
    /// Other AuthSigs to carry (e.g. a capacity delegation), in order, before the session AuthSig.
    #[arg(long = "capability-file")]
    capability_files: Vec<PathBuf>,
    /// Node URLs to sign for (each gets its own signature).
    #[arg(long = "node", required = true, num_args = 1..)]
    nodes: Vec<String>,
    /// What the session asks for, RESOURCE=ABILITY.
    #[arg(long = "request", required = true, value_name = "RESOURCE=ABILITY")]
    requests: Vec<RequestArg>,
    /// Issue time (default: now).
    #[arg(long, value_parser = parse_time)]
    issued_at: Option<OffsetDateTime>,
    /// Expiration (default: issued-at + 24 h, but not past the AuthSig's expiration).
    #[arg(long, value_parser = parse_time)]
    expiration: Option<OffsetDateTime>,
    /// Wire form: v7 (Datil) or v8 (Naga, with maxPrice).
    #[arg(long, default_value = "v7", value_parser = ["v7", "v8"])]
    format: String,
    /// v8: the maximum price in wei (decimal).
    #[arg(long)]
    max_price: Option<u128>,
}

/// Make and print a SessionSigs map.
pub fn run(a: Args) -> CliResult<ExitCode> {
    let key = SessionKeyPair::from_json(&read_secret_file(&a.session_key_file)?)?;
    let session_auth = AuthSig::from_json(&read_file(&a.auth_sig_file)?)?;
    let mut capabilities = Vec::with_capacity(a.capability_files.len() + 1);
    for f in &a.capability_files {
        capabilities.push(AuthSig::from_json(&read_file(f)?)?);
    }
    let auth_expiry = session_auth
        .parse_siwe()
        .ok()
        .and_then(|(m, _)| m.expiration_time.map(|t| t.instant()));
    capabilities.push(session_auth);
    let requests = a
        .requests
        .iter()
        .map(RequestArg::lit_request)
        .collect::<CliResult<Vec<_>>>()?;
    let format = match (a.format.as_str(), a.max_price) {
        ("v8", p) => WireFormat::V8 {
            max_price: p.unwrap_or(0),
        },
        (_, Some(_)) => return Err(CliError::usage("--max-price needs --format v8")),
        _ => WireFormat::V7,
    };
    let issued_at = a.issued_at.unwrap_or_else(OffsetDateTime::now_utc);
    let expiration = a.expiration.unwrap_or_else(|| {
        let day = issued_at + Duration::hours(24);
        auth_expiry.map_or(day, |e| day.min(e).max(issued_at))
    });
    let params = SessionSigParams {
        requests: &requests,
        capabilities: &capabilities,
        issued_at,
        expiration,
        format,
    };
    let sigs = key.sign_session_sigs(&params, &a.nodes)?;
    print_line(&sigs.to_json())?;
    Ok(ExitCode::SUCCESS)
}
