//! The session manager: SessionSigs on demand, the wallet asked only when it must.

use crate::error::{ClientError, Result};
use crate::http::{FanOut, FanOutOutcome};
use crate::nodes::NodeSet;
use crate::policy::{
    decide, grant_for, CheckedAuthSig, ResignCheck, ResignReason, SessionConfig, Stored,
};
use crate::status::{status_for, SessionStatus};
use crate::storage::Storage;
use crate::wallet::{SignRequest, WalletProvider};
use alloy_primitives::Address;
use serde_json::{Map, Value};
use sessionsig::auth_sig::{AuthSig, SiweRecapParams, DERIVED_VIA_PERSONAL_SIGN};
use sessionsig::lit::ResourceAbilityRequest;
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, SessionSigs, WireFormat};
use sessionsig::time::{to_iso_string, Clock, OffsetDateTime, SystemClock, Timestamp};
use std::sync::{Arc, RwLock};

/// What a caller asks SessionSigs for.
#[derive(Debug, Clone)]
pub struct SessionRequest {
    /// The resources and abilities (at least one).
    pub requests: Vec<ResourceAbilityRequest>,
    /// The SessionSigs' expiration, exactly (to the millisecond, the wire's precision).
    /// `None`: now + [`SessionConfig::session_sig_ttl`].
    pub expiration: Option<OffsetDateTime>,
    /// Wire form (default Lit v7).
    pub format: WireFormat,
    /// Other AuthSigs to carry before the session AuthSig (e.g. a capacity delegation).
    pub extra_capabilities: Vec<AuthSig>,
}

impl SessionRequest {
    /// A v7 request for `requests`, default expiration, no extra capability.
    pub fn new(requests: Vec<ResourceAbilityRequest>) -> Self {
        SessionRequest {
            requests,
            expiration: None,
            format: WireFormat::V7,
            extra_capabilities: Vec::new(),
        }
    }

    /// Set the exact expiration.
    pub fn expiration(mut self, at: OffsetDateTime) -> Self {
        self.expiration = Some(at);
        self
    }

    /// Set the wire form.
    pub fn format(mut self, format: WireFormat) -> Self {
        self.format = format;
        self
    }

    /// Add an AuthSig to carry before the session AuthSig.
    pub fn with_capability(mut self, auth_sig: AuthSig) -> Self {
        self.extra_capabilities.push(auth_sig);
        self
    }
}

/// The result of [`SessionManager::login`].
#[derive(Debug, Clone)]
pub struct Login {
    /// The session AuthSig now stored.
    pub auth_sig: AuthSig,
    /// The session public key it delegates to.
    pub session_public_key: String,
    /// Why the wallet signed, or `None` when the stored AuthSig was reused.
    pub signed: Option<ResignReason>,
}

/// The state loaded for one wallet address.
struct Loaded {
    address: Address,
    key: Arc<SessionKeyPair>,
    key_hex: String,
    auth: Slot,
}

enum Slot {
    Missing,
    Unusable(String),
    Checked(Arc<CheckedAuthSig>),
}

impl Slot {
    fn as_stored(&self) -> Stored<'_> {
        match self {
            Slot::Missing => Stored::Missing,
            Slot::Unusable(code) => Stored::Unusable(code),
            Slot::Checked(a) => Stored::Checked(a),
        }
    }
}

struct Authorized {
    key: Arc<SessionKeyPair>,
    auth: Arc<CheckedAuthSig>,
    signed: Option<ResignReason>,
}

/// Returns SessionSigs for the requested resources and abilities, asking the wallet only when
/// the stored AuthSig cannot be reused (see [`crate::policy`] for the rules).
///
/// * The session key is created once, **stored before** any AuthSig delegates to it, and
///   reused across requests and process restarts (with a persistent [`Storage`]).
/// * Concurrent callers share one wallet prompt: the decision and the prompt happen under one
///   async lock; the per-node signing happens outside it.
/// * The outer SessionSig expiration is exactly the one asked (milliseconds). If it is past the
///   stored AuthSig's expiration, the wallet signs a new AuthSig that lasts until then (at
///   least [`SessionConfig::auth_sig_ttl`]); a request past `now +`
///   [`SessionConfig::max_auth_sig_ttl`] fails with [`ClientError::ExpirationTooFar`] before
///   any prompt. A SessionSig is never silently shortened, and never outlives its AuthSig.
/// * Before prompting, the store is read again: an AuthSig another process just stored is
///   reused instead of asking twice.
pub struct SessionManager {
    wallet: Arc<dyn WalletProvider>,
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    config: SessionConfig,
    nodes: RwLock<Arc<NodeSet>>,
    /// Where [`SessionManager::refresh_nodes`] last found the network: asked again for a
    /// fresh nonce when the network requires one and the known one has expired.
    seeds: RwLock<Option<Arc<Seeds>>>,
    state: tokio::sync::Mutex<Option<Loaded>>,
}

