//! # sessionsig-testchain — test support only
//!
//! Not part of any product and never published: fixtures for the contract-wallet tests of the
//! sessionsig crates (`sessionsig-rpc`, `sessionsig-node`), used as a dev-dependency.
//!
//! * [`evm::Chain`]: a real EVM (revm, in-memory state) — deploy contracts, send transactions,
//!   answer `eth_call`.
//! * [`server::Server`]: a tiny JSON-RPC-over-HTTP server on `127.0.0.1:0` answering
//!   `eth_chainId`, `eth_getCode` and `eth_call` from a [`Chain`](evm::Chain) — or misbehaving
//!   on purpose (down, hanging, garbage, HTTP errors, …) for failure tests.
//! * [`artifact`]: the Solidity contracts compiled in `crates/sessionsig-rpc/contracts/artifacts`
//!   (`OwnedWallet`, `WalletFactory`, `ValidateSigOffchain`), embedded at build time.
//! * [`Key`] (an externally owned account signing raw digests) and [`ContractWalletSigner`]
//!   (an `OwnedWallet` signing SIWE messages through its owner key, for `EIP1271` AuthSigs).
//!
//! Everything here panics with a message when a fixture cannot be set up: it is for tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod evm;
pub mod server;

use alloy_primitives::{eip191_hash_message, Address, B256};
use secp256k1::{Message, SecretKey, SECP256K1};
use serde_json::Value;
use sessionsig::auth_sig::{AuthSig, DERIVED_VIA_EIP1271};
use sessionsig::wallet::WalletSigner;

/// The chain id the test chain answers to.
pub const CHAIN_ID: u64 = 31337;

/// The committed compiler outputs (`crates/sessionsig-rpc/contracts/artifacts/<name>.json`).
const ARTIFACTS: [(&str, &str); 3] = [
    (
        "OwnedWallet",
        include_str!("../../sessionsig-rpc/contracts/artifacts/OwnedWallet.json"),
    ),
    (
        "WalletFactory",
        include_str!("../../sessionsig-rpc/contracts/artifacts/WalletFactory.json"),
    ),
    (
        "ValidateSigOffchain",
        include_str!("../../sessionsig-rpc/contracts/artifacts/ValidateSigOffchain.json"),
    ),
];

/// A compiled contract from `crates/sessionsig-rpc/contracts/artifacts/`.
pub struct Artifact {
    /// Creation code.
    pub bytecode: Vec<u8>,
}

/// The artifact `<name>.json` (`OwnedWallet`, `WalletFactory` or `ValidateSigOffchain`);
/// panics for any other name.
pub fn artifact(name: &str) -> Artifact {
    let text = ARTIFACTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("no artifact {name}"));
    let json: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("artifact {name}: {e}"));
    let hex_field = |k: &str| {
        json[k]
            .as_str()
            .and_then(|s| s.strip_prefix("0x"))
            .and_then(|s| hex::decode(s).ok())
            .unwrap_or_else(|| panic!("artifact {name}: `{k}` is not 0x-prefixed hex"))
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
    /// The key whose 32 bytes are all `byte` (not 0, nor a byte past the curve order).
    pub fn from_byte(byte: u8) -> Key {
        let secret = SecretKey::from_byte_array([byte; 32])
            .unwrap_or_else(|e| panic!("[{byte:#x}; 32] is not a secp256k1 key: {e}"));
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

/// A contract wallet (an `OwnedWallet` at `wallet`) as a [`WalletSigner`]: its address is the
/// contract's, and it "signs" a message with its owner key over the message's EIP-191 hash —
/// exactly what the wallet's `isValidSignature` accepts. The core's [`AuthSig::create`] and
/// [`AuthSig::revoke`] then build the SIWE text; [`eip1271`] labels the result as a
/// contract-wallet AuthSig.
pub struct ContractWalletSigner<'a> {
    /// The wallet contract.
    pub wallet: Address,
    /// The key its `isValidSignature` recognises (its owner).
    pub owner: &'a Key,
}

impl WalletSigner for ContractWalletSigner<'_> {
    fn address(&self) -> Address {
        self.wallet
    }

    fn sign_message(&self, message: &[u8]) -> sessionsig::Result<[u8; 65]> {
        let sig = self.owner.sign_digest(eip191_hash_message(message));
        sig.try_into()
            .map_err(|_| sessionsig::Error::MalformedSignature("a signature is 65 bytes".into()))
    }
}

/// The same AuthSig with `derivedVia: "EIP1271"`: checked by asking the wallet contract.
pub fn eip1271(mut auth_sig: AuthSig) -> AuthSig {
    auth_sig.derived_via = DERIVED_VIA_EIP1271.into();
    auth_sig
}

#[cfg(test)]
mod tests {
    use super::evm::{Chain, Outcome};
    use super::*;

    fn is_valid_signature(chain: &mut Chain, wallet: Address, hash: B256, sig: &[u8]) -> Vec<u8> {
        let mut data = calldata("isValidSignature(bytes32,bytes)", &[hash.0]);
        let mut offset = [0u8; 32];
        offset[31] = 0x40;
        let mut len = [0u8; 32];
        len[31] = sig.len() as u8;
        data.extend_from_slice(&offset);
        data.extend_from_slice(&len);
        data.extend_from_slice(sig);
        data.resize(data.len() + (32 - sig.len() % 32) % 32, 0);
        match chain.call(Some(wallet), data) {
            Outcome::Success { output, .. } => output[..4].to_vec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_owned_wallet_accepts_what_its_signer_signs_and_nothing_else() {
        let mut chain = Chain::new();
        let (owner, stranger) = (Key::from_byte(0x11), Key::from_byte(0x22));
        let wallet = chain.deploy(
            &artifact("OwnedWallet").bytecode,
            &word_address(owner.address),
        );
        let message = b"localhost wants you to sign in";
        let hash = eip191_hash_message(message);
        let sign = |key: &Key| {
            let signer = ContractWalletSigner { wallet, owner: key };
            assert_eq!(signer.address(), wallet);
            signer.sign_message(message).expect("sign")
        };
        assert_eq!(
            is_valid_signature(&mut chain, wallet, hash, &sign(&owner)),
            [0x16, 0x26, 0xba, 0x7e]
        );
        assert_eq!(
            is_valid_signature(&mut chain, wallet, hash, &sign(&stranger)),
            [0xff; 4]
        );
        // The owner changes: the old owner's signature stops being accepted.
        chain.transact(
            wallet,
            calldata("setOwner(address)", &[word_address(stranger.address)]),
        );
        assert_eq!(
            is_valid_signature(&mut chain, wallet, hash, &sign(&owner)),
            [0xff; 4]
        );
    }
}
