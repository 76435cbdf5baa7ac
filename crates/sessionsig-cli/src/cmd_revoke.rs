//! `sessionsig revoke`: a wallet-signed revocation of a session key or of one AuthSig.

use crate::cmd_auth_sig::load_wallet;
use crate::error::{CliError, CliResult};
use crate::io::{print_line, read_file, read_secret_file};
use sessionsig::auth_sig::{AuthSig, RevocationParams, RevocationTarget};
use sessionsig::session::SessionKeyPair;
use sessionsig::time::{OffsetDateTime, Timestamp};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `revoke`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// File holding the wallet private key that granted what is revoked (or SESSIONSIG_WALLET_KEY).
    #[arg(long)]
    wallet_key_file: Option<PathBuf>,
    /// Revoke this session key (64 hex), for every delegation this wallet made to it.
    #[arg(long, conflicts_with_all = ["session_key_file", "auth_sig_file"])]
    session_key: Option<String>,
    /// Revoke the session key in this key file.
    #[arg(long, conflicts_with = "auth_sig_file")]
    session_key_file: Option<PathBuf>,
    /// Revoke this one AuthSig (a session AuthSig or a delegation this wallet signed).
    #[arg(long)]
    auth_sig_file: Option<PathBuf>,
    /// SIWE domain.
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// SIWE nonce (default: random).
    #[arg(long)]
    nonce: Option<String>,
    /// EIP-155 chain id.
    #[arg(long, default_value_t = 1)]
    chain_id: u64,
    /// Issue time (default: now).
    #[arg(long)]
    issued_at: Option<String>,
}

/// Make and print the revocation AuthSig.
pub fn run(a: Args) -> CliResult<ExitCode> {
    let target = match (&a.session_key, &a.session_key_file, &a.auth_sig_file) {
        (Some(k), _, _) => RevocationTarget::parse(&format!("session-key:{k}"))?,
        (_, Some(f), _) => RevocationTarget::SessionKey(
            SessionKeyPair::from_json(&read_secret_file(f)?)?.public_hex(),
        ),
        (_, _, Some(f)) => RevocationTarget::AuthSig(AuthSig::from_json(&read_file(f)?)?.hash()),
        _ => {
            return Err(CliError::usage(
                "give --session-key, --session-key-file or --auth-sig-file",
            ))
        }
    };
    let wallet = load_wallet(a.wallet_key_file.as_deref())?;
    let issued_at = match &a.issued_at {
        Some(t) => Timestamp::parse(t)?,
        None => Timestamp::from_instant(OffsetDateTime::now_utc()),
    };
    let revocation = AuthSig::revoke(
        &wallet,
        &target,
        &RevocationParams {
            domain: a.domain,
            nonce: a.nonce.unwrap_or_else(crate::cmd_auth_sig::random_nonce),
            chain_id: a.chain_id,
            issued_at,
        },
    )?;
    print_line(&revocation.to_json())?;
    Ok(ExitCode::SUCCESS)
}
