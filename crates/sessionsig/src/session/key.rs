//! Ed25519 session keys: generation, the Lit JSON key-file layouts, strict public keys.

use crate::error::{Error, Result};
use ed25519_dalek::{Signer, SigningKey, Verifier as _, VerifyingKey};
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
        alloy_primitives::hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| Error::InvalidSessionKey("not hexadecimal".into()))?;
        // Refuse non-canonical encodings (y >= p), which decode to the same point as their
        // canonical twin y - p: one key must have one hex spelling (revocations name it).
        // (`VerifyingKey` keeps the bytes it was given, so re-encoding it would not tell.)
        // The other non-canonical form, x = 0 with the sign bit set, is a small-order point.
        if !is_canonical_y(&bytes) {
            return Err(Error::InvalidSessionKey(
                "non-canonical ed25519 encoding".into(),
            ));
        }
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| Error::InvalidSessionKey("not an ed25519 point".into()))?;
        if key.is_weak() {
            return Err(Error::InvalidSessionKey("small-order ed25519 key".into()));
        }
        Ok(SessionPublicKey(key))
    }

    /// The 32 bytes of the encoding (for a writer that spells them without a `String`).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        alloy_primitives::hex::encode(self.0.to_bytes())
    }

    /// Strict ed25519 verification over exactly `message`: RFC 8032 with a canonical `s`
    /// (`s < ℓ`, so no malleability), a key that is canonical and not of small order, and an
    /// `R` that is not of small order — the rules of ed25519-dalek's `verify_strict`.
    ///
    /// It runs dalek's RFC 8032 `verify` (which checks `s < ℓ` and compares the recomputed
    /// `R' = [s]B - [k]A`, always canonically encoded, with the received `R` bytes) plus the
    /// two small-order rules, done without `verify_strict`'s decompression of `R` (a field
    /// square root): the key was checked once when it was parsed (a `SessionPublicKey` is
    /// never of small order), and `R` is compared with the canonical encodings of the eight
    /// small-order points. A non-canonical or off-curve `R` can never equal the canonical
    /// `R'`, so it fails the comparison, as it fails `verify_strict`. The differential test
    /// `strict_verification_matches_verify_strict` holds the two to the same answers.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        let r = signature.first_chunk::<32>();
        if r.is_some_and(|r| SMALL_ORDER_ENCODINGS.contains(r)) {
            return Err(Error::BadSessionSignature);
        }
        let sig = ed25519_dalek::Signature::from_bytes(signature);
        self.0
            .verify(message, &sig)
            .map_err(|_| Error::BadSessionSignature)
    }
}

