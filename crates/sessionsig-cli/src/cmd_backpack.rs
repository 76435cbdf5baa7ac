//! `sessionsig backpack …`: the data backpack for people — `login` once, then `put`, `get`,
//! `ls`, `rm`, `share`, `shares`, `revoke`, `status`, like `aws s3` or `rclone`.
//!
//! * `login` is the one wallet prompt of a session (a key file, `SESSIONSIG_WALLET_KEY`, or an
//!   external wallet that signs a printed SIWE message); `--scope` narrows the session itself
//!   (read-only, one folder, a traffic cap). Every other file command signs with the stored
//!   session as it is and never prompts, so a narrowed session stays narrow and the node
//!   judges each request. `share` and `revoke` are wallet signatures by nature.
//! * What `login` learned (the wallet, the nodes, the shares received) is kept in the session
//!   store next to the session key (`cmd_backpack_profile`).
//! * Output: sentences and sizes in words by default, one JSON document with `--json`; a
//!   progress bar on transfers when stderr is a terminal (never with `--json` or
//!   `--no-progress`). Every refusal is one line on stderr, `code: sentence`, and exit 1;
//!   usage errors exit 2, as in the rest of the CLI.

use crate::cmd_backpack_profile::{Profile, ProfileStore};
use crate::error::{CliError, EXIT_INVALID, EXIT_USAGE};
use sessionsig_client::alloy_primitives::Address;
use sessionsig_client::backpack::{BackpackClient, BackpackError, Remote, SessionMode};
use sessionsig_client::{NodeSet, ReadOnlyWallet, SessionConfig, SessionManager};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Options every backpack command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Session store directory (default: the per-user data directory).
    #[arg(long, env = "SESSIONSIG_STORE", value_name = "DIR", global = true)]
    pub store: Option<PathBuf>,
    /// Application namespace inside the store (one session per application and wallet).
    #[arg(long, default_value = "sessionsig-backpack", global = true)]
    pub app: String,
    /// Print one JSON document instead of sentences.
    #[arg(long, global = true)]
    pub json: bool,
    /// Never draw a progress bar.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Node URLs to use instead of the ones `login` stored (repeatable).
    #[arg(long = "node", value_name = "URL", global = true)]
    pub nodes: Vec<String>,
    /// Whose backpack: another wallet's, for a folder shared with you (default: your own).
    #[arg(long, value_name = "ADDRESS", global = true)]
    pub owner: Option<String>,
}

/// `sessionsig backpack`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// The backpack verbs.
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Sign in once with your wallet; the session key then works without it.
    Login(crate::cmd_backpack_session::LoginArgs),
    /// Upload a file (or `-` for stdin) to a remote path.
    Put(crate::cmd_backpack_files::PutArgs),
    /// Download a remote object to a file (or `-` for stdout); resumes an interrupted one.
    Get(crate::cmd_backpack_files::GetArgs),
    /// List a folder (default `/`), or show one object.
    Ls(crate::cmd_backpack_files::LsArgs),
    /// Delete a remote object.
    Rm(crate::cmd_backpack_files::RmArgs),
    /// Share a folder with another wallet (a delegation your wallet signs).
    Share(crate::cmd_backpack_sharing::ShareArgs),
    /// List the shares you gave and received.
    Shares,
    /// Revoke a share (by id or file) or a session key, at every node.
    Revoke(crate::cmd_backpack_sharing::RevokeArgs),
    /// Show the session, its grants and expiry, the nodes and their health.
    Status,
}

/// Why a backpack command stopped.
pub enum Fail {
    /// A refusal or failure of the backpack client (printed `code: sentence`, exit 1).
    Backpack(BackpackError),
    /// A CLI error (usage exit 2, others exit 1).
    Cli(CliError),
}

impl From<BackpackError> for Fail {
    fn from(e: BackpackError) -> Self {
        Fail::Backpack(e)
    }
}

impl From<CliError> for Fail {
    fn from(e: CliError) -> Self {
        Fail::Cli(e)
    }
}

impl From<sessionsig_client::ClientError> for Fail {
    fn from(e: sessionsig_client::ClientError) -> Self {
        Fail::Backpack(BackpackError::Client(e))
    }
}

impl From<sessionsig::Error> for Fail {
    fn from(e: sessionsig::Error) -> Self {
        Fail::Cli(e.into())
    }
}

/// Result of a backpack command.
pub type BpResult<T = ()> = Result<T, Fail>;

/// A usage error.
pub fn usage(m: impl Into<String>) -> Fail {
    Fail::Cli(CliError::usage(m))
}

