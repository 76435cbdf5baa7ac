//! Test fixtures: a real EVM (revm, in-memory state) behind a tiny JSON-RPC-over-HTTP server on
//! 127.0.0.1, the compiled test contracts, and signing helpers.

pub mod evm;
pub mod server;

use alloy_primitives::{Address, B256};
use secp256k1::{Message, SecretKey, SECP256K1};
use serde_json::Value;

/// The chain id the test chain answers to.
pub const CHAIN_ID: u64 = 31337;

/// A compiled contract from `contracts/artifacts/`.
pub struct Artifact {
    /// Creation code.
    pub bytecode: Vec<u8>,
}

/// Load `contracts/artifacts/<name>.json`.
pub fn artifact(name: &str) -> Artifact {
    let path = format!(
        "{}/contracts/artifacts/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    let hex_field = |k: &str| {
        let s = json[k].as_str().unwrap();
        hex::decode(s.strip_prefix("0x").unwrap()).unwrap()
    };
    Artifact {
        bytecode: hex_field("bytecode"),
    }
}

/// One ABI word holding an address.
pub fn word_address(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

/// Calldata: `selector(signature)` followed by static words.
pub fn calldata(signature: &str, words: &[[u8; 32]]) -> Vec<u8> {
    let mut out = alloy_primitives::keccak256(signature.as_bytes())[..4].to_vec();
    for w in words {
        out.extend_from_slice(w);
    }
    out
}

/// An externally owned account that signs raw 32-byte digests (what `ecrecover` checks).
pub struct Key {
    secret: SecretKey,
    /// Its address.
    pub address: Address,
}

impl Key {
    /// The key whose 32 bytes are all `byte`.
    pub fn from_byte(byte: u8) -> Key {
        let secret = SecretKey::from_byte_array([byte; 32]).unwrap();
        let public = secp256k1::PublicKey::from_secret_key(SECP256K1, &secret);
        Key {
            secret,
            address: sessionsig::wallet::address_of(&public),
        }
    }

    /// `r || s || v` (v ∈ {27, 28}) over the digest itself.
    pub fn sign_digest(&self, digest: B256) -> Vec<u8> {
        let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(digest.0), &self.secret);
        let (recid, compact) = sig.serialize_compact();
        let mut out = compact.to_vec();
        out.push(27 + i32::from(recid) as u8);
        out
    }
}
