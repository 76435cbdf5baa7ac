//! Wallet signing: the [`WalletSigner`] trait and a local secp256k1 key, [`LocalWallet`].
//!
//! Signing uses libsecp256k1 (RFC 6979 deterministic nonces, low-`s`), which yields the same
//! bytes as ethers' `Wallet.signMessage` for the same key and message — the Lit vectors are
//! reproduced byte for byte with it.

use crate::error::{Error, Result};
use alloy_primitives::{eip191_hash_message, Address};
use secp256k1::{ecdsa::RecoverableSignature, Message, PublicKey, SecretKey, SECP256K1};
use std::fmt;

/// Something that can sign EIP-191 personal messages for one Ethereum address.
///
/// Async signers (a browser wallet, a remote KMS, an "authNeededCallback") live in the client
/// crate; the core only needs this synchronous form.
pub trait WalletSigner {
    /// The address whose key signs.
    fn address(&self) -> Address;
    /// Sign `message` with EIP-191 (`personal_sign`), returning `r || s || v` with `v` ∈ {27, 28}.
    fn sign_message(&self, message: &[u8]) -> Result<[u8; 65]>;
}

/// A wallet whose secp256k1 private key is held in memory.
///
/// Its `Debug` output never shows the key, and the key is wiped when the wallet is dropped.
pub struct LocalWallet {
    secret: SecretKey,
    address: Address,
}

impl LocalWallet {
    /// Read a private key written as 64 hex characters, with or without `0x`, surrounding
    /// whitespace ignored. The key is never echoed in an error.
    pub fn from_hex(text: &str) -> Result<Self> {
        let t = text.trim();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if t.len() != 64 {
            return Err(Error::InvalidWalletKey(format!(
                "expected 64 hex characters, found {}",
                t.len()
            )));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(t, &mut bytes)
            .map_err(|_| Error::InvalidWalletKey("not hexadecimal".into()))?;
        let wallet = Self::from_bytes(&bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        wallet
    }

    /// Build from the 32 raw key bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        let secret = SecretKey::from_byte_array(*bytes)
            .map_err(|_| Error::InvalidWalletKey("not a valid secp256k1 scalar".into()))?;
        let public = PublicKey::from_secret_key(SECP256K1, &secret);
        Ok(LocalWallet {
            secret,
            address: address_of(&public),
        })
    }

    /// A fresh random key from the operating system's entropy.
    pub fn random() -> Self {
        loop {
            let mut bytes = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
            let made = Self::from_bytes(&bytes);
            zeroize::Zeroize::zeroize(&mut bytes);
            if let Ok(w) = made {
                return w;
            }
        }
    }

    /// The private key as `0x` + 64 hex. Handle with care: this is the wallet secret.
    pub fn to_hex_secret(&self) -> String {
        format!("0x{}", hex::encode(self.secret.secret_bytes()))
    }
}

impl WalletSigner for LocalWallet {
    fn address(&self) -> Address {
        self.address
    }

    fn sign_message(&self, message: &[u8]) -> Result<[u8; 65]> {
        let digest = eip191_hash_message(message);
        let msg = Message::from_digest(digest.0);
        let sig: RecoverableSignature = SECP256K1.sign_ecdsa_recoverable(msg, &self.secret);
        let (recid, compact) = sig.serialize_compact();
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&compact);
        out[64] = 27 + i32::from(recid) as u8;
        Ok(out)
    }
}

impl fmt::Debug for LocalWallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalWallet")
            .field("address", &self.address)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Drop for LocalWallet {
    fn drop(&mut self) {
        self.secret.non_secure_erase();
    }
}

/// The Ethereum address of a secp256k1 public key: the last 20 bytes of keccak256(x || y).
pub fn address_of(public: &PublicKey) -> Address {
    let uncompressed = public.serialize_uncompressed();
    let hash = alloy_primitives::keccak256(&uncompressed[1..]);
    Address::from_slice(&hash[12..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_address_of_test_key() {
        let w = LocalWallet::from_hex(&format!("0x{}", "11".repeat(32))).unwrap();
        assert_eq!(
            w.address().to_checksum(None),
            "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
        );
    }

    #[test]
    fn bad_keys_never_echo_the_key() {
        let secretish = "zz".repeat(32);
        let e = LocalWallet::from_hex(&secretish).unwrap_err();
        assert_eq!(e.code(), "invalid_wallet_key");
        assert!(!e.to_string().contains(&secretish));
        assert!(LocalWallet::from_hex(&"00".repeat(32)).is_err());
        assert!(LocalWallet::from_hex("0x1234").is_err());
        let dbg = format!("{:?}", LocalWallet::from_hex(&"11".repeat(32)).unwrap());
        assert!(!dbg.contains(&"11".repeat(32)));
    }

    #[test]
    fn signature_has_ethereum_v() {
        let w = LocalWallet::random();
        let sig = w.sign_message(b"hello").unwrap();
        assert!(sig[64] == 27 || sig[64] == 28);
    }
}
