//! Ed25519 session keys: generation, the Lit JSON key-file layouts, strict public keys.

use crate::error::{Error, Result};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use std::fmt;
use zeroize::Zeroizing;

/// An ed25519 session key pair. The secret never appears in `Debug` output or errors, and is
/// wiped on drop (ed25519-dalek's `zeroize` feature).
#[derive(Clone)]
pub struct SessionKeyPair {
    signing: SigningKey,
}

impl SessionKeyPair {
    /// A fresh key from the operating system's entropy.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, seed.as_mut());
        Self::from_seed(&seed)
    }

    /// The key pair for a 32-byte seed (RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SessionKeyPair {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// Read the Lit key-file JSON `{"publicKey": "<64 hex>", "secretKey": "<hex>"}`.
    ///
    /// `secretKey` may be 128 hex (Lit v7 / NaCl: seed followed by the public key; the second
    /// half must be the seed's public key) or 64 hex (Lit v8: the seed). `publicKey`, when
    /// present, must match the secret.
    pub fn from_json(text: &str) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct KeyFile {
            #[serde(rename = "publicKey")]
            public_key: Option<String>,
            #[serde(rename = "secretKey")]
            secret_key: String,
        }
        let file: KeyFile = serde_json::from_str(text).map_err(|_| {
            Error::InvalidSessionKey("expected JSON {\"publicKey\", \"secretKey\"}".into())
        })?;
        let secret = Zeroizing::new(file.secret_key);
        Self::from_secret_hex(&secret, file.public_key.as_deref())
    }

    /// Build from a secret key in hex (128 hex NaCl layout or 64 hex seed), optionally checking
    /// it against a claimed public key.
    pub fn from_secret_hex(secret_hex: &str, public_hex: Option<&str>) -> Result<Self> {
        let s = secret_hex.trim();
        let mut bytes = Zeroizing::new([0u8; 64]);
        let n = match s.len() {
            64 => 32,
            128 => 64,
            other => {
                return Err(Error::InvalidSessionKey(format!(
                    "secretKey must be 64 or 128 hex characters, found {other}"
                )))
            }
        };
        hex::decode_to_slice(s, &mut bytes[..n])
            .map_err(|_| Error::InvalidSessionKey("secretKey is not hexadecimal".into()))?;
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&bytes[..32]);
        let pair = Self::from_seed(&seed);
        let derived = pair.signing.verifying_key().to_bytes();
        if n == 64 && bytes[32..64] != derived {
            return Err(Error::InvalidSessionKey(
                "the second half of the 128-hex secretKey is not the seed's public key".into(),
            ));
        }
        if let Some(p) = public_hex {
            if !p.trim().eq_ignore_ascii_case(&hex::encode(derived)) {
                return Err(Error::InvalidSessionKey(
                    "publicKey does not belong to secretKey".into(),
                ));
            }
        }
        Ok(pair)
    }

    /// The public half.
    pub fn public_key(&self) -> SessionPublicKey {
        SessionPublicKey(self.signing.verifying_key())
    }

    /// The public key as 64 lowercase hex characters.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }

    /// The Lit v7 key-file JSON (128-hex NaCl secret). Contains the secret: write it with care.
    pub fn to_json_v7(&self) -> Zeroizing<String> {
        let mut secret = Zeroizing::new(hex::encode(self.signing.to_bytes()));
        secret.push_str(&self.public_hex());
        Zeroizing::new(format!(
            "{{\"publicKey\":\"{}\",\"secretKey\":\"{}\"}}",
            self.public_hex(),
            secret.as_str()
        ))
    }

    /// The Lit v8 key-file JSON (64-hex seed). Contains the secret: write it with care.
    pub fn to_json_v8(&self) -> Zeroizing<String> {
        let secret = Zeroizing::new(hex::encode(self.signing.to_bytes()));
        Zeroizing::new(format!(
            "{{\"publicKey\":\"{}\",\"secretKey\":\"{}\"}}",
            self.public_hex(),
            secret.as_str()
        ))
    }

    /// Sign bytes; returns the 64-byte ed25519 signature.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for SessionKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeyPair")
            .field("public", &self.public_hex())
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A session public key that is a valid, canonical, non-small-order ed25519 point.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionPublicKey(VerifyingKey);

