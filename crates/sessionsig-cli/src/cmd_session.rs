//! `sessionsig session login|sigs|status|logout`: a persistent client session in a store
//! directory. The wallet signs once at `login`; `sigs` then makes SessionSigs from the stored
//! session key and AuthSig without any wallet key, for as long as the AuthSig covers the
//! request.

use crate::args::{parse_time, RequestArg};
use crate::cmd_auth_sig::load_wallet;
use crate::error::{CliError, CliResult, EXIT_INVALID};
use crate::io::{print_json, print_line};
use sessionsig::lit::ResourceAbilityRequest;
use sessionsig::session::WireFormat;
use sessionsig::time::{to_iso_string, Clock, OffsetDateTime, SystemClock};
use sessionsig_client::alloy_primitives::Address;
use sessionsig_client::status::{clear_all, inspect, stored_wallets, SessionStatus};
use sessionsig_client::storage::default_store_dir;
use sessionsig_client::{
    ClientError, FileStore, GrantScope, KeyLayout, NodeSet, ReadOnlyWallet, SessionConfig,
    SessionManager, SessionRequest,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// The `session` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Sign in: the wallet signs one AuthSig delegating the requests to a stored session key
    /// (reused as is when the stored one already covers them).
    Login(LoginArgs),
    /// Print a SessionSigs map from the stored session (no wallet key needed).
    Sigs(SigsArgs),
    /// Show what is stored: session keys, AuthSigs, what they grant, when they expire.
    Status(StatusArgs),
    /// Forget the stored AuthSigs (and, with --forget-session-key, the session keys).
    Logout(LogoutArgs),
}

/// Where the session lives.
#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// Session store directory (default: the per-user data directory, e.g.
    /// ~/.local/share/sessionsig). Files are owner-only and written atomically.
    #[arg(long, env = "SESSIONSIG_STORE", value_name = "DIR")]
    store: Option<PathBuf>,
    /// Application namespace inside the store (one session key and AuthSig per application
    /// and wallet).
    #[arg(long, default_value = "sessionsig-cli", conflicts_with = "lit_layout")]
    app: String,
    /// Use the Lit SDK's storage keys (`lit-session-key`, `lit-wallet-sig`), to share the
    /// directory with a Lit SDK process using node-localstorage.
    #[arg(long)]
    lit_layout: bool,
}

/// Arguments of `session login`.
#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// File holding the wallet private key (0x + 64 hex). Or set SESSIONSIG_WALLET_KEY.
    #[arg(long)]
    wallet_key_file: Option<PathBuf>,
    /// What the session may do, RESOURCE=ABILITY (e.g. lit-pkp://*=pkp-signing).
    #[arg(long = "request", required = true, value_name = "RESOURCE=ABILITY")]
    requests: Vec<RequestArg>,
    /// Also print SessionSigs for these nodes.
    #[arg(long = "node", value_name = "URL")]
    nodes: Vec<String>,
    /// Ask this node for the network (GET /v1/handshake): its node list and nonce.
    #[arg(long, value_name = "URL")]
    seed: Option<String>,
    /// When the session ends: the AuthSig's expiration, exactly. Default: keep a stored AuthSig
    /// that still covers the requests, or sign one for 24 h.
    #[arg(long, value_parser = parse_time)]
    expiration: Option<OffsetDateTime>,
    /// Grant exactly the requested resources, or every resource of their prefixes.
    #[arg(long, default_value = "requested", value_parser = ["requested", "prefix-wildcard"])]
    grant: String,
    /// SIWE domain of the AuthSig.
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// Your statement, written before the ReCap text in the SIWE message.
    #[arg(long)]
    statement: Option<String>,
}

/// Arguments of `session sigs`.
#[derive(clap::Args, Debug)]
pub struct SigsArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// What to ask the nodes for, RESOURCE=ABILITY.
    #[arg(long = "request", required = true, value_name = "RESOURCE=ABILITY")]
    requests: Vec<RequestArg>,
    /// Node URLs to sign for (each gets its own signature).
    #[arg(long = "node", required = true, num_args = 1.., value_name = "URL")]
    nodes: Vec<String>,
    /// The wallet whose session to use (needed only when several are stored).
    #[arg(long, value_name = "ADDRESS")]
    wallet: Option<String>,
    /// The SessionSigs' expiration, exactly (default: 5 min from now; never past the AuthSig).
    #[arg(long, value_parser = parse_time)]
    expiration: Option<OffsetDateTime>,
    /// Wire form: v7 (Datil) or v8 (Naga, with maxPrice).
    #[arg(long, default_value = "v7", value_parser = ["v7", "v8"])]
    format: String,
    /// v8: the maximum price in wei (decimal).
    #[arg(long)]
    max_price: Option<u128>,
}

