//! Session keys and SessionSigs: the per-node signatures a session key makes.

mod create;
mod key;
mod message;
mod sig;

pub use create::SessionSigParams;
pub use key::{SessionKeyPair, SessionPublicKey};
pub use message::{SessionSigMessage, WireFormat, WireRequest, WireResource};
pub use sig::{SessionSig, SessionSigs, SESSION_ALGO, SESSION_DERIVED_VIA};