impl SessionPublicKey {
    /// Parse 64 lowercase hex characters (no `0x`), refusing non-canonical encodings, points
    /// not on the curve and small-order (weak) keys.
    pub fn parse_hex(text: &str) -> Result<Self> {
        if text.len() != 64
            || !text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::InvalidSessionKey(
                "a session public key is 64 lowercase hex characters".into(),
            ));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| Error::InvalidSessionKey("not hexadecimal".into()))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| Error::InvalidSessionKey("not an ed25519 point".into()))?;
        if key.is_weak() {
            return Err(Error::InvalidSessionKey("small-order ed25519 key".into()));
        }
        // Refuse non-canonical encodings: the decoded point must re-encode to the same bytes.
        if key.to_bytes() != bytes {
            return Err(Error::InvalidSessionKey(
                "non-canonical ed25519 encoding".into(),
            ));
        }
        Ok(SessionPublicKey(key))
    }

    /// 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// Strict ed25519 verification (RFC 8032 plus rejection of malleable signatures and
    /// small-order components), over exactly `message`.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        let sig = ed25519_dalek::Signature::from_bytes(signature);
        self.0
            .verify_strict(message, &sig)
            .map_err(|_| Error::BadSessionSignature)
    }
}

impl fmt::Debug for SessionPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionPublicKey({})", self.to_hex())
    }
}

impl fmt::Display for SessionPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUB: &str = "a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0";

    #[test]
    fn reads_v7_and_v8_layouts() {
        let seed = "22".repeat(32);
        let v7 = format!("{{\"publicKey\":\"{PUB}\",\"secretKey\":\"{seed}{PUB}\"}}");
        let v8 = format!("{{\"publicKey\":\"{PUB}\",\"secretKey\":\"{seed}\"}}");
        assert_eq!(SessionKeyPair::from_json(&v7).unwrap().public_hex(), PUB);
        assert_eq!(SessionKeyPair::from_json(&v8).unwrap().public_hex(), PUB);
        let k = SessionKeyPair::from_json(&v8).unwrap();
        assert_eq!(k.to_json_v7().as_str(), v7.as_str());
        assert_eq!(k.to_json_v8().as_str(), v8.as_str());
    }

    #[test]
    fn refuses_inconsistent_keys_without_leaking() {
        let seed = "22".repeat(32);
        let other = "33".repeat(32);
        let bad = format!("{{\"publicKey\":\"{PUB}\",\"secretKey\":\"{seed}{other}\"}}");
        let e = SessionKeyPair::from_json(&bad).unwrap_err();
        assert_eq!(e.code(), "invalid_session_key");
        assert!(!e.to_string().contains(&seed));
        let wrong_pub = format!("{{\"publicKey\":\"{other}\",\"secretKey\":\"{seed}\"}}");
        assert!(SessionKeyPair::from_json(&wrong_pub).is_err());
        assert!(SessionKeyPair::from_json("{\"secretKey\":\"abc\"}").is_err());
        assert!(SessionKeyPair::from_json("not json").is_err());
        let dbg = format!("{:?}", SessionKeyPair::from_seed(&[0x22; 32]));
        assert!(!dbg.contains(&seed));
    }

    #[test]
    fn strict_public_keys() {
        assert!(SessionPublicKey::parse_hex(PUB).is_ok());
        assert!(SessionPublicKey::parse_hex(&PUB.to_uppercase()).is_err());
        // The identity point (small order).
        let identity = format!("01{}", "00".repeat(31));
        assert!(SessionPublicKey::parse_hex(&identity).is_err());
        assert!(SessionPublicKey::parse_hex("abcd").is_err());
    }

    #[test]
    fn sign_and_verify_strict() {
        let k = SessionKeyPair::from_seed(&[7; 32]);
        let sig = k.sign(b"msg");
        k.public_key().verify_strict(b"msg", &sig).unwrap();
        let mut bad = sig;
        bad[0] ^= 1;
        assert_eq!(
            k.public_key()
                .verify_strict(b"msg", &bad)
                .unwrap_err()
                .code(),
            "bad_session_signature"
        );
    }
}