/// The HTTP client, seeds and timeout of the last handshake.
struct Seeds {
    client: reqwest::Client,
    urls: Vec<String>,
    timeout: std::time::Duration,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("wallet", &self.wallet.address())
            .field("config", &self.config)
            .field("nodes", &self.nodes())
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager with the default [`SessionConfig`] and the system clock.
    pub fn new(
        wallet: impl WalletProvider + 'static,
        storage: impl Storage + 'static,
        nodes: NodeSet,
    ) -> Self {
        SessionManager {
            wallet: Arc::new(wallet),
            storage: Arc::new(storage),
            clock: Arc::new(SystemClock),
            config: SessionConfig::default(),
            nodes: RwLock::new(Arc::new(nodes)),
            seeds: RwLock::new(None),
            state: tokio::sync::Mutex::new(None),
        }
    }

    /// Replace the configuration.
    ///
    /// Errors: [`ClientError::InvalidConfig`] (see [`SessionConfig::validate`]).
    pub fn with_config(mut self, config: SessionConfig) -> Result<Self> {
        config.validate()?;
        self.config = config;
        self.state = tokio::sync::Mutex::new(None);
        Ok(self)
    }

    /// Use `clock` for every time decision (tests, replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The current node set.
    pub fn nodes(&self) -> Arc<NodeSet> {
        match self.nodes.read() {
            Ok(n) => n.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replace the node set (e.g. after a new handshake).
    pub fn set_nodes(&self, nodes: NodeSet) {
        match self.nodes.write() {
            Ok(mut n) => *n = Arc::new(nodes),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(nodes),
        }
    }

    /// Ask the seeds for the network (see [`NodeSet::handshake`]) and use it. The manager
    /// remembers the seeds: when the network requires its own nonce (`requireNetworkNonce`)
    /// and the wallet must sign after the handshake's nonce expired, it asks them again for a
    /// fresh nonce first (keeping the node list in use).
    ///
    /// Errors: [`ClientError::Handshake`], [`ClientError::Timeout`].
    pub async fn refresh_nodes<S: AsRef<str>>(
        &self,
        client: &reqwest::Client,
        seeds: &[S],
        timeout: std::time::Duration,
    ) -> Result<crate::nodes::Handshake> {
        let (set, hs) = NodeSet::handshake(client, seeds, timeout).await?;
        self.set_nodes(set);
        let remembered = Arc::new(Seeds {
            client: client.clone(),
            urls: seeds.iter().map(|s| s.as_ref().to_owned()).collect(),
            timeout,
        });
        match self.seeds.write() {
            Ok(mut s) => *s = Some(remembered),
            Err(poisoned) => *poisoned.into_inner() = Some(remembered),
        }
        Ok(hs)
    }

    /// The nonce for the SIWE message of a new AuthSig — a session's, a share's
    /// ([`ShareSpec::nonce`](crate::backpack::ShareSpec::nonce)) or a revocation's: the
    /// network's fresh nonce when one is known (a new handshake first when the network
    /// requires one and it expired), else 32 random hex characters.
    ///
    /// Errors: [`ClientError::NoNetworkNonce`] when the network requires its nonce and this
    /// manager cannot ask for one; the handshake's errors.
    pub async fn nonce_for_signing(&self, now: OffsetDateTime) -> Result<String> {
        let nodes = self.nodes();
        if let Some(n) = nodes.fresh_nonce(now) {
            return Ok(n.to_owned());
        }
        if nodes.nonce_rule().is_none() {
            return Ok(random_nonce());
        }
        let seeds = match self.seeds.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let Some(seeds) = seeds else {
            return Err(ClientError::NoNetworkNonce(
                "the node set was not found by a handshake this manager can repeat".into(),
            ));
        };
        // Only the nonce (and the network's rule) is taken: the node list stays the one in
        // use, which the caller may have set after the first handshake.
        let (_, hs) = NodeSet::handshake(&seeds.client, &seeds.urls, seeds.timeout).await?;
        let mut set = (*self.nodes())
            .clone()
            .with_nonce(crate::nodes::NetworkNonce {
                value: hs.nonce,
                expires_at: hs.nonce_expires_at,
            });
        if let Some(rule) = hs.nonce_rule {
            set = set.with_nonce_rule(rule);
        }
        self.set_nodes(set);
        self.nodes()
            .fresh_nonce(self.clock.now())
            .map(str::to_owned)
            .ok_or_else(|| {
                ClientError::NoNetworkNonce("the handshake's nonce is already expired".into())
            })
    }

    /// SessionSigs for every node of the node set. See [`SessionManager::session_sigs_for`].
    pub async fn session_sigs(&self, request: &SessionRequest) -> Result<SessionSigs> {
        let nodes = self.nodes();
        self.session_sigs_for(request, nodes.urls()).await
    }

    /// SessionSigs for `nodes` (one per node, keyed by the URL), reusing the stored AuthSig
    /// when the rules allow and asking the wallet once otherwise.
    ///
    /// Errors: [`ClientError::NoNodes`], [`ClientError::NoRequests`],
    /// [`ClientError::InvalidExpiration`], [`ClientError::ExpirationTooFar`], the wallet's
    /// errors, storage errors, and the core's signing errors.
    pub async fn session_sigs_for<S: AsRef<str>>(
        &self,
        request: &SessionRequest,
        nodes: &[S],
    ) -> Result<SessionSigs> {
        if nodes.is_empty() {
            return Err(ClientError::NoNodes);
        }
        let start = self.clock.now();
        let expiration = millis(
            request
                .expiration
                .unwrap_or(start + self.config.session_sig_ttl),
        );
        let auth = self.authorize(&request.requests, expiration, false).await?;
        let mut capabilities = Vec::with_capacity(request.extra_capabilities.len() + 1);
        capabilities.extend(request.extra_capabilities.iter().cloned());
        capabilities.push(auth.auth.auth_sig.clone());
        let params = SessionSigParams {
            requests: &request.requests,
            capabilities: &capabilities,
            issued_at: self.clock.now(),
            expiration,
            format: request.format,
        };
        Ok(auth.key.sign_session_sigs(&params, nodes)?)
    }

    /// SessionSigs for the node set, then `POST <node><path>` to every node with its own
    /// SessionSig (see [`FanOut::post_json`]).
    pub async fn post_json(
        &self,
        request: &SessionRequest,
        fan_out: &FanOut,
        path: &str,
        body: &Map<String, Value>,
    ) -> Result<FanOutOutcome> {
        let sigs = self.session_sigs(request).await?;
        fan_out.post_json(path, body, &sigs).await
    }

    /// Make sure a stored AuthSig grants `requests` (prompting the wallet at most once) and,
    /// when `expiration` is given, lasts until then: a new AuthSig then expires exactly at
    /// `expiration`. Without it, a stored AuthSig valid now is kept and a new one lasts
    /// [`SessionConfig::auth_sig_ttl`].
    pub async fn login(
        &self,
        requests: &[ResourceAbilityRequest],
        expiration: Option<OffsetDateTime>,
    ) -> Result<Login> {
        let (until, exact) = match expiration {
            Some(t) => (millis(t), true),
            None => (
                millis(self.clock.now() + self.config.session_sig_ttl),
                false,
            ),
        };
        let a = self.authorize(requests, until, exact).await?;
        Ok(Login {
            auth_sig: a.auth.auth_sig.clone(),
            session_public_key: a.key.public_hex(),
            signed: a.signed,
        })
    }

    /// What a request for `requests` until `until` would do now: `None` = reuse the stored
    /// AuthSig, `Some(reason)` = ask the wallet. Never prompts.
    pub async fn check(
        &self,
        requests: &[ResourceAbilityRequest],
        until: OffsetDateTime,
    ) -> Result<Option<ResignReason>> {
        let address = self.wallet.address();
        let mut guard = self.state.lock().await;
        let loaded = self.loaded_for(&mut guard, address)?;
        let check = ResignCheck {
            now: self.clock.now(),
            margin: self.config.resign_margin,
            address,
            session_key: &loaded.key_hex,
            requests,
            until: millis(until),
            nonce_rule: self.nodes().nonce_rule(),
        };
        Ok(decide(loaded.auth.as_stored(), &check))
    }

    /// Forget the wallet's AuthSig (in memory and in the store), and the session key too when
    /// `forget_session_key`. The next request asks the wallet again.
    pub async fn disconnect(&self, forget_session_key: bool) -> Result<()> {
        let address = self.wallet.address();
        let mut guard = self.state.lock().await;
        *guard = None;
        self.storage
            .remove(&self.config.layout.wallet_sig(address))?;
        if forget_session_key {
            self.storage
                .remove(&self.config.layout.session_key(address))?;
        }
        Ok(())
    }

    /// What is stored for the wallet's current address, read from the store.
    pub fn status(&self) -> Result<SessionStatus> {
        status_for(
            self.storage.as_ref(),
            &self.config.layout,
            Some(self.wallet.address()),
            self.clock.now(),
        )
    }

    /// Sign in again, now, granting exactly `requests` with `caveat` on every grant (e.g.
    /// `max_bytes`, `max_object_bytes`): a session the user narrowed on purpose. Unlike
    /// [`SessionManager::login`], nothing previously granted is kept and a stored AuthSig is
    /// never reused, because narrowing must not silently keep wider rights. The AuthSig
    /// expires at `expiration` exactly, or after [`SessionConfig::auth_sig_ttl`].
    ///
    /// Errors: as [`SessionManager::login`]; the core's errors for a caveat it cannot encode.
    pub async fn login_scoped(
        &self,
        requests: &[ResourceAbilityRequest],
        caveat: Caveat,
        expiration: Option<OffsetDateTime>,
    ) -> Result<Login> {
        if requests.is_empty() {
            return Err(ClientError::NoRequests);
        }
        let now = self.clock.now();
        let (until, exact) = match expiration {
            Some(t) => (millis(t), true),
            None => (millis(now + self.config.auth_sig_ttl), true),
        };
        self.check_until(now, until, exact)?;
        let mut capability = Capability::new();
        for r in requests {
            capability.add_lit_grant(&r.resource, r.ability, caveat.clone())?;
        }
        let address = self.wallet.address();
        let mut guard = self.state.lock().await;
        let loaded = self.loaded_for(&mut guard, address)?;
        let auth = self
            .resign(
                loaded,
                address,
                capability,
                until,
                exact,
                now,
                ResignReason::Requested,
            )
            .await?;
        Ok(Login {
            auth_sig: auth.auth_sig.clone(),
            session_public_key: loaded.key.public_hex(),
            signed: Some(ResignReason::Requested),
        })
    }

    /// The session key and the session AuthSig to sign with until `until`, asking the wallet
    /// only under the re-sign rules (as [`SessionManager::session_sigs_for`]).
    pub(crate) async fn authorized_key(
        &self,
        requests: &[ResourceAbilityRequest],
        until: OffsetDateTime,
    ) -> Result<(Arc<SessionKeyPair>, AuthSig)> {
        let a = self.authorize(requests, until, false).await?;
        Ok((a.key, a.auth.auth_sig.clone()))
    }

    /// The stored session as it is — never asking the wallet, whatever it grants — so that
    /// a narrowed session stays narrow and the node, not the client, judges each request.
    /// Returns the key, the AuthSig and when it ends.
    ///
    /// Errors: [`ClientError::NoSession`] when nothing usable is stored for the wallet or it
    /// has ended.
    pub(crate) async fn stored_key(
        &self,
    ) -> Result<(Arc<SessionKeyPair>, AuthSig, Option<OffsetDateTime>)> {
        let address = self.wallet.address();
        let mut guard = self.state.lock().await;
        // Always read the store again: `login` may have run in another process.
        *guard = None;
        let loaded = self.loaded_for(&mut guard, address)?;
        let auth = match &loaded.auth {
            Slot::Checked(a) => a.clone(),
            Slot::Missing => {
                return Err(ClientError::NoSession(
                    "nothing is stored for this wallet".into(),
                ))
            }
            Slot::Unusable(code) => {
                return Err(ClientError::NoSession(format!(
                    "the stored AuthSig is unusable ({code})"
                )))
            }
        };
        if auth.session_key.as_deref() != Some(loaded.key_hex.as_str()) {
            return Err(ClientError::NoSession(
                "the stored AuthSig delegates to another session key".into(),
            ));
        }
        if let Some(exp) = auth.expires_at() {
            if exp <= self.clock.now() {
                return Err(ClientError::NoSession(format!(
                    "the session ended at {}",
                    to_iso_string(exp)
                )));
            }
        }
        Ok((loaded.key.clone(), auth.auth_sig.clone(), auth.expires_at()))
    }

    /// The wallet this manager signs for.
    pub fn wallet(&self) -> &Arc<dyn WalletProvider> {
        &self.wallet
    }

    /// The clock this manager decides with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    // ------------------------------------------------------------------ internals

    fn check_until(&self, now: OffsetDateTime, until: OffsetDateTime, exact: bool) -> Result<()> {
        if until <= now {
            return Err(ClientError::InvalidExpiration(format!(
                "{} is not in the future",
                to_iso_string(until)
            )));
        }
        if exact && until <= now + self.config.resign_margin {
            return Err(ClientError::InvalidExpiration(format!(
                "{} is within the re-sign margin ({} s)",
                to_iso_string(until),
                self.config.resign_margin.whole_seconds()
            )));
        }
        let max = now + self.config.max_auth_sig_ttl;
        if until > max {
            return Err(ClientError::ExpirationTooFar {
                asked: to_iso_string(until),
                max: to_iso_string(max),
            });
        }
        Ok(())
    }

    async fn authorize(
        &self,
        requests: &[ResourceAbilityRequest],
        until: OffsetDateTime,
        exact: bool,
    ) -> Result<Authorized> {
        if requests.is_empty() {
            return Err(ClientError::NoRequests);
        }
        self.check_until(self.clock.now(), until, exact)?;
        let address = self.wallet.address();
        let mut guard = self.state.lock().await;
        // The lock may have been held through another caller's wallet prompt: read the time
        // again.
        let now = self.clock.now();
        if let Some(a) = self.reusable(&mut guard, address, now, requests, until)? {
            return Ok(a);
        }
        // Another process sharing the store may have signed meanwhile: look before asking.
        *guard = None;
        let reason = {
            let loaded = self.loaded_for(&mut guard, address)?;
            let check = ResignCheck {
                now,
                margin: self.config.resign_margin,
                address,
                session_key: &loaded.key_hex,
                requests,
                until,
                nonce_rule: self.nodes().nonce_rule(),
            };
            match (decide(loaded.auth.as_stored(), &check), &loaded.auth) {
                (None, Slot::Checked(a)) => {
                    return Ok(Authorized {
                        key: loaded.key.clone(),
                        auth: a.clone(),
                        signed: None,
                    })
                }
                (Some(reason), _) => reason,
                (None, _) => ResignReason::Missing,
            }
        };
        let loaded = self.loaded_for(&mut guard, address)?;
        let base = match &loaded.auth {
            Slot::Checked(a) if self.config.keep_previous_grants && a.address() == address => {
                a.capability.as_ref()
            }
            _ => None,
        };
        let capability = grant_for(requests, self.config.grant, base)?;
        let auth = self
            .resign(
                loaded,
                address,
                capability,
                until,
                exact,
                now,
                reason.clone(),
            )
            .await?;
        Ok(Authorized {
            key: loaded.key.clone(),
            auth,
            signed: Some(reason),
        })
    }

    /// The cached state when it can be reused as is.
    fn reusable(
        &self,
        guard: &mut Option<Loaded>,
        address: Address,
        now: OffsetDateTime,
        requests: &[ResourceAbilityRequest],
        until: OffsetDateTime,
    ) -> Result<Option<Authorized>> {
        let loaded = self.loaded_for(guard, address)?;
        let Slot::Checked(auth) = &loaded.auth else {
            return Ok(None);
        };
        let check = ResignCheck {
            now,
            margin: self.config.resign_margin,
            address,
            session_key: &loaded.key_hex,
            requests,
            until,
            nonce_rule: self.nodes().nonce_rule(),
        };
        Ok(decide(Stored::Checked(auth), &check)
            .is_none()
            .then(|| Authorized {
                key: loaded.key.clone(),
                auth: auth.clone(),
                signed: None,
            }))
    }

    /// The loaded state for `address`, loading it from the store when absent or for another
    /// address.
    fn loaded_for<'g>(
        &self,
        guard: &'g mut Option<Loaded>,
        address: Address,
    ) -> Result<&'g mut Loaded> {
        if guard.as_ref().is_none_or(|l| l.address != address) {
            *guard = Some(self.load(address)?);
        }
        match guard.as_mut() {
            Some(l) => Ok(l),
            None => Err(ClientError::storage(
                "session",
                "session state was not loaded",
            )),
        }
    }