/// The canonical encodings of the eight ed25519 points of small order (the 8-torsion
/// subgroup; checked against curve25519-dalek's `EIGHT_TORSION` in the tests).
const SMALL_ORDER_ENCODINGS: [[u8; 32]; 8] = [
    hex32("0100000000000000000000000000000000000000000000000000000000000000"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex32("0000000000000000000000000000000000000000000000000000000000000080"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    hex32("0000000000000000000000000000000000000000000000000000000000000000"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
];

/// 64 lowercase hex characters → 32 bytes, at compile time (a bad literal fails the build).
const fn hex32(text: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let t = text.as_bytes();
    assert!(t.len() == 64, "not 64 hex digits");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(t[2 * i]) << 4 | nibble(t[2 * i + 1]);
        i += 1;
    }
    out
}

/// Is the y coordinate of an encoded ed25519 point (the low 255 bits, little-endian) below
/// p = 2^255 - 19?
fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    // y >= p exactly when the top byte (sign bit cleared) is 0x7f, bytes 1..=30 are 0xff and
    // the lowest byte is at least 0xed.
    !(bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed)
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
    fn non_canonical_encodings_are_refused() {
        // y = p + k encodes the same point as y = k (p = 2^255 - 19). Find such points that
        // are on the curve and not of small order: dalek decodes both spellings to one point.
        let mut found = 0;
        for k in 0u8..=18 {
            let mut canonical = [0u8; 32];
            canonical[0] = k;
            let mut twin = [0xffu8; 32];
            twin[0] = 0xed + k;
            twin[31] = 0x7f;
            for sign in [0u8, 0x80] {
                canonical[31] = sign;
                twin[31] = 0x7f | sign;
                let Ok(point) = VerifyingKey::from_bytes(&canonical) else {
                    continue;
                };
                if point.is_weak() {
                    continue;
                }
                let decoded = VerifyingKey::from_bytes(&twin).unwrap();
                assert_eq!(decoded.to_edwards(), point.to_edwards());
                assert!(SessionPublicKey::parse_hex(&hex::encode(canonical)).is_ok());
                let e = SessionPublicKey::parse_hex(&hex::encode(twin)).unwrap_err();
                assert_eq!(e.code(), "invalid_session_key");
                assert!(e.to_string().contains("non-canonical"), "{e}");
                found += 1;
            }
        }
        assert!(found > 0, "no non-canonical twin found among y < 19");
        // The largest canonical y (p - 1) is not refused for its spelling.
        let mut below_p = [0xffu8; 32];
        below_p[0] = 0xec;
        below_p[31] = 0x7f;
        assert!(super::is_canonical_y(&below_p));
        below_p[0] = 0xed;
        assert!(!super::is_canonical_y(&below_p));
    }

    /// dalek's own `verify_strict`, the rules ours must match.
    fn dalek_strict(key: &SessionPublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
        key.0
            .verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig))
            .is_ok()
    }

    fn ours(key: &SessionPublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
        key.verify_strict(msg, sig).is_ok()
    }

    #[test]
    fn small_order_table_is_the_eight_torsion() {
        let mut expected: Vec<[u8; 32]> = curve25519_dalek::constants::EIGHT_TORSION
            .iter()
            .map(|p| p.compress().to_bytes())
            .collect();
        let mut table = SMALL_ORDER_ENCODINGS.to_vec();
        expected.sort();
        table.sort();
        assert_eq!(table, expected);
    }

    #[test]
    fn strict_verification_matches_verify_strict() {
        use curve25519_dalek::scalar::Scalar;
        use sha2::{Digest, Sha512};
        let mut cases = 0;
        for seed in 1u8..=4 {
            let pair = SessionKeyPair::from_seed(&[seed; 32]);
            let key = pair.public_key();
            let msg = format!("message {seed}").into_bytes();
            let good = pair.sign(&msg);
            assert!(ours(&key, &msg, &good) && dalek_strict(&key, &msg, &good));
            // Every single-bit change of the signature.
            for bit in 0..512 {
                let mut bad = good;
                bad[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    ours(&key, &msg, &bad),
                    dalek_strict(&key, &msg, &bad),
                    "bit {bit}"
                );
                assert!(!ours(&key, &msg, &bad));
                cases += 1;
            }
            // A non-canonical s (s + ℓ) verifies under lax rules only: refused.
            let s = Scalar::from_canonical_bytes(good[32..].try_into().unwrap()).unwrap();
            let ell_bytes = {
                let mut b = (-Scalar::ONE).to_bytes();
                b[0] += 1; // ℓ - 1 + 1, as little-endian bytes (no carry: ℓ ends in 0xed).
                b
            };
            let mut sum = [0u8; 32];
            let mut carry = 0u16;
            for i in 0..32 {
                let v = u16::from(s.to_bytes()[i]) + u16::from(ell_bytes[i]) + carry;
                sum[i] = (v & 0xff) as u8;
                carry = v >> 8;
            }
            if carry == 0 {
                let mut bad = good;
                bad[32..].copy_from_slice(&sum);
                assert!(!ours(&key, &msg, &bad) && !dalek_strict(&key, &msg, &bad));
                cases += 1;
            }
            // R of small order in every encoding (canonical ones, and y + p spellings), with
            // the real s and with an s that makes the RFC 8032 equation hold for R = identity.
            let a = pair.signing.to_scalar();
            let mut noncanonical = Vec::new();
            for k in 0u8..=18 {
                let mut twin = [0xffu8; 32];
                twin[0] = 0xed + k;
                twin[31] = 0x7f;
                noncanonical.push(twin);
                twin[31] = 0xff;
                noncanonical.push(twin);
            }
            for r in SMALL_ORDER_ENCODINGS.iter().chain(noncanonical.iter()) {
                let mut bad = good;
                bad[..32].copy_from_slice(r);
                assert_eq!(ours(&key, &msg, &bad), dalek_strict(&key, &msg, &bad));
                assert!(!ours(&key, &msg, &bad));
                // s = k·a makes [s]B - [k]A the identity: lax RFC 8032 `verify` accepts when
                // R is the identity's encoding; the strict rules must not.
                let mut h = Sha512::new();
                h.update(r);
                h.update(key.0.as_bytes());
                h.update(&msg);
                let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
                bad[32..].copy_from_slice((k * a).as_bytes());
                if r == &SMALL_ORDER_ENCODINGS[0] {
                    assert!(key
                        .0
                        .verify(&msg, &ed25519_dalek::Signature::from_bytes(&bad))
                        .is_ok());
                }
                assert_eq!(ours(&key, &msg, &bad), dalek_strict(&key, &msg, &bad));
                assert!(!ours(&key, &msg, &bad));
                cases += 2;
            }
        }
        assert!(cases > 2000);
    }

    proptest::proptest! {
        #[test]
        fn random_signatures_get_the_same_answer(
            seed in proptest::array::uniform32(proptest::num::u8::ANY),
            sig in proptest::collection::vec(proptest::num::u8::ANY, 64),
            msg in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        ) {
            let key = SessionKeyPair::from_seed(&seed).public_key();
            let sig: [u8; 64] = sig.try_into().unwrap();
            proptest::prop_assert_eq!(ours(&key, &msg, &sig), dalek_strict(&key, &msg, &sig));
        }
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
