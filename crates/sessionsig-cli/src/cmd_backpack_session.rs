//! `sessionsig backpack login` and `status`: the one wallet prompt, and what it left behind.

use crate::cmd_backpack::{
    block_on, parse_address, print_json, say, usage, BpResult, Common, Fail, Session,
};
use crate::cmd_backpack_output::short;
use crate::cmd_backpack_profile::{Profile, ProfileStore};
use serde_json::json;
use sessionsig::lit::{LitAbility, ResourceAbilityRequest};
use sessionsig::recap::Caveat;
use sessionsig::time::{to_iso_string, OffsetDateTime};
use sessionsig_client::backpack::{human, Remote, Share};
use sessionsig_client::{
    BoxError, CallbackWallet, NodeSet, SessionConfig, SessionManager, SignRequest, WalletProvider,
};
use std::path::PathBuf;
use std::sync::Arc;

/// How the wallet signs (login, share, revoke).
#[derive(clap::Args, Debug)]
pub struct WalletArgs {
    /// File holding the wallet private key (0x + 64 hex). Or set SESSIONSIG_WALLET_KEY.
    #[arg(long, value_name = "FILE")]
    wallet_key_file: Option<PathBuf>,
    /// Sign with an external wallet of this address: the SIWE message is printed on stderr
    /// and its signature (0x + 130 hex, from `personal_sign`) is read from stdin.
    #[arg(long, value_name = "ADDRESS", conflicts_with = "wallet_key_file")]
    external_wallet: Option<String>,
}

impl WalletArgs {
    /// The wallet to prompt.
    pub fn wallet(&self) -> BpResult<Arc<dyn WalletProvider>> {
        if let Some(a) = &self.external_wallet {
            let address = parse_address(a)?;
            let w = CallbackWallet::new(address, |req: SignRequest| async move {
                eprintln!(
                    "Sign this message with {} (personal_sign), then paste the signature:\n\n{}\n",
                    req.address.to_checksum(None),
                    req.message
                );
                let line = tokio::task::spawn_blocking(|| {
                    let mut s = String::new();
                    std::io::stdin().read_line(&mut s).map(|_| s)
                })
                .await
                .map_err(|e| -> BoxError { e.to_string().into() })?
                .map_err(|e| -> BoxError { e.to_string().into() })?;
                Ok::<String, BoxError>(line.trim().to_owned())
            });
            return Ok(Arc::new(w));
        }
        let w = crate::cmd_auth_sig::load_wallet(self.wallet_key_file.as_deref())?;
        Ok(Arc::new(w))
    }
}

/// Arguments of `login`.
#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    wallet: WalletArgs,
    /// Ask this node for the network (GET /v1/handshake) instead of listing --node.
    #[arg(long, value_name = "URL")]
    seed: Option<String>,
    /// Narrow the session (repeatable): `read-only`, a folder such as `/photos/`,
    /// `max-bytes=1GB` (traffic cap), `max-object-bytes=10MB`.
    #[arg(long = "scope", value_name = "SCOPE")]
    scope: Vec<String>,
    /// How long the session lasts (e.g. 30m, 24h, 7d; at most 30d).
    #[arg(long, default_value = "24h")]
    expires: String,
    /// A share file another wallet gave you; the session carries it (repeatable).
    #[arg(long = "share", value_name = "FILE")]
    shares: Vec<PathBuf>,
}

/// A parsed `--scope`.
#[derive(Debug, Default)]
pub struct Scope {
    /// The folders the session reaches (default `/`).
    pub folders: Vec<String>,
    /// The abilities (default `backpack/*`).
    pub abilities: Vec<LitAbility>,
    /// Caveats on every grant.
    pub caveat: Caveat,
}

/// Parse the `--scope` values.
pub fn parse_scope(items: &[String]) -> BpResult<Scope> {
    let mut s = Scope::default();
    for item in items {
        let item = item.trim();
        if item == "read-only" || item == "readonly" {
            s.abilities = vec![LitAbility::BackpackRead, LitAbility::BackpackList];
        } else if item.starts_with('/') {
            let f = if item.ends_with('/') {
                item.to_owned()
            } else {
                format!("{item}/")
            };
            s.folders.push(f);
        } else if let Some(v) = item.strip_prefix("max-bytes=") {
            let n = human::parse_size(v).map_err(usage)?;
            s.caveat.insert("max_bytes".into(), json!(n.to_string()));
        } else if let Some(v) = item.strip_prefix("max-object-bytes=") {
            let n = human::parse_size(v).map_err(usage)?;
            s.caveat
                .insert("max_object_bytes".into(), json!(n.to_string()));
        } else {
            return Err(usage(format!(
                "`{item}` is not a scope: use read-only, a folder (/photos/), max-bytes=SIZE or max-object-bytes=SIZE"
            )));
        }
    }
    if s.folders.is_empty() {
        s.folders.push("/".into());
    }
    if s.abilities.is_empty() {
        s.abilities = vec![LitAbility::BackpackAll];
    }
    Ok(s)
}

