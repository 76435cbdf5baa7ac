//! EIP-191 `personal_sign` hashing and secp256k1 signer recovery (libsecp256k1).

use crate::error::{Error, Result};
use alloy_primitives::{Address, Keccak256, B256};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, SECP256K1};

/// The EIP-191 version `0x45` prefix, before the decimal byte length of the message.
const PREFIX: &[u8] = b"\x19Ethereum Signed Message:\n";

/// `keccak256("\x19Ethereum Signed Message:\n" + <byte length in decimal> + message)`: the digest
/// a wallet's `personal_sign` signs.
pub fn eip191_hash(message: &[u8]) -> B256 {
    let mut h = Keccak256::new();
    h.update(PREFIX);
    // The length in decimal, spelled on the stack (no `String` per verification).
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = message.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    h.update(&digits[at..]);
    h.update(message);
    h.finalize()
}

/// Decode a wallet signature written as `0x` followed by 130 hex characters (`r || s || v`).
///
/// `v` may be 27/28 (the usual wallet form) or 0/1; the bytes are returned unchanged.
pub fn parse_signature(sig: &str) -> Result<[u8; 65]> {
    let hex = sig
        .strip_prefix("0x")
        .ok_or_else(|| Error::MalformedSignature("expected a `0x` prefix".to_owned()))?;
    if hex.len() != 130 {
        return Err(Error::MalformedSignature(format!(
            "expected 130 hex characters after `0x`, got {}",
            hex.len()
        )));
    }
    let mut out = [0u8; 65];
    // const-hex (vectorised); with the length checked above, a second `0x` it would strip
    // leaves too few digits: refused, as before.
    alloy_primitives::hex::decode_to_slice(hex, &mut out)
        .map_err(|_| Error::MalformedSignature("not hexadecimal".to_owned()))?;
    recovery_id(out[64])?;
    Ok(out)
}

/// The recovery id of a `v` byte (27/28 or 0/1).
fn recovery_id(v: u8) -> Result<RecoveryId> {
    match v {
        0 | 27 => Ok(RecoveryId::Zero),
        1 | 28 => Ok(RecoveryId::One),
        _ => Err(Error::MalformedSignature(format!(
            "recovery byte v must be 27, 28, 0 or 1, got {v}"
        ))),
    }
}

/// The libsecp256k1 form of a 65-byte `r || s || v` signature.
fn recoverable(sig: &[u8; 65]) -> Result<RecoverableSignature> {
    let recid = recovery_id(sig[64])?;
    RecoverableSignature::from_compact(&sig[..64], recid)
        .map_err(|_| Error::MalformedSignature("r or s is not a valid secp256k1 scalar".to_owned()))
}

/// Recover the address (from the public key) that signed `digest` with `sig`.
fn recover_digest(digest: B256, sig: &RecoverableSignature) -> Option<Address> {
    let pk = SECP256K1
        .recover_ecdsa(Message::from_digest(digest.0), sig)
        .ok()?;
    let uncompressed = pk.serialize_uncompressed();
    Some(Address::from_raw_public_key(&uncompressed[1..]))
}

/// The address whose key made `sig` over the EIP-191 hash of `message` (the exact bytes).
///
/// Errors with [`Error::MalformedSignature`] when `v` is not 27/28/0/1, when `r`/`s` are out of
/// range, or when no public key recovers.
pub fn recover_address(message: &[u8], sig: &[u8; 65]) -> Result<Address> {
    let rs = recoverable(sig)?;
    recover_digest(eip191_hash(message), &rs).ok_or_else(|| {
        Error::MalformedSignature("the signature does not recover to any public key".to_owned())
    })
}

/// Check that `sig` (`0x` + 130 hex) is `expected`'s EIP-191 signature over exactly `message`.
///
/// [`Error::MalformedSignature`] when the signature cannot be decoded, [`Error::SignerMismatch`]
/// when it was made by another key (or recovers to no key at all).
pub fn verify_signature(message: &[u8], sig: &str, expected: Address) -> Result<()> {
    verify_signature_digest(eip191_hash(message), sig, expected)
}

/// [`verify_signature`] for a message whose EIP-191 digest ([`eip191_hash`]) is already known.
pub fn verify_signature_digest(digest: B256, sig: &str, expected: Address) -> Result<()> {
    let bytes = parse_signature(sig)?;
    let rs = recoverable(&bytes)?;
    match recover_digest(digest, &rs) {
        Some(found) if found == expected => Ok(()),
        Some(found) => Err(Error::SignerMismatch {
            expected: expected.to_checksum(None),
            recovered: found.to_checksum(None),
        }),
        None => Err(Error::SignerMismatch {
            expected: expected.to_checksum(None),
            recovered: "nobody (public key recovery failed)".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secp256k1::SecretKey;

    fn sign(message: &[u8], key: [u8; 32]) -> (String, Address) {
        let sk = SecretKey::from_byte_array(key).unwrap();
        let pk = sk.public_key(SECP256K1).serialize_uncompressed();
        let addr = Address::from_raw_public_key(&pk[1..]);
        let rs =
            SECP256K1.sign_ecdsa_recoverable(Message::from_digest(eip191_hash(message).0), &sk);
        let (recid, compact) = rs.serialize_compact();
        let mut sig = compact.to_vec();
        sig.push(27 + i32::from(recid) as u8);
        (format!("0x{}", hex::encode(sig)), addr)
    }

    #[test]
    fn hash_matches_alloy() {
        for m in [
            &b""[..],
            b"hello",
            &[0u8; 9],
            &[0u8; 10],
            &[0u8; 99],
            &[0u8; 1000],
        ] {
            assert_eq!(eip191_hash(m), alloy_primitives::eip191_hash_message(m));
        }
    }

    #[test]
    fn sign_and_recover_with_both_v_forms() {
        let msg = b"some message";
        let (sig, addr) = sign(msg, [0x11; 32]);
        // The public test key 0x11…11.
        assert_eq!(
            addr.to_checksum(None),
            "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
        );
        verify_signature(msg, &sig, addr).unwrap();
        let mut bytes = parse_signature(&sig).unwrap();
        bytes[64] -= 27;
        assert_eq!(recover_address(msg, &bytes).unwrap(), addr);
        let other = Address::repeat_byte(1);
        assert!(matches!(
            verify_signature(msg, &sig, other),
            Err(Error::SignerMismatch { .. })
        ));
        assert!(matches!(
            verify_signature(b"some messagf", &sig, addr),
            Err(Error::SignerMismatch { .. })
        ));
    }

    #[test]
    fn malformed_signatures() {
        let good = format!("0x{}1b", "11".repeat(64));
        assert!(parse_signature(&good).is_ok());
        for bad in [
            String::new(),
            "0x".to_owned(),
            good[2..].to_owned(),
            format!("{good}0"),
            format!("0x{}1d", "11".repeat(64)),
            format!("0x{}1b", "zz".repeat(64)),
            format!("0x{}é", "11".repeat(64)),
        ] {
            assert!(
                matches!(parse_signature(&bad), Err(Error::MalformedSignature(_))),
                "{bad}"
            );
        }
        // r = 0 is out of range.
        let zero = [0u8; 65];
        assert!(recover_address(b"x", &zero).is_err());
    }
}
