//! The few ABI encodings a contract-wallet check needs, by hand (Solidity ABI v2, static head +
//! dynamic tail, 32-byte words).

use crate::validator_code::VALIDATE_SIG_OFFCHAIN_CODE;
use alloy_primitives::{Address, B256};
use sessionsig::auth_sig::ERC1271_MAGIC;

/// The 4-byte selector of `isValidSignature(bytes32,bytes)` (ERC-1271); equal to the magic value
/// a wallet returns when it accepts.
pub const IS_VALID_SIGNATURE_SELECTOR: [u8; 4] = ERC1271_MAGIC;

/// Calldata for `isValidSignature(digest, signature)`.
pub fn is_valid_signature_call(digest: B256, signature: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * 3 + padded_len(signature.len()));
    out.extend_from_slice(&IS_VALID_SIGNATURE_SELECTOR);
    out.extend_from_slice(digest.as_slice());
    out.extend_from_slice(&word_usize(0x40));
    push_bytes(&mut out, signature);
    out
}

/// Does an `isValidSignature` answer say yes? The ABI-encoded `bytes4` magic value: the first
/// word must be exactly `0x1626ba7e` followed by 28 zero bytes (a `returns (bytes4)` always
/// encodes that way); trailing data is ignored, anything shorter is a no.
pub fn is_erc1271_magic(answer: &[u8]) -> bool {
    answer.len() >= 32 && answer[..4] == ERC1271_MAGIC && answer[4..32].iter().all(|&b| b == 0)
}

/// Data for the ERC-6492 off-chain validation `eth_call` (no `to`): the validator's creation
/// code followed by `abi.encode(signer, digest, signature)`. The call returns `0x01` when the
/// signature is valid.
pub fn validator_call(signer: Address, digest: B256, signature: &[u8]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(VALIDATE_SIG_OFFCHAIN_CODE.len() + 32 * 4 + padded_len(signature.len()));
    out.extend_from_slice(VALIDATE_SIG_OFFCHAIN_CODE);
    out.extend_from_slice(&word_address(signer));
    out.extend_from_slice(digest.as_slice());
    out.extend_from_slice(&word_usize(0x60));
    push_bytes(&mut out, signature);
    out
}

/// `abi.encode(address, bytes, bytes)`.
pub(crate) fn encode_address_bytes_bytes(a: Address, x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * 5 + padded_len(x.len()) + padded_len(y.len()));
    out.extend_from_slice(&word_address(a));
    out.extend_from_slice(&word_usize(0x60));
    out.extend_from_slice(&word_usize(0x60 + 32 + padded_len(x.len())));
    push_bytes(&mut out, x);
    push_bytes(&mut out, y);
    out
}

/// Decode `abi.encode(address, bytes, bytes)`, refusing everything Solidity's `abi.decode`
/// refuses (dirty address bits, offsets or lengths that point outside the data).
pub(crate) fn decode_address_bytes_bytes(
    data: &[u8],
) -> Result<(Address, Vec<u8>, Vec<u8>), String> {
    if data.len() < 96 {
        return Err(format!(
            "{} bytes is shorter than the 96-byte head",
            data.len()
        ));
    }
    let a = word(data, 0)?;
    if a[..12].iter().any(|&b| b != 0) {
        return Err("the factory word is not an address (high bytes set)".into());
    }
    let factory = Address::from_slice(&a[12..]);
    let x = dynamic_bytes(data, 32)?;
    let y = dynamic_bytes(data, 64)?;
    Ok((factory, x.to_vec(), y.to_vec()))
}

/// The `bytes` whose offset is the head word at `head`.
fn dynamic_bytes(data: &[u8], head: usize) -> Result<&[u8], String> {
    let offset = word_as_usize(word(data, head)?)
        .ok_or_else(|| format!("offset at byte {head} is out of range"))?;
    let len = word_as_usize(word(data, offset)?)
        .ok_or_else(|| format!("length at byte {offset} is out of range"))?;
    let start = offset + 32;
    let end = start
        .checked_add(len)
        .filter(|&end| end <= data.len())
        .ok_or_else(|| format!("{len} bytes at byte {start} run past the end of the data"))?;
    Ok(&data[start..end])
}

fn word(data: &[u8], at: usize) -> Result<&[u8], String> {
    at.checked_add(32)
        .and_then(|end| data.get(at..end))
        .ok_or_else(|| format!("no 32-byte word at byte {at}"))
}

/// A big-endian word as a `usize`, if it fits in 32 bits (more is never a valid position here,
/// and it keeps the arithmetic overflow-free).
fn word_as_usize(w: &[u8]) -> Option<usize> {
    if w[..28].iter().any(|&b| b != 0) {
        return None;
    }
    let v = u32::from_be_bytes([w[28], w[29], w[30], w[31]]);
    usize::try_from(v).ok()
}