/// `backpack login`.
pub fn login(common: &Common, a: LoginArgs) -> BpResult {
    let wallet = a.wallet.wallet()?;
    let address = wallet.address();
    let store = ProfileStore::open(common)?;
    let earlier = store.load()?.filter(|p| p.wallet == address);
    let scope = parse_scope(&a.scope)?;
    let ttl = human::parse_duration(&a.expires).map_err(usage)?;
    let mut received: Vec<String> = earlier
        .as_ref()
        .map(|p| p.received.clone())
        .unwrap_or_default();
    for f in &a.shares {
        let text = crate::io::read_file(f)?;
        let share = Share::from_json(&text)?;
        if share.with != address {
            return Err(usage(format!(
                "{} is a share for {}, not for {}",
                f.display(),
                share.with.to_checksum(None),
                address.to_checksum(None)
            )));
        }
        let j = share.delegation.to_json();
        if !received.contains(&j) {
            received.push(j);
        }
    }
    let profile_shares: Vec<Share> = received
        .iter()
        .map(|j| Share::from_json(j))
        .collect::<Result<_, _>>()?;
    let mut requests: Vec<ResourceAbilityRequest> = Vec::new();
    for f in &scope.folders {
        let r = Remote::new(address, f)?;
        for ab in &scope.abilities {
            requests.push(r.request(*ab)?);
        }
    }
    for s in &profile_shares {
        for ab in &s.abilities {
            requests.push(s.folder.request(*ab)?);
        }
    }
    let g = block_on(async {
        let http = sessionsig_client::reqwest::Client::new();
        let nodes = match (&a.seed, common.nodes.is_empty()) {
            (Some(seed), _) => {
                NodeSet::handshake(&http, &[seed], std::time::Duration::from_secs(10))
                    .await?
                    .0
            }
            (None, false) => with_network_nonce(&http, NodeSet::new(common.nodes.clone())?).await,
            (None, true) => match &earlier {
                Some(p) if !p.nodes.is_empty() => {
                    with_network_nonce(&http, NodeSet::new(p.nodes.clone())?).await
                }
                _ => {
                    return Err(usage(
                        "give the nodes: --node URL (repeatable) or --seed URL",
                    ))
                }
            },
        };
        let manager = SessionManager::new(wallet.clone(), store.storage(), nodes.clone())
            .with_config(SessionConfig {
                layout: store.layout().clone(),
                ..SessionConfig::default()
            })?;
        let now = manager.clock().now();
        // A session that carries a share may not outlive it (the node refuses such a chain
        // as `attenuation_violated`): end it with the earliest share.
        let mut until = now + ttl;
        for s in &profile_shares {
            if let Some(e) = s.expires {
                until = until.min(e);
            }
        }
        let login = manager
            .login_scoped(&requests, scope.caveat.clone(), Some(until))
            .await?;
        Ok::<_, Fail>((login, nodes, now, until))
    })?;
    let (login, nodes, now, expires) = g?;
    let profile = Profile {
        wallet: address,
        nodes: nodes.urls().to_vec(),
        received,
        given: earlier.map(|p| p.given).unwrap_or_default(),
    };
    store.save(&profile)?;
    let abilities: Vec<&str> = scope.abilities.iter().map(|a| a.as_str()).collect();
    if common.json {
        return print_json(&json!({
            "wallet": address.to_checksum(None),
            "sessionKey": login.session_public_key,
            "expires": to_iso_string(expires),
            "folders": scope.folders,
            "abilities": abilities,
            "caveat": scope.caveat,
            "shares": profile_shares.iter().map(|s| json!({
                "id": s.id(), "owner": s.folder.owner().to_checksum(None), "folder": s.folder.path(),
            })).collect::<Vec<_>>(),
            "nodes": profile.nodes,
        }));
    }
    say(&format!(
        "Signed in as {} with one wallet signature. Session key {} until {} ({}).",
        address.to_checksum(None),
        short(&login.session_public_key),
        to_iso_string(expires),
        human::relative(expires - now)
    ))?;
    let mut limits = Vec::new();
    if let Some(v) = scope.caveat.get("max_bytes").and_then(|v| v.as_str()) {
        limits.push(format!(
            "at most {} of traffic",
            human::size(v.parse().unwrap_or(0))
        ));
    }
    if let Some(v) = scope
        .caveat
        .get("max_object_bytes")
        .and_then(|v| v.as_str())
    {
        limits.push(format!(
            "objects up to {}",
            human::size(v.parse().unwrap_or(0))
        ));
    }
    say(&format!(
        "  may: {} on {}{}",
        abilities.join(", "),
        scope.folders.join(", "),
        if limits.is_empty() {
            String::new()
        } else {
            format!(" ({})", limits.join(", "))
        }
    ))?;
    for s in &profile_shares {
        say(&format!(
            "  carries: {}'s share of {} ({})",
            s.folder.owner().to_checksum(None),
            s.folder.path(),
            s.abilities
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    say(&format!("  nodes: {}", profile.nodes.join(" ")))
}

/// `backpack status`.
pub fn status(common: &Common) -> BpResult {
    let s = Session::open(common)?;
    let st = s.client.manager().status()?;
    let health = block_on(s.client.health())?;
    let now = OffsetDateTime::now_utc();
    if common.json {
        return print_json(&json!({
            "wallet": s.profile.wallet.to_checksum(None),
            "session": st,
            "nodes": health,
            "sharesGiven": s.profile.given,
            "sharesReceived": s.profile.received()?.iter().map(|x| json!({
                "id": x.id(), "owner": x.folder.owner().to_checksum(None), "folder": x.folder.path(),
            })).collect::<Vec<_>>(),
        }));
    }
    say(&format!("wallet   {}", s.profile.wallet.to_checksum(None)))?;
    match (&st.session_public_key, &st.auth_sig) {
        (Some(k), Some(a)) => {
            let when = a
                .expiration
                .as_deref()
                .and_then(|e| sessionsig::time::parse_rfc3339(e).ok());
            let state = match when {
                Some(t) if t <= now => format!("ended {}", human::relative(t - now)),
                Some(t) => format!("ends {}", human::relative(t - now)),
                None => "does not expire".into(),
            };
            say(&format!("session  key {}, {state}", short(k)))?;
            for g in &a.grants {
                let cav: Vec<String> = g
                    .caveats
                    .iter()
                    .filter(|c| !c.is_empty())
                    .map(|c| serde_json::Value::Object(c.clone()).to_string())
                    .collect();
                say(&format!(
                    "  may      {} on {}{}",
                    g.recap_ability,
                    g.resource,
                    if cav.is_empty() {
                        String::new()
                    } else {
                        format!(" under {}", cav.join(" or "))
                    }
                ))?;
            }
        }
        _ => say("session  none stored (run `sessionsig backpack login`)")?,
    }
    for h in &health {
        say(&format!(
            "node     {} {} ({})",
            h.node,
            if h.healthy { "healthy" } else { "NOT HEALTHY" },
            h.detail
        ))?;
    }
    say(&format!(
        "shares   {} given, {} received",
        s.profile.given.len(),
        s.profile.received.len()
    ))
}

/// A listed node set, with the network's fresh nonce and nonce rule learnt from a handshake
/// of its nodes, so that a session on a network that requires its own nonces is signed with
/// one; the list itself stays as given. Without an answer (the nodes are not up yet, say) the
/// set is used as it is, with a random nonce, as before.
async fn with_network_nonce(http: &sessionsig_client::reqwest::Client, nodes: NodeSet) -> NodeSet {
    match NodeSet::handshake(http, nodes.urls(), std::time::Duration::from_secs(10)).await {
        Ok((_, hs)) => {
            let with = nodes.with_nonce(sessionsig_client::NetworkNonce {
                value: hs.nonce,
                expires_at: hs.nonce_expires_at,
            });
            match hs.nonce_rule {
                Some(rule) => with.with_nonce_rule(rule),
                None => with,
            }
        }
        Err(_) => nodes,
    }
}
