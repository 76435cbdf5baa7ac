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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth_sig;
pub mod error;
pub mod lit;
pub mod recap;
pub mod session;
pub mod siwe;
pub mod time;
pub mod verify;
pub mod wallet;

pub use error::{Error, Result};
