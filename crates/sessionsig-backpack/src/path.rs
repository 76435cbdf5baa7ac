//! Backpack paths: refused, never resolved or normalised. The rules live in the core
//! ([`sessionsig::lit::BackpackPath`]) because the verifier decides folder coverage with them;
//! this module re-exports them for the service and its clients.

pub use sessionsig::lit::{
    BackpackPath, PathError, MAX_PATH_BYTES, MAX_RAW_PATH_BYTES, MAX_SEGMENT_BYTES,
};