    fn load(&self, address: Address) -> Result<Loaded> {
        let layout = &self.config.layout;
        let key_name = layout.session_key(address);
        let stored_key = self
            .storage
            .get(&key_name)?
            .and_then(|v| SessionKeyPair::from_json(&v).ok());
        let key = match stored_key {
            Some(k) => k,
            None => {
                // Persist the key before any AuthSig can delegate to it: a key lost between
                // signing and use is the Lit SDK's most common Node.js failure.
                let k = SessionKeyPair::generate();
                self.storage.set(&key_name, &k.to_json_v7())?;
                k
            }
        };
        let auth = match self.storage.get(&layout.wallet_sig(address))? {
            None => Slot::Missing,
            Some(v) if v.trim().is_empty() => Slot::Missing,
            Some(v) => match AuthSig::from_json(&v).and_then(CheckedAuthSig::check) {
                Ok(c) => Slot::Checked(Arc::new(c)),
                Err(e) => Slot::Unusable(e.code().to_owned()),
            },
        };
        Ok(Loaded {
            address,
            key_hex: key.public_hex(),
            key: Arc::new(key),
            auth,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn resign(
        &self,
        loaded: &mut Loaded,
        address: Address,
        capability: Capability,
        until: OffsetDateTime,
        exact: bool,
        now: OffsetDateTime,
        reason: ResignReason,
    ) -> Result<Arc<CheckedAuthSig>> {
        let auth_expiration = if exact {
            until
        } else {
            until.max(millis(now + self.config.auth_sig_ttl))
        };
        let nonce = self.nonce_for_signing(now).await?;
        let params = SiweRecapParams {
            domain: self.config.domain.clone(),
            uri: SiweRecapParams::session_uri(&loaded.key_hex),
            statement: self.config.statement.clone(),
            nonce,
            chain_id: self.config.chain_id,
            issued_at: Timestamp::from_instant(now),
            expiration: Some(Timestamp::from_instant(auth_expiration)),
            not_before: None,
            capability,
        };
        let request = SignRequest {
            address,
            message: params.to_siwe(address)?.to_message(),
            reason,
        };
        let signature = match self.config.wallet_timeout {
            Some(t) => tokio::time::timeout(t, self.wallet.sign_siwe(&request))
                .await
                .map_err(|_| ClientError::WalletTimeout(t.as_secs()))??,
            None => self.wallet.sign_siwe(&request).await?,
        };
        let auth = AuthSig {
            sig: normalize_signature(&signature)?,
            derived_via: DERIVED_VIA_PERSONAL_SIGN.to_owned(),
            signed_message: request.message,
            address: address.to_checksum(None),
            algo: None,
        };
        let checked = Arc::new(
            CheckedAuthSig::check(auth)
                .map_err(|e| ClientError::WalletBadSignature(e.to_string()))?,
        );
        // Keep it in memory even if the store fails below: a retry then needs no new prompt.
        loaded.auth = Slot::Checked(checked.clone());
        self.storage.set(
            &self.config.layout.wallet_sig(address),
            &checked.auth_sig.to_json(),
        )?;
        Ok(checked)
    }
}

/// `0x` + 130 lowercase hex, from what a wallet returned (with or without `0x`, any case,
/// surrounding whitespace).
pub(crate) fn normalize_signature(sig: &str) -> Result<String> {
    let s = sig.trim();
    let hex_part = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if hex_part.len() != 130 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ClientError::WalletBadSignature(format!(
            "expected 65 bytes as 130 hex characters, got {} characters",
            hex_part.len()
        )));
    }
    Ok(format!("0x{}", hex_part.to_ascii_lowercase()))
}

/// The instant truncated to the millisecond (the precision of every timestamp on the wire).
pub(crate) fn millis(t: OffsetDateTime) -> OffsetDateTime {
    Timestamp::from_instant(t).instant()
}

/// 32 random hex characters (a valid SIWE nonce).
fn random_nonce() -> String {
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    hex::encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_normalized() {
        let h = "Ab".repeat(65);
        assert_eq!(
            normalize_signature(&format!(" 0x{h}\n")).unwrap(),
            format!("0x{}", h.to_lowercase())
        );
        assert_eq!(
            normalize_signature(&h).unwrap(),
            format!("0x{}", h.to_lowercase())
        );
        assert_eq!(
            normalize_signature("0x1234").unwrap_err().code(),
            "wallet_bad_signature"
        );
        assert_eq!(
            normalize_signature(&format!("0x{}", "zz".repeat(65)))
                .unwrap_err()
                .code(),
            "wallet_bad_signature"
        );
        let n = random_nonce();
        assert_eq!(n.len(), 32);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