/// Arguments of `session status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `session logout`.
#[derive(clap::Args, Debug)]
pub struct LogoutArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only this wallet's session (default: every wallet in the namespace).
    #[arg(long, value_name = "ADDRESS")]
    wallet: Option<String>,
    /// Also delete the session keys.
    #[arg(long)]
    forget_session_key: bool,
}

/// Run a `session` subcommand.
pub fn run(c: Command) -> CliResult<ExitCode> {
    match c {
        Command::Login(a) => login(a),
        Command::Sigs(a) => sigs(a),
        Command::Status(a) => status(a),
        Command::Logout(a) => logout(a),
    }
}

fn client_err(e: ClientError) -> CliError {
    CliError {
        code: e.code(),
        message: e.to_string(),
        exit: EXIT_INVALID,
    }
}

impl StoreArgs {
    fn dir(&self) -> CliResult<PathBuf> {
        match &self.store {
            Some(d) => Ok(d.clone()),
            None => default_store_dir()
                .map(|d| d.join("store"))
                .ok_or_else(|| CliError::usage("no home directory: give --store DIR")),
        }
    }

    fn open(&self) -> CliResult<(FileStore, KeyLayout, PathBuf)> {
        let dir = self.dir()?;
        let layout = if self.lit_layout {
            KeyLayout::Lit
        } else {
            KeyLayout::app(&self.app).map_err(client_err)?
        };
        let store = FileStore::open(&dir).map_err(client_err)?;
        // Opening tightens files another program left readable by others (the Lit SDK writes
        // its session key 0644); say so when that failed. Paths and reasons only, no values.
        for warning in store.take_warnings() {
            eprintln!("warning: {warning}");
        }
        Ok((store, layout, dir))
    }
}

fn requests(args: &[RequestArg]) -> CliResult<Vec<ResourceAbilityRequest>> {
    args.iter().map(RequestArg::lit_request).collect()
}

fn parse_address(s: &str) -> CliResult<Address> {
    s.parse()
        .map_err(|_| CliError::usage(format!("`{s}` is not an Ethereum address")))
}

fn login(a: LoginArgs) -> CliResult<ExitCode> {
    let wallet = load_wallet(a.wallet_key_file.as_deref())?;
    let (store, layout, _) = a.store.open()?;
    let requests = requests(&a.requests)?;
    let config = SessionConfig {
        layout,
        domain: a.domain.clone(),
        statement: a.statement.clone(),
        grant: if a.grant == "prefix-wildcard" {
            GrantScope::PrefixWildcard
        } else {
            GrantScope::Requested
        },
        ..SessionConfig::default()
    };
    let nodes = NodeSet::new(a.nodes.iter().cloned()).map_err(client_err)?;
    let manager = SessionManager::new(wallet, store, nodes)
        .with_config(config)
        .map_err(client_err)?;
    let expiration = a.expiration;
    let seed = a.seed.clone();
    let nodes_given = !a.nodes.is_empty();
    let out = sessionsig_client::block_on(async {
        if let Some(seed) = seed {
            let client = reqwest_client()?;
            let hs = manager
                .refresh_nodes(&client, &[seed], std::time::Duration::from_secs(10))
                .await?;
            if nodes_given {
                // Explicit --node wins over the handshake's list; keep its nonce, and the
                // network's nonce rule (a network requiring its nonce refuses others).
                let mut set = NodeSet::new(a.nodes.iter().cloned())?;
                set = set.with_nonce(sessionsig_client::NetworkNonce {
                    value: hs.nonce,
                    expires_at: hs.nonce_expires_at,
                });
                if let Some(rule) = hs.nonce_rule {
                    set = set.with_nonce_rule(rule);
                }
                manager.set_nodes(set);
            }
        }
        let login = manager.login(&requests, expiration).await?;
        let sigs = if manager.nodes().is_empty() {
            None
        } else {
            Some(
                manager
                    .session_sigs(&SessionRequest::new(requests.clone()))
                    .await?,
            )
        };
        Ok::<_, ClientError>((login, sigs))
    })
    .map_err(client_err)?
    .map_err(client_err)?;
    let (login, sigs) = out;
    let status = manager.status().map_err(client_err)?;
    let mut json = serde_json::json!({
        "signed": login.signed.as_ref().map(|r| r.code()),
        "reason": login.signed.as_ref().map(|r| r.to_string()),
        "wallet": status.wallet,
        "sessionKey": login.session_public_key,
        "expiration": status.auth_sig.as_ref().and_then(|s| s.expiration.clone()),
        "grants": status.auth_sig.as_ref().map(|s| serde_json::to_value(&s.grants).unwrap_or_default()),
    });
    if let Some(sigs) = sigs {
        json["sessionSigs"] = serde_json::to_value(&sigs).unwrap_or_default();
    }
    print_json(&json)?;
    Ok(ExitCode::SUCCESS)
}

