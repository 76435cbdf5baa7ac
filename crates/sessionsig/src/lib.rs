//! # sessionsig
//!
//! Session keys and session signatures: a wallet signs one Sign-In with Ethereum (EIP-4361)
//! message carrying ReCap (ERC-5573) capabilities that delegate scoped, expiring rights to an
//! ephemeral ed25519 session key; the session key then signs each request once per node, and a
//! node verifies the whole chain offline. Wire-compatible with Lit Protocol's SessionSigs.
//!
//! This crate is the core: formats, signing and verification. It does no I/O, no networking and
//! no async work; time is always injected (see [`time::Clock`]).
//!
//! Modules, in the order data flows through them:
//! - [`siwe`]: EIP-4361 messages (exact-bytes parser, formatter, EIP-191 verification).
//! - [`recap`]: ERC-5573 capability objects (JCS encoding, statement text, merge, coverage).
//! - [`lit`]: Lit resources and abilities, the ReCap mapping, PKP ids, access-control hashing.
//! - [`wallet`]: a local secp256k1 wallet that signs EIP-191 messages.
//! - [`auth_sig`]: AuthSigs (a wallet-signed SIWE) — creation and verification.
//! - [`session`]: session keys and per-node SessionSigs (v7 and v8 wire forms).
//! - [`verify`]: the node-side verifier, `UnverifiedSessionSig` → `VerifiedSession`.
//! - [`wire`]: the JSON bodies node and client exchange (handshake, authorize, errors).
//!
//! ## The whole flow
//!
//! ```
//! use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
//! use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
//! use sessionsig::recap::{Capability, Caveat};
//! use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
//! use sessionsig::time::{Duration, FixedClock, OffsetDateTime, Timestamp};
//! use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
//! use sessionsig::wallet::LocalWallet;
//!
//! # fn main() -> Result<(), sessionsig::Error> {
//! let now = OffsetDateTime::now_utc();
//! let wallet = LocalWallet::random();
//! let session = SessionKeyPair::generate();
//!
//! // The wallet signs once: PKP signing, for one hour, delegated to the session key.
//! let mut grant = Capability::new();
//! grant.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])?;
//! let auth_sig = AuthSig::create(&wallet, &SiweRecapParams {
//!     domain: "localhost".into(),
//!     uri: SiweRecapParams::session_uri(&session.public_hex()),
//!     statement: None,
//!     nonce: "0123456789abcdef".into(),
//!     chain_id: 1,
//!     issued_at: Timestamp::from_instant(now),
//!     expiration: Some(Timestamp::from_instant(now + Duration::hours(1))),
//!     not_before: None,
//!     capability: grant,
//! })?;
//!
//! // The session key signs for each node.
//! let pkp = LitResource::parse("lit-pkp://*")?;
//! let requests = [ResourceAbilityRequest::new(pkp.clone(), LitAbility::PkpSigning)?];
//! let sigs = session.sign_session_sigs(
//!     &SessionSigParams {
//!         requests: &requests,
//!         capabilities: &[auth_sig],
//!         issued_at: now,
//!         expiration: now + Duration::minutes(5),
//!         format: WireFormat::V7,
//!     },
//!     &["https://127.0.0.1:7470", "https://127.0.0.1:7471"],
//! )?;
//!
//! // A node verifies its own entry offline.
//! let verifier = Verifier::new("https://127.0.0.1:7470", Policy::default(), FixedClock(now))?;
//! let mine = UnverifiedSessionSig::parse(&sigs.get("https://127.0.0.1:7470").unwrap().to_json())?;
//! let session_ok = verifier.verify(&mine, &Request::operation(pkp, LitAbility::PkpSigning))?;
//! assert_eq!(session_ok.owner(), sessionsig::wallet::WalletSigner::address(&wallet));
//!
//! // The neighbour's entry is refused here: a node cannot replay it.
//! let theirs = UnverifiedSessionSig::from(sigs.get("https://127.0.0.1:7471").unwrap().clone());
//! assert_eq!(verifier.verify(&theirs, &Request::any()).unwrap_err().code(), "wrong_node");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth_sig;
pub mod error;
pub mod lit;
pub mod recap;
pub mod session;
pub mod siwe;
pub mod time;
pub mod url;
pub mod verify;
pub mod wallet;
pub mod wire;

pub use error::{Error, ErrorKind, Result};