/// Run a backpack command: refusals print `code: sentence` and exit 1.
pub fn run(a: Args) -> crate::error::CliResult<ExitCode> {
    let common = a.common;
    let result = match a.command {
        Command::Login(l) => crate::cmd_backpack_session::login(&common, l),
        Command::Status => crate::cmd_backpack_session::status(&common),
        Command::Put(p) => crate::cmd_backpack_files::put(&common, p),
        Command::Get(g) => crate::cmd_backpack_files::get(&common, g),
        Command::Ls(l) => crate::cmd_backpack_files::ls(&common, l),
        Command::Rm(r) => crate::cmd_backpack_files::rm(&common, r),
        Command::Share(s) => crate::cmd_backpack_sharing::share(&common, s),
        Command::Shares => crate::cmd_backpack_sharing::shares(&common),
        Command::Revoke(r) => crate::cmd_backpack_sharing::revoke(&common, r),
    };
    Ok(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Backpack(e)) => {
            eprintln!("{}: {}", e.code(), e.sentence());
            ExitCode::from(EXIT_INVALID)
        }
        Err(Fail::Cli(e)) => {
            eprintln!("{}: {}", e.code, e.message);
            ExitCode::from(if e.exit == EXIT_USAGE {
                EXIT_USAGE
            } else {
                e.exit
            })
        }
    })
}

/// A parsed wallet address.
pub fn parse_address(s: &str) -> BpResult<Address> {
    s.trim()
        .parse()
        .map_err(|_| usage(format!("`{s}` is not a wallet address (0x + 40 hex)")))
}

/// The store, the profile and a client signing with the stored session, for the file verbs.
pub struct Session {
    /// The store and profile.
    pub store: ProfileStore,
    /// What `login` stored.
    pub profile: Profile,
    /// The client (never prompts).
    pub client: BackpackClient,
}

impl Session {
    /// Open the stored session, or say how to sign in.
    pub fn open(common: &Common) -> BpResult<Session> {
        let store = ProfileStore::open(common)?;
        let profile = store.load()?.ok_or_else(|| {
            Fail::Backpack(BackpackError::Client(
                sessionsig_client::ClientError::NoSession(
                    "nobody has signed in with this store (`sessionsig backpack login`)".into(),
                ),
            ))
        })?;
        let nodes = if common.nodes.is_empty() {
            profile.nodes.clone()
        } else {
            common.nodes.clone()
        };
        let manager = SessionManager::new(
            ReadOnlyWallet::new(profile.wallet),
            store.storage(),
            NodeSet::new(nodes)?,
        )
        .with_config(SessionConfig {
            layout: store.layout().clone(),
            ..SessionConfig::default()
        })?;
        let mut client = BackpackClient::new(Arc::new(manager))?.with_mode(SessionMode::StoredOnly);
        for share in profile.received()? {
            client = client.with_share(share)?;
        }
        Ok(Session {
            store,
            profile,
            client,
        })
    }

    /// A remote path in the `--owner`'s backpack, or the session wallet's. `photos/a.jpg`
    /// is read as `/photos/a.jpg`.
    pub fn remote(&self, common: &Common, path: &str) -> BpResult<Remote> {
        let owner = match &common.owner {
            Some(o) => parse_address(o)?,
            None => self.profile.wallet,
        };
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Ok(Remote::new(owner, &path)?)
    }
}

/// Run a future on a fresh runtime.
pub fn block_on<F: std::future::Future>(f: F) -> BpResult<F::Output> {
    Ok(sessionsig_client::block_on(f)?)
}

/// Print one JSON value on stdout.
/// The SIWE nonce a share or a revocation should carry: the network's fresh nonce when it
/// requires its own nonces (a network with `network_nonce_for_delegations` refuses any
/// other on delegations and revocations), asked of `nodes` by a handshake; `None` (a random
/// nonce) when it does not, when no node is known, or — said on stderr — when none answers.
pub fn network_nonce(nodes: &[String]) -> Option<String> {
    if nodes.is_empty() {
        return None;
    }
    let asked = block_on(async {
        let http = sessionsig_client::reqwest::Client::new();
        NodeSet::handshake(&http, nodes, std::time::Duration::from_secs(10)).await
    });
    match asked {
        Ok(Ok((_, hs))) => hs.nonce_rule.map(|_| hs.nonce),
        Ok(Err(e)) => {
            eprintln!(
                "note: no node answered the handshake ({e}); signing with a random nonce, which \
                 a network that requires its own nonces refuses"
            );
            None
        }
        Err(_) => None,
    }
}

pub fn print_json(v: &serde_json::Value) -> BpResult {
    crate::io::print_json(v).map_err(Fail::Cli)
}

/// Print a line on stdout.
pub fn say(line: &str) -> BpResult {
    crate::io::print_line(line).map_err(Fail::Cli)
}
