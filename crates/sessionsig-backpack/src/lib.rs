//! The data backpack: storage where every action is rooted in the user's wallet.
//!
//! A user signs in once (a SIWE + ReCap AuthSig delegating to a session key); the session key
//! then reads and writes `backpack://<owner>/<path>` resources within what was granted —
//! abilities, folders, traffic caps — on any node that shares the store. Sharing is a
//! delegation; revocation is a signed revocation, as for every other sessionsig grant.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod blobs;
pub mod objects;
