//! # sessionsig-client
//!
//! The client side of session keys: **one wallet prompt per session**, then SessionSigs for
//! any number of requests and nodes without touching the wallet again — in a server process as
//! in a browser-like app.
//!
//! ```text
//! SessionManager::session_sigs(request)
//!   ├─ load (once) the session key and the AuthSig from Storage   (MemoryStore, FileStore)
//!   ├─ policy::decide: reuse the AuthSig, or why to re-sign        (missing, invalid, expired,
//!   │                                                               other key, other wallet,
//!   │                                                               not covered, too short)
//!   ├─ re-sign: WalletProvider::sign_siwe(SIWE text)  — one prompt, shared by concurrent callers
//!   └─ sign one SessionSig per node with the session key           (core: sign_session_sigs)
//! FanOut::post_json: each node gets its own SessionSig; answers gathered with a timeout and a
//! threshold of successes. NodeSet::handshake: discover the nodes from a seed node.
//! ```
//!
//! Wallets ([`wallet`]): the core's [`LocalWallet`](sessionsig::wallet::LocalWallet), any async
//! callback ([`CallbackWallet`], the Lit SDK's `authNeededCallback`), or a
//! [`ReadOnlyWallet`] that never signs. Stores ([`storage`]): in memory, or a directory laid out
//! like `node-localstorage` (shareable with the Lit SDK), written atomically, owner-only.
//!
//! Secrets (wallet keys, session secret keys) never appear in `Debug` output, logs or errors.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backpack;
pub mod error;
pub mod http;
pub(crate) mod manager;
pub mod nodes;
pub mod policy;
pub mod status;
pub mod storage;
pub(crate) mod transport;
pub mod wallet;

/// Re-exported: the address type of [`WalletProvider::address`].
pub use alloy_primitives;
/// Re-exported: the HTTP client type of [`FanOut`] and [`NodeSet::handshake`].
pub use reqwest;

pub use backpack::{BackpackClient, BackpackError, Remote, SessionMode};
pub use error::{BoxError, ClientError, NodeFailure, Result};
pub use http::{FanOut, FanOutOutcome, NodeReply, Threshold};
pub use manager::{Login, SessionManager, SessionRequest};
pub use nodes::{Handshake, NetworkNonce, NodeSet, NonceRule};
pub use policy::{GrantScope, ResignReason, SessionConfig};
pub use status::SessionStatus;
pub use storage::{FileStore, KeyLayout, MemoryStore, Storage};
pub use wallet::{BoxFuture, CallbackWallet, ReadOnlyWallet, SignRequest, WalletProvider};

/// Run a future to completion on a new single-threaded Tokio runtime (I/O and timers on): for
/// synchronous programs such as a CLI. Do not call it from inside a Tokio runtime.
///
/// Errors: [`ClientError::InvalidConfig`] when the runtime cannot be created.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::InvalidConfig(format!("cannot start an async runtime: {e}")))?;
    Ok(rt.block_on(future))
}
