//! Blob keys: fresh for every write and never reused, so a write never touches a live blob.

use super::BlobError;
use rand_core::{OsRng, RngCore};
use sessionsig::time::OffsetDateTime;
use std::fmt;

/// The name of one blob: `<unix ms, 13 digits>-<128 random bits, 32 hex>`. The time is when the
/// upload started (from the writer's clock), which reconciliation uses to leave young blobs of
/// in-flight uploads alone; the random part makes a collision with any other key negligible
/// (2^-64 after 2^32 writes in one millisecond), so no put can overwrite a live blob.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// A fresh key for an upload starting at `now`.
    pub fn fresh(now: OffsetDateTime) -> BlobKey {
        let mut r = [0u8; 16];
        OsRng.fill_bytes(&mut r);
        let ms = (now.unix_timestamp_nanos() / 1_000_000).clamp(0, 9_999_999_999_999);
        BlobKey(format!("{ms:013}-{}", hex::encode(r)))
    }

    /// Parse a key read back from metadata or a listing.
    pub fn parse(s: &str) -> Result<BlobKey, BlobError> {
        let ok = s.len() == 46
            && s.as_bytes()[13] == b'-'
            && s[..13].bytes().all(|b| b.is_ascii_digit())
            && s[14..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(BlobKey(s.to_owned()))
        } else {
            Err(BlobError::InvalidKey)
        }
    }

    /// When the upload that made it started.
    pub fn created(&self) -> OffsetDateTime {
        let ms: i128 = self.0[..13].parse().unwrap_or(0);
        OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The key as stored in metadata.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fan-out directory (two hex digits of the random part), so that a local data
    /// directory never holds millions of files in one directory.
    pub(crate) fn shard(&self) -> &str {
        &self.0[14..16]
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_keys_parse_back_carry_their_time_and_differ() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_750_000_000_123_000_000).unwrap();
        let (a, b) = (BlobKey::fresh(t), BlobKey::fresh(t));
        assert_ne!(a, b);
        assert_eq!(BlobKey::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.created(), t);
        assert_eq!(a.shard().len(), 2);
        for bad in [
            "",
            "x",
            &a.as_str().replace('-', "_"),
            &format!("{a}0"),
            &a.as_str().to_uppercase(),
        ] {
            assert_eq!(
                BlobKey::parse(bad).unwrap_err().code(),
                "invalid_blob_key",
                "{bad}"
            );
        }
    }
}