fn reqwest_client() -> Result<sessionsig_client::reqwest::Client, ClientError> {
    sessionsig_client::reqwest::Client::builder()
        .build()
        .map_err(|e| ClientError::InvalidConfig(format!("HTTP client: {e}")))
}

fn sigs(a: SigsArgs) -> CliResult<ExitCode> {
    let (store, layout, dir) = a.store.open()?;
    let address = match &a.wallet {
        Some(w) => parse_address(w)?,
        None => {
            let stored = stored_wallets(&store, &layout).map_err(client_err)?;
            match stored.as_slice() {
                [one] => *one,
                [] => {
                    return Err(CliError {
                        code: "no_session",
                        message: format!(
                            "no session stored in {}: run `sessionsig session login` first",
                            dir.display()
                        ),
                        exit: EXIT_INVALID,
                    })
                }
                _ => {
                    return Err(CliError::usage(
                        "several wallets have a session: give --wallet",
                    ))
                }
            }
        }
    };
    let requests = requests(&a.requests)?;
    let format = match (a.format.as_str(), a.max_price) {
        ("v8", p) => WireFormat::V8 {
            max_price: p.unwrap_or(0),
        },
        (_, Some(_)) => return Err(CliError::usage("--max-price needs --format v8")),
        _ => WireFormat::V7,
    };
    let config = SessionConfig {
        layout,
        ..SessionConfig::default()
    };
    let manager = SessionManager::new(
        ReadOnlyWallet::new(address),
        store,
        NodeSet::new(a.nodes.iter().cloned()).map_err(client_err)?,
    )
    .with_config(config)
    .map_err(client_err)?;
    let mut request = SessionRequest::new(requests).format(format);
    request.expiration = a.expiration;
    let sigs = sessionsig_client::block_on(manager.session_sigs(&request))
        .map_err(client_err)?
        .map_err(|e| match e {
            ClientError::WalletRequired(why) => CliError {
                code: "wallet_required",
                message: format!(
                    "the stored session cannot make these SessionSigs: {why}; run `sessionsig session login` again"
                ),
                exit: EXIT_INVALID,
            },
            other => client_err(other),
        })?;
    print_line(&sigs.to_json())?;
    Ok(ExitCode::SUCCESS)
}

