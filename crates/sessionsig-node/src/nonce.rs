//! Stateless handshake nonces: a timestamp and a random salt, authenticated with an HMAC keyed
//! by the network's shared secret, so that any node of the network can check a nonce another
//! node handed out, without a database.
//!
//! ```text
//! nonce = hex( issued_at (8 bytes, big-endian Unix seconds)
//!            ‖ salt      (8 random bytes)
//!            ‖ tag       (first 16 bytes of HMAC-SHA256(key, "sessionsig/nonce/v1" ‖ issued_at ‖ salt)) )
//! ```
//!
//! 64 lowercase hex characters: a valid SIWE nonce (≥ 8 alphanumerics) the size of the block
//! hash the Lit SDK puts there. A nonce is *fresh* for `ttl` after it was issued: a SIWE message
//! carrying it must have been issued within `[issued_at - skew, issued_at + ttl + skew]`.

use crate::error::{NodeError, Result};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

const DOMAIN: &[u8] = b"sessionsig/nonce/v1";
const TAG_LEN: usize = 16;
const RAW_LEN: usize = 8 + 8 + TAG_LEN;

/// Length of the network secret in bytes.
pub const SECRET_LEN: usize = 32;

/// The network's nonce key. The secret never leaves this value (its `Debug` is redacted).
#[derive(Clone)]
pub struct NonceKey {
    secret: Zeroizing<[u8; SECRET_LEN]>,
    ttl: Duration,
}

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceKey")
            .field("secret", &"<redacted>")
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// A nonce handed out by the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedNonce {
    /// 64 lowercase hex characters.
    pub value: String,
    /// When it stops being fresh.
    pub expires_at: OffsetDateTime,
}

impl NonceKey {
    /// A key from the network secret; nonces are fresh for `ttl`.
    pub fn new(secret: [u8; SECRET_LEN], ttl: Duration) -> Self {
        NonceKey {
            secret: Zeroizing::new(secret),
            ttl,
        }
    }

    /// A key with a random secret (a network of one process).
    pub fn random(ttl: Duration) -> Self {
        let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
        OsRng.fill_bytes(secret.as_mut());
        NonceKey { secret, ttl }
    }

