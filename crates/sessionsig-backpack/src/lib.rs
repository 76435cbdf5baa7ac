//! The data backpack: storage where every action is rooted in the user's wallet.
//!
//! A user signs in once (a SIWE + ReCap AuthSig delegating to a session key); the session key
//! then reads and writes `backpack://<owner>/<path>` resources within what was granted —
//! abilities, folders, traffic caps — on any node that shares the store. Sharing is a
//! delegation; revocation is a signed revocation, as for every other sessionsig grant.
//!
//! The protocol pieces, each usable on its own by the node, the client and the tests:
//!
//! * [`path`]: backpack paths — decoded once, refused when doubtful, never resolved;
//! * [`resource`]: `backpack://<owner><path>` resources and what covers what;
//! * [`ability`]: `backpack/read|list|write|delete|*` and which request needs which;
//! * [`digest`]: `Content-Digest` (RFC 9530) parsing and streaming sha-256;
//! * [`httpsig`]: HTTP Message Signatures (RFC 9421, ed25519) by the session key;
//! * [`error`]: the crate's one error type, with stable codes and HTTP statuses.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ability;
#[cfg(feature = "server")]
pub mod blobs;
pub mod digest;
pub mod error;
#[cfg(feature = "server")]
pub mod gate;
pub mod httpsig;
#[cfg(feature = "server")]
pub mod objects;
pub mod path;
pub mod resource;
#[cfg(feature = "server")]
pub mod routes;

pub use ability::BackpackAbility;
pub use digest::{ContentDigest, DigestHasher};
pub use error::{Error, Result};
pub use httpsig::{RequestSignaturePolicy, VerifiedRequestSignature};
pub use path::{BackpackPath, PathError};
pub use resource::BackpackResource;
