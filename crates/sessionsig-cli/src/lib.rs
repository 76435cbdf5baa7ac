//! The `sessionsig` commands, shared by the two programs that run them: `sessionsig`, which
//! runs `verify` itself and hands every other command to `sessionsig-full` (see [`companion`]),
//! and `sessionsig-full`, which runs them all. The modules are public for those two programs;
//! they are not a library API (the core, `sessionsig`, is).
//!
//! JSON goes to stdout, errors to stderr. Exit 0 on success, 1 on invalid input or a failed
//! verification, 2 on a usage error.
#![forbid(unsafe_code)]

pub mod args;
pub mod cmd_auth_sig;
pub mod cmd_backpack;
mod cmd_backpack_files;
mod cmd_backpack_output;
mod cmd_backpack_profile;
mod cmd_backpack_session;
mod cmd_backpack_sharing;
pub mod cmd_demo;
pub mod cmd_keygen;
pub mod cmd_network;
pub mod cmd_node;
pub mod cmd_recap;
pub mod cmd_revoke;
pub mod cmd_session;
pub mod cmd_session_sigs;
pub mod cmd_siwe;
pub mod cmd_verify;
pub mod companion;
pub mod error;
pub mod exit;
pub mod io;
pub mod verify_alone;
pub mod verify_output;
