//! Shared test helpers: locating and loading `../shared/vectors`.
#![allow(dead_code)]

use std::path::PathBuf;

/// The vectors directory (`SESSIONSIG_VECTORS` overrides).
pub fn vectors_dir() -> PathBuf {
    std::env::var_os("SESSIONSIG_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        })
}

/// Load a JSON vector file.
pub fn load_json(rel: &str) -> serde_json::Value {
    let p = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", p.display()))
}