fn word_usize(v: usize) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&(v as u64).to_be_bytes());
    w
}

fn word_address(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

fn padded_len(n: usize) -> usize {
    n.div_ceil(32) * 32
}

/// Length word, the bytes, zero padding to a word boundary.
fn push_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&word_usize(b.len()));
    out.extend_from_slice(b);
    out.resize(out.len() + padded_len(b.len()) - b.len(), 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, hex};

    #[test]
    fn is_valid_signature_calldata_is_the_solidity_encoding() {
        // cast calldata "isValidSignature(bytes32,bytes)" 0x11..11 0xaabbcc
        let got = is_valid_signature_call(
            b256!("1111111111111111111111111111111111111111111111111111111111111111"),
            &hex!("aabbcc"),
        );
        let want = hex!(
            "1626ba7e"
            "1111111111111111111111111111111111111111111111111111111111111111"
            "0000000000000000000000000000000000000000000000000000000000000040"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "aabbcc0000000000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(got, want);
        // Empty and word-sized signatures take no / no extra padding.
        assert_eq!(is_valid_signature_call(B256::ZERO, &[]).len(), 4 + 96);
        assert_eq!(
            is_valid_signature_call(B256::ZERO, &[7; 64]).len(),
            4 + 96 + 64
        );
    }

    #[test]
    fn magic_answers() {
        let mut yes = [0u8; 32];
        yes[..4].copy_from_slice(&ERC1271_MAGIC);
        assert!(is_erc1271_magic(&yes));
        assert!(is_erc1271_magic(&[&yes[..], &[1u8; 32][..]].concat()));
        assert!(!is_erc1271_magic(&yes[..4]), "short answer");
        assert!(!is_erc1271_magic(&[]), "empty answer (an EOA)");
        let mut dirty = yes;
        dirty[31] = 1;
        assert!(!is_erc1271_magic(&dirty), "not a clean bytes4");
        assert!(!is_erc1271_magic(&[0xff; 32]));
    }

    #[test]
    fn address_bytes_bytes_roundtrip_and_layout() {
        let a = address!("00000000000000000000000000000000000000aa");
        let enc = encode_address_bytes_bytes(a, &[1, 2, 3], &[9; 33]);
        // head (3 words) + x (len + 1 word) + y (len + 2 words)
        assert_eq!(enc.len(), 32 * 3 + 32 * 2 + 32 * 3);
        assert_eq!(enc[63], 0x60);
        assert_eq!(enc[95], 0xa0);
        let (da, dx, dy) = decode_address_bytes_bytes(&enc).unwrap();
        assert_eq!((da, dx, dy), (a, vec![1, 2, 3], vec![9; 33]));
    }

    #[test]
    fn decode_refuses_what_solidity_refuses() {
        let a = address!("00000000000000000000000000000000000000aa");
        let good = encode_address_bytes_bytes(a, &[1], &[2]);
        assert!(
            decode_address_bytes_bytes(&good[..95]).is_err(),
            "short head"
        );
        let mut dirty = good.clone();
        dirty[0] = 1;
        assert!(decode_address_bytes_bytes(&dirty).is_err(), "dirty address");
        let mut far = good.clone();
        far[63] = 0xff;
        assert!(
            decode_address_bytes_bytes(&far).is_err(),
            "offset past the end"
        );
        let mut huge = good.clone();
        huge[32] = 0xff;
        assert!(
            decode_address_bytes_bytes(&huge).is_err(),
            "offset beyond 32 bits"
        );
        let mut long = good.clone();
        long[0x60 + 31] = 0xff;
        assert!(
            decode_address_bytes_bytes(&long).is_err(),
            "length past the end"
        );
        assert!(
            decode_address_bytes_bytes(&good[..good.len() - 32]).is_err(),
            "truncated tail"
        );
        // Like Solidity, the zero padding after the last bytes is not required.
        assert!(decode_address_bytes_bytes(&good[..good.len() - 31]).is_ok());
    }

    #[test]
    fn validator_call_is_code_then_arguments() {
        let signer = address!("00000000000000000000000000000000000000bb");
        let data = validator_call(signer, B256::repeat_byte(3), &[5; 65]);
        let args = &data[VALIDATE_SIG_OFFCHAIN_CODE.len()..];
        assert_eq!(
            &data[..VALIDATE_SIG_OFFCHAIN_CODE.len()],
            VALIDATE_SIG_OFFCHAIN_CODE
        );
        assert_eq!(&args[12..32], signer.as_slice());
        assert_eq!(&args[32..64], &[3; 32]);
        assert_eq!(args[95], 0x60);
        assert_eq!(args[127], 65);
        assert_eq!(args.len(), 128 + 96);
    }
}
