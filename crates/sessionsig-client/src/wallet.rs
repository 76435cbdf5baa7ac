//! Wallets as the session manager sees them: something with a current address that can be
//! asked, asynchronously, to sign one SIWE text.
//!
//! * [`LocalWallet`] (the core's in-memory secp256k1 key) signs at once.
//! * [`CallbackWallet`] hands the SIWE text to an application callback — the Lit SDK's
//!   `authNeededCallback` — which returns the signature (a browser wallet, a KMS, a hardware
//!   wallet, a prompt on another device).
//! * [`ReadOnlyWallet`] knows an address but cannot sign: a session that must live on what is
//!   already stored (the CLI's `session sigs`). Asking it to sign is
//!   [`ClientError::WalletRequired`].
//!
//! The trait returns a boxed future ([`BoxFuture`]) so it is object-safe and needs no
//! `async_trait` macro.

use crate::error::{BoxError, ClientError, Result};
use crate::policy::ResignReason;
use alloy_primitives::Address;
use sessionsig::wallet::{LocalWallet, WalletSigner};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

/// A boxed, sendable future (what [`WalletProvider::sign_siwe`] returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the session manager asks a wallet to sign.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The address that must sign (the wallet's current address when the request was made).
    pub address: Address,
    /// The exact SIWE text to sign with EIP-191 `personal_sign`. It states, in its statement,
    /// everything the session key will be allowed to do.
    pub message: String,
    /// Why a signature is needed now (first sign-in, expiry, a new resource, …).
    pub reason: ResignReason,
}

/// A wallet the session manager can prompt.
pub trait WalletProvider: Send + Sync {
    /// The account currently selected in the wallet. Asked on every request, so a wallet
    /// whose user switches accounts is noticed at once.
    fn address(&self) -> Address;

    /// Sign `request.message` with EIP-191 for `request.address`; return the 65-byte
    /// `r || s || v` signature as `0x` + 130 hex characters. The manager checks the signature
    /// before using it.
    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>>;
}

impl WalletProvider for LocalWallet {
    fn address(&self) -> Address {
        WalletSigner::address(self)
    }

    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            if request.address != WalletSigner::address(self) {
                return Err(ClientError::WalletRejected(format!(
                    "asked to sign for {}, this wallet is {}",
                    request.address.to_checksum(None),
                    WalletSigner::address(self).to_checksum(None)
                )));
            }
            let sig = self.sign_message(request.message.as_bytes())?;
            Ok(format!("0x{}", hex::encode(sig)))
        })
    }
}

impl<T: WalletProvider + ?Sized> WalletProvider for Arc<T> {
    fn address(&self) -> Address {
        (**self).address()
    }

    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>> {
        (**self).sign_siwe(request)
    }
}

impl<T: WalletProvider + ?Sized> WalletProvider for Box<T> {
    fn address(&self) -> Address {
        (**self).address()
    }

    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>> {
        (**self).sign_siwe(request)
    }
}

/// A wallet whose signing is an application callback (the Lit SDK's `authNeededCallback`):
/// the callback receives the [`SignRequest`] (with the SIWE text) and returns the signature as
/// `0x` + 130 hex.
///
/// ```no_run
/// # use sessionsig_client::wallet::CallbackWallet;
/// # let address = alloy_primitives::Address::ZERO;
/// let wallet = CallbackWallet::new(address, |req| async move {
///     // show req.message to the user, ask their wallet for personal_sign…
///     Ok::<String, sessionsig_client::BoxError>(String::from("0x…"))
/// });
/// ```
pub struct CallbackWallet<F> {
    address: RwLock<Address>,
    callback: F,
}

impl<F, Fut> CallbackWallet<F>
where
    F: Fn(SignRequest) -> Fut + Send + Sync,
    Fut: Future<Output = std::result::Result<String, BoxError>> + Send + 'static,
{
    /// A callback wallet whose current account is `address`.
    pub fn new(address: Address, callback: F) -> Self {
        CallbackWallet {
            address: RwLock::new(address),
            callback,
        }
    }

    /// Tell the wallet the user switched accounts (e.g. on an `accountsChanged` event). The
    /// next request notices and asks the new account to sign.
    pub fn set_address(&self, address: Address) {
        match self.address.write() {
            Ok(mut a) => *a = address,
            Err(poisoned) => *poisoned.into_inner() = address,
        }
    }
}

impl<F, Fut> WalletProvider for CallbackWallet<F>
where
    F: Fn(SignRequest) -> Fut + Send + Sync,
    Fut: Future<Output = std::result::Result<String, BoxError>> + Send + 'static,
{
    fn address(&self) -> Address {
        match self.address.read() {
            Ok(a) => *a,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>> {
        let fut = (self.callback)(request.clone());
        Box::pin(async move {
            fut.await
                .map_err(|e| ClientError::WalletRejected(e.to_string()))
        })
    }
}

impl<F> fmt::Debug for CallbackWallet<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = match self.address.read() {
            Ok(a) => *a,
            Err(poisoned) => *poisoned.into_inner(),
        };
        f.debug_struct("CallbackWallet")
            .field("address", &address)
            .finish_non_exhaustive()
    }
}

/// A wallet that knows its address but cannot sign: sessions run on the stored AuthSig only,
/// and a request that would need a new signature fails with [`ClientError::WalletRequired`].
#[derive(Debug, Clone, Copy)]
pub struct ReadOnlyWallet {
    address: Address,
}

impl ReadOnlyWallet {
    /// A read-only wallet for `address`.
    pub fn new(address: Address) -> Self {
        ReadOnlyWallet { address }
    }
}

impl WalletProvider for ReadOnlyWallet {
    fn address(&self) -> Address {
        self.address
    }

    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>> {
        let reason = request.reason.to_string();
        Box::pin(async move { Err(ClientError::WalletRequired(reason)) })
    }
}