    /// How long a nonce stays fresh.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn tag(&self, issued: &[u8; 8], salt: &[u8; 8]) -> Result<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.secret.as_ref())
            .map_err(|e| NodeError::Internal(format!("HMAC key: {e}")))?;
        mac.update(DOMAIN);
        mac.update(issued);
        mac.update(salt);
        Ok(mac)
    }

    /// A fresh nonce, issued at `now`.
    pub fn issue(&self, now: OffsetDateTime) -> Result<IssuedNonce> {
        let secs = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        let issued = secs.to_be_bytes();
        let mut salt = [0u8; 8];
        OsRng.fill_bytes(&mut salt);
        let tag = self.tag(&issued, &salt)?.finalize().into_bytes();
        let mut raw = [0u8; RAW_LEN];
        raw[..8].copy_from_slice(&issued);
        raw[8..16].copy_from_slice(&salt);
        raw[16..].copy_from_slice(&tag[..TAG_LEN]);
        let issued_at = OffsetDateTime::from_unix_timestamp(secs as i64).unwrap_or(now);
        Ok(IssuedNonce {
            value: hex::encode(raw),
            expires_at: issued_at + self.ttl,
        })
    }

    /// When `nonce` was issued, if a holder of this key issued it (constant-time tag check).
    pub fn issued_at(&self, nonce: &str) -> Result<OffsetDateTime> {
        let bad = || NodeError::NonceInvalid("not a nonce of this network".into());
        if nonce.len() != 2 * RAW_LEN {
            return Err(bad());
        }
        let mut raw = [0u8; RAW_LEN];
        hex::decode_to_slice(nonce, &mut raw).map_err(|_| bad())?;
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&raw[..8]);
        let mut salt = [0u8; 8];
        salt.copy_from_slice(&raw[8..16]);
        self.tag(&issued, &salt)?
            .verify_truncated_left(&raw[16..])
            .map_err(|_| bad())?;
        let secs = i64::try_from(u64::from_be_bytes(issued)).map_err(|_| bad())?;
        OffsetDateTime::from_unix_timestamp(secs).map_err(|_| bad())
    }

    /// Check that a SIWE message issued at `siwe_issued_at` used a fresh nonce of this network.
    pub fn check_siwe(
        &self,
        nonce: &str,
        siwe_issued_at: OffsetDateTime,
        skew: Duration,
    ) -> Result<()> {
        let issued = self.issued_at(nonce)?;
        if siwe_issued_at < issued - skew {
            return Err(NodeError::NonceInvalid(
                "the SIWE message claims to predate its nonce".into(),
            ));
        }
        if siwe_issued_at > issued + self.ttl + skew {
            return Err(NodeError::NonceInvalid(format!(
                "the nonce was {} s old when the SIWE message was issued (limit {} s)",
                (siwe_issued_at - issued).whole_seconds(),
                self.ttl.whole_seconds()
            )));
        }
        Ok(())
    }

    /// Check that `nonce` (already known to be ours) is no older than `max_age` at `now`
    /// (plus `skew`): a SIWE message back-dated onto an old nonce keeps its nonce's age.
    pub fn check_age(
        &self,
        nonce: &str,
        now: OffsetDateTime,
        max_age: Duration,
        skew: Duration,
    ) -> Result<()> {
        let issued = self.issued_at(nonce)?;
        let age = now - issued;
        if age > max_age + skew {
            return Err(NodeError::NonceExpired(format!(
                "the nonce is {} s old (limit {} s)",
                age.whole_seconds(),
                max_age.whole_seconds()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_holder_of_the_secret_checks_a_nonce() {
        let now = OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap();
        let a = NonceKey::new([7; 32], Duration::minutes(10));
        let b = NonceKey::new([7; 32], Duration::minutes(10));
        let other = NonceKey::new([8; 32], Duration::minutes(10));
        let n = a.issue(now).unwrap();
        assert_eq!(n.value.len(), 64);
        assert!(n.value.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(n.expires_at, now + Duration::minutes(10));
        assert_eq!(b.issued_at(&n.value).unwrap(), now);
        assert_eq!(
            other.issued_at(&n.value).unwrap_err().code(),
            "nonce_invalid"
        );
        // Two nonces of the same second differ (salt).
        assert_ne!(a.issue(now).unwrap().value, n.value);
        // Any flipped character fails.
        for i in 0..n.value.len() {
            let mut s = n.value.clone().into_bytes();
            s[i] = if s[i] == b'0' { b'1' } else { b'0' };
            let s = String::from_utf8(s).unwrap();
            assert!(b.issued_at(&s).is_err(), "{i}");
        }
        assert!(b.issued_at("0xabababab").is_err());
    }

    #[test]
    fn freshness_window() {
        let now = OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap();
        let k = NonceKey::new([1; 32], Duration::minutes(10));
        let n = k.issue(now).unwrap().value;
        let skew = Duration::seconds(60);
        assert!(k.check_siwe(&n, now, skew).is_ok());
        assert!(k.check_siwe(&n, now + Duration::minutes(10), skew).is_ok());
        assert!(k.check_siwe(&n, now - Duration::seconds(30), skew).is_ok());
        assert!(k.check_siwe(&n, now + Duration::minutes(12), skew).is_err());
        assert!(k.check_siwe(&n, now - Duration::minutes(2), skew).is_err());
    }

    #[test]
    fn a_back_dated_siwe_does_not_make_an_old_nonce_young() {
        let then = OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap();
        let k = NonceKey::new([1; 32], Duration::minutes(10));
        let n = k.issue(then).unwrap().value;
        let skew = Duration::seconds(60);
        // Seven days later, a SIWE claiming to be issued with the nonce passes check_siwe …
        assert!(k.check_siwe(&n, then, skew).is_ok());
        // … but the nonce's age at use is what counts.
        let week = then + Duration::days(7);
        assert_eq!(
            k.check_age(&n, week, Duration::days(1), skew)
                .unwrap_err()
                .code(),
            "nonce_expired"
        );
        assert!(k
            .check_age(&n, then + Duration::hours(23), Duration::days(1), skew)
            .is_ok());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let k = NonceKey::new([0xab; 32], Duration::minutes(1));
        assert!(!format!("{k:?}").contains("ab, ab") && !format!("{k:?}").contains("171"));
    }
}
