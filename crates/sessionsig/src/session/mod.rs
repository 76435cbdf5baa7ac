//! Session keys and SessionSigs: the per-node signatures a session key makes.

mod key;
mod message;
mod sig;

pub use key::{SessionKeyPair, SessionPublicKey};
pub use message::{SessionSigMessage, WireFormat, WireRequest, WireResource};
pub use sig::{SessionSig, SessionSigs, SESSION_ALGO, SESSION_DERIVED_VIA};