fn status(a: StatusArgs) -> CliResult<ExitCode> {
    let (store, layout, dir) = a.store.open()?;
    let now = SystemClock.now();
    let sessions = inspect(&store, &layout, now).map_err(client_err)?;
    if a.json {
        print_json(&serde_json::json!({
            "store": dir.display().to_string(),
            "layout": layout_name(&layout),
            "now": to_iso_string(now),
            "sessions": serde_json::to_value(&sessions).unwrap_or_default(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    print_line(&format!(
        "store   {} ({})",
        dir.display(),
        layout_name(&layout)
    ))?;
    if sessions.is_empty() {
        print_line("no session stored")?;
    }
    for s in &sessions {
        print_line("")?;
        print_line(&describe(s))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn layout_name(layout: &KeyLayout) -> String {
    match layout {
        KeyLayout::Lit => "Lit SDK keys".to_owned(),
        KeyLayout::App(app) => format!("app {app}"),
    }
}

fn describe(s: &SessionStatus) -> String {
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(format!(
        "wallet        {}",
        s.wallet.as_deref().unwrap_or("(unknown)")
    ));
    line(format!(
        "session key   {}",
        s.session_public_key.as_deref().unwrap_or("(none)")
    ));
    match &s.auth_sig {
        None => line("AuthSig       none: run `sessionsig session login`".to_owned()),
        Some(a) => {
            let state = match (&a.error, a.expired, a.matches_session_key) {
                (Some(code), _, _) => format!("INVALID ({code})"),
                (None, true, _) => "EXPIRED".to_owned(),
                (None, false, false) => "valid, but delegates to another session key".to_owned(),
                (None, false, true) => "valid".to_owned(),
            };
            line(format!("AuthSig       {state}"));
            if let Some(i) = &a.issued_at {
                line(format!("issued        {i}"));
            }
            match (&a.expiration, a.seconds_left) {
                (Some(e), Some(left)) if left > 0 => {
                    line(format!("expires       {e} (in {})", human_duration(left)))
                }
                (Some(e), Some(left)) => {
                    line(format!("expired       {e} ({} ago)", human_duration(-left)))
                }
                _ => line("expires       never".to_owned()),
            }
            if a.grants.is_empty() {
                line("grants        nothing".to_owned());
            } else {
                line("grants".to_owned());
            }
            for g in &a.grants {
                let lit = if g.lit_abilities.is_empty() {
                    String::new()
                } else {
                    format!(" = {}", g.lit_abilities.join(", "))
                };
                let restricted = if g.caveats.iter().any(|c| c.is_empty()) {
                    String::new()
                } else if g.caveats.is_empty() {
                    " (no valid use: empty caveat list)".to_owned()
                } else {
                    format!(
                        " (only under: {})",
                        serde_json::to_string(&g.caveats).unwrap_or_default()
                    )
                };
                line(format!(
                    "  {}  {}{lit}{restricted}",
                    g.resource, g.recap_ability
                ));
            }
        }
    }
    out.trim_end().to_owned()
}

fn human_duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn logout(a: LogoutArgs) -> CliResult<ExitCode> {
    let (store, layout, _) = a.store.open()?;
    let removed = match &a.wallet {
        None => clear_all(&store, &layout, a.forget_session_key).map_err(client_err)?,
        Some(w) => {
            let address = parse_address(w)?;
            let mut names = vec![layout.wallet_sig(address)];
            if a.forget_session_key {
                names.push(layout.session_key(address));
            }
            let mut n = 0;
            for name in names {
                use sessionsig_client::Storage;
                if store.get(&name).map_err(client_err)?.is_some() {
                    store.remove(&name).map_err(client_err)?;
                    n += 1;
                }
            }
            n
        }
    };
    print_json(&serde_json::json!({ "removed": removed }))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct T {
        #[command(subcommand)]
        c: Command,
    }

    fn run_args(args: &[&str]) -> CliResult<ExitCode> {
        let t = T::try_parse_from(std::iter::once("session").chain(args.iter().copied()))
            .map_err(|e| CliError::usage(e.to_string()))?;
        run(t.c)
    }

    #[test]
    fn login_sigs_status_logout() {
        let dir = std::env::temp_dir().join(format!(
            "sessionsig-cli-session-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("wallet.key");
        std::fs::write(&key, format!("0x{}\n", "11".repeat(32))).unwrap();
        let store = dir.join("store");
        let (store, key) = (store.to_str().unwrap(), key.to_str().unwrap());
        let pkp = "lit-pkp://*=pkp-signing";
        let node = "https://127.0.0.1:7470";

        // No session yet: `sigs` needs a login.
        let e =
            run_args(&["sigs", "--store", store, "--request", pkp, "--node", node]).unwrap_err();
        assert_eq!(e.code, "no_session");
        run_args(&[
            "login",
            "--store",
            store,
            "--wallet-key-file",
            key,
            "--request",
            pkp,
        ])
        .unwrap();
        run_args(&["sigs", "--store", store, "--request", pkp, "--node", node]).unwrap();
        let e = run_args(&[
            "sigs",
            "--store",
            store,
            "--request",
            "lit-litaction://Qm=lit-action-execution",
            "--node",
            node,
        ])
        .unwrap_err();
        assert_eq!(e.code, "wallet_required");
        run_args(&["status", "--store", store]).unwrap();
        run_args(&["status", "--store", store, "--json"]).unwrap();
        run_args(&["logout", "--store", store, "--forget-session-key"]).unwrap();
        let e =
            run_args(&["sigs", "--store", store, "--request", pkp, "--node", node]).unwrap_err();
        assert_eq!(e.code, "no_session");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(59), "59 s");
        assert_eq!(human_duration(3 * 60), "3 min");
        assert_eq!(human_duration(2 * 3600 + 60), "2 h 1 min");
        assert_eq!(human_duration(2 * 86_400 + 3600), "2 d 1 h");
    }
}
