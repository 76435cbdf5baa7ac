//! `sessionsig auth-sig`: build a SIWE + ReCap message and sign it with a wallet key.

use crate::args::RequestArg;
use crate::error::{CliError, CliResult};
use crate::io::{print_line, read_secret_file};
use sessionsig::auth_sig::{capacity_delegation_caveat, AuthSig, SiweRecapParams};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::SessionKeyPair;
use sessionsig::time::{Duration, OffsetDateTime, Timestamp};
use sessionsig::wallet::LocalWallet;
use std::path::PathBuf;
use std::process::ExitCode;

/// Environment variable that may hold the wallet key (never a plain argument).
pub const WALLET_KEY_ENV: &str = "SESSIONSIG_WALLET_KEY";

/// Arguments of `auth-sig`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// File holding the wallet private key (0x + 64 hex). Or set SESSIONSIG_WALLET_KEY.
    #[arg(long)]
    wallet_key_file: Option<PathBuf>,
    /// Session key file: delegate to that key (URI lit:session:<public key>).
    #[arg(long, conflicts_with = "uri")]
    session_key_file: Option<PathBuf>,
    /// The SIWE URI when not delegating to a session key (e.g. lit:capability:delegation).
    #[arg(long)]
    uri: Option<String>,
    /// A capability to grant, RESOURCE=ABILITY (Lit ability name or ReCap namespace/name).
    #[arg(long = "request", value_name = "RESOURCE=ABILITY")]
    requests: Vec<RequestArg>,
    /// SIWE domain.
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// Your statement; the ReCap text is appended after one space.
    #[arg(long)]
    statement: Option<String>,
    /// SIWE nonce (8+ alphanumerics; default: random 0x + 64 hex).
    #[arg(long)]
    nonce: Option<String>,
    /// EIP-155 chain id.
    #[arg(long, default_value_t = 1)]
    chain_id: u64,
    /// Issue time, RFC 3339 (default: now).
    #[arg(long)]
    issued_at: Option<String>,
    /// Expiration time, RFC 3339 (default: issued-at + 24 h).
    #[arg(long)]
    expiration: Option<String>,
    /// Capacity delegation: addresses that may use it (0x optional).
    #[arg(long, num_args = 1.., value_name = "ADDR")]
    delegate_to: Vec<String>,
    /// Capacity delegation: how many uses.
    #[arg(long)]
    uses: Option<u64>,
    /// Capacity delegation: the capacity NFT (rate limit increase) token id.
    #[arg(long)]
    nft_id: Option<String>,
    /// A caveat KEY=JSON set on every grant of this AuthSig (repeatable), e.g.
    /// `--caveat max_bytes=1000000000 --caveat 'delegate_to=["<address without 0x>"]'`.
    /// A bare word that is not JSON is taken as a string.
    #[arg(long = "caveat", value_name = "KEY=JSON")]
    caveats: Vec<String>,
}

/// `KEY=JSON` → the caveat entry; a value that is not JSON is a string.
fn parse_caveat(arg: &str) -> CliResult<(String, serde_json::Value)> {
    let (key, value) = arg
        .split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| CliError::usage(format!("`{arg}` is not KEY=JSON")))?;
    let value =
        serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

/// Make and print an AuthSig.
pub fn run(a: Args) -> CliResult<ExitCode> {
    let wallet = load_wallet(a.wallet_key_file.as_deref())?;
    let delegating = !a.delegate_to.is_empty() || a.uses.is_some() || a.nft_id.is_some();
    let uri = match (&a.session_key_file, &a.uri) {
        (Some(p), _) => SiweRecapParams::session_uri(
            &SessionKeyPair::from_json(&read_secret_file(p)?)?.public_hex(),
        ),
        (None, Some(u)) => u.clone(),
        (None, None) if delegating => SiweRecapParams::delegation_uri(),
        (None, None) => {
            return Err(CliError::usage(
                "give --session-key-file or --uri (or capacity delegation flags)",
            ))
        }
    };
    let mut capability = Capability::new();
    let rli_key = format!(
        "lit-ratelimitincrease://{}",
        a.nft_id.as_deref().unwrap_or("*")
    );
    let delegation_caveat =
        delegating.then(|| capacity_delegation_caveat(a.nft_id.as_deref(), &a.delegate_to, a.uses));
    let extra = a
        .caveats
        .iter()
        .map(|c| parse_caveat(c))
        .collect::<CliResult<Vec<_>>>()?;
    let with_extra = |mut c: Caveat| {
        for (k, v) in &extra {
            c.insert(k.clone(), v.clone());
        }
        c
    };
    let mut rli_done = false;
    for r in &a.requests {
        let ability = r.recap_ability()?;
        let caveat = match &delegation_caveat {
            Some(c) if r.resource == rli_key && ability == "Auth/Auth" => {
                rli_done = true;
                c.clone()
            }
            _ => Caveat::new(),
        };
        capability.add_ability(&r.resource, &ability, vec![with_extra(caveat)])?;
    }
    if let (Some(c), false) = (delegation_caveat, rli_done) {
        capability.add_ability(&rli_key, "Auth/Auth", vec![with_extra(c)])?;
    }
    if capability.att().is_empty() {
        return Err(CliError::usage(
            "nothing to grant: give at least one --request",
        ));
    }
    let issued_at = match &a.issued_at {
        Some(t) => Timestamp::parse(t)?,
        None => Timestamp::from_instant(OffsetDateTime::now_utc()),
    };
    let expiration = match &a.expiration {
        Some(t) => Timestamp::parse(t)?,
        None => Timestamp::from_instant(issued_at.instant() + Duration::hours(24)),
    };
    let params = SiweRecapParams {
        domain: a.domain,
        uri,
        statement: a.statement,
        nonce: a.nonce.unwrap_or_else(random_nonce),
        chain_id: a.chain_id,
        issued_at,
        expiration: Some(expiration),
        not_before: None,
        capability,
    };
    let auth_sig = AuthSig::create(&wallet, &params)?;
    print_line(&auth_sig.to_json())?;
    Ok(ExitCode::SUCCESS)
}

/// Load the wallet from `--wallet-key-file` or `SESSIONSIG_WALLET_KEY`.
pub fn load_wallet(file: Option<&std::path::Path>) -> CliResult<LocalWallet> {
    let text = match file {
        Some(p) => zeroize::Zeroizing::new(read_secret_file(p)?),
        None => zeroize::Zeroizing::new(std::env::var(WALLET_KEY_ENV).map_err(|_| {
            CliError::usage(format!("give --wallet-key-file or set {WALLET_KEY_ENV}"))
        })?),
    };
    Ok(LocalWallet::from_hex(&text)?)
}

/// A random SIWE nonce: 0x + 64 hex.
pub fn random_nonce() -> String {
    let mut b = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    format!("0x{}", hex::encode(b))
}
