//! # sessionsig-rpc
//!
//! Contract wallets for [`sessionsig`]: an AuthSig with `derivedVia: "EIP1271"` (or
//! `"EIP1271_SHA256"`) is signed by a smart-contract wallet, so checking it means asking the
//! wallet's chain. The core does that through its synchronous
//! [`ContractWalletVerifier`](sessionsig::auth_sig::ContractWalletVerifier) trait; this crate
//! implements it over Ethereum JSON-RPC:
//!
//! - **ERC-1271**: an `eth_call` of `isValidSignature(bytes32 digest, bytes signature)` on the
//!   wallet; valid iff it returns the magic value `0x1626ba7e`.
//! - **ERC-6492**: a signature ending in the 32-byte `0x6492…6492` suffix wraps
//!   `(factory, factoryCalldata, innerSignature)` for a wallet that may not be deployed yet.
//!   A deployed wallet is asked about the inner signature; otherwise (or if it says no) the
//!   signature goes to the ERC-6492 off-chain validator: an `eth_call` with no `to` whose data is
//!   the validator's creation code ([`VALIDATE_SIG_OFFCHAIN_CODE`], compiled from
//!   `contracts/src/ValidateSigOffchain.sol`) and `(signer, digest, signature)`, which deploys
//!   the wallet inside the call and asks it — nothing is written to the chain.
//!
//! With the default `http` feature, [`JsonRpcContractWallets`] does this with a small blocking
//! HTTP client (ureq + rustls), one RPC URL per chain id, a hard timeout and a response size
//! cap. Without it, [`abi`] and [`erc6492`] give the encodings for bringing your own transport.
//!
//! ```no_run
//! # #[cfg(feature = "http")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sessionsig::auth_sig::{AuthSig, AuthSigPolicy};
//! use sessionsig_rpc::JsonRpcContractWallets;
//! use std::time::Duration;
//!
//! let rpc = JsonRpcContractWallets::new(
//!     [(1, "https://ethereum-rpc.example/")],
//!     Duration::from_secs(5),
//! )?;
//! # let auth_sig: AuthSig = unimplemented!();
//! let policy = AuthSigPolicy { contract_wallets: Some(&rpc), ..AuthSigPolicy::default() };
//! let verified = auth_sig.verify(sessionsig::time::OffsetDateTime::now_utc(), &policy)?;
//! # Ok(()) }
//! # #[cfg(not(feature = "http"))] fn main() {}
//! ```
//!
//! A node verifier takes it as `Verifier::with_contract_wallets(Arc::new(rpc))`.
//!
//! Every failure is a [`RpcError`]; through the core trait it becomes
//! [`sessionsig::Error::ContractWalletUnavailable`] (code `contract_wallet_unavailable`) when the
//! chain could not be asked ([`RpcError::is_unavailable`]: down, slow, nonsense, wrong chain),
//! else [`sessionsig::Error::ContractWallet`] (code `contract_wallet_invalid`). Error messages never
//! contain the RPC URL (URLs often carry an API key).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod abi;
pub mod erc6492;
mod error;
#[cfg(feature = "http")]
mod http;
mod validator_code;

pub use error::RpcError;
#[cfg(feature = "http")]
pub use http::{JsonRpcContractWallets, DEFAULT_MAX_RESPONSE_BYTES};
pub use validator_code::VALIDATE_SIG_OFFCHAIN_CODE;

/// The largest signature this crate sends to a chain (64 KiB): far above any real wallet's
/// (a 10-owner Safe signature is 650 bytes, an ERC-6492 wrapper adds its factory call), small
/// enough that a hostile AuthSig cannot make the verifier post megabytes.
pub const MAX_SIGNATURE_BYTES: usize = 64 * 1024;
