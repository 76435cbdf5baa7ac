//! The result line of `sessionsig verify`, written straight into a byte buffer.
//!
//! Byte for byte what `serde_json` printed for the tree `VerifiedSession::to_json()` plus
//! `"valid"` (and `"mapKey"`) — same keys, same order, same string escapes — without building
//! that tree: the tree (a map per object, a `String` per value, then a second walk to print
//! it) was ≈ 12 % of the instructions of a warm `verify` run (callgrind), more than all the
//! checks besides the signature. The test `verify_output_matches_the_json_tree` holds the two
//! forms equal on valid and invalid results, including strings that need escapes.
//!
//! Caveats and a delegation's capability are printed through `serde_json` as before: they are
//! already JSON values and rare on the hot path.

use alloy_primitives::Address;
use serde_json::Value;
use sessionsig::auth_sig::SignatureCheck;
use sessionsig::time::{to_iso_string, OffsetDateTime};
use sessionsig::verify::{GrantSource, VerifiedSession};
use time::UtcOffset;

/// Writes result lines. The owner's EIP-55 spelling comes with the session (its SIWE text
/// wrote it); any other address (a delegation's root, a delegator) costs a Keccak hash to
/// spell, so the last one spelled is remembered: a stream of one session's SessionSigs names
/// the same ones on every line.
#[derive(Default)]
pub struct ResultWriter {
    /// The last address written and its checksummed spelling.
    last_address: Option<([u8; 20], [u8; 42])>,
}

impl ResultWriter {
    /// Write the line (without its newline) of a SessionSig that verified; `map_key` is the
    /// SessionSigs map entry it was taken from, if any.
    pub fn write_valid(
        &mut self,
        out: &mut Vec<u8>,
        s: &VerifiedSession,
        map_key: Option<&str>,
    ) -> serde_json::Result<()> {
        write_valid(out, s, map_key, &mut |out, a| match a == s.owner() {
            // The owner's spelling came with the session (from its SIWE text): no hash.
            true => {
                out.push(b'"');
                out.extend_from_slice(s.owner_checksummed().as_bytes());
                out.push(b'"');
            }
            false => self.address(out, a),
        })
    }

    /// `"0x…"` in EIP-55 spelling, as `Address::to_checksum(None)`.
    fn address(&mut self, out: &mut Vec<u8>, a: Address) {
        let bytes = a.0 .0;
        let spelled = match &self.last_address {
            Some((b, s)) if *b == bytes => s,
            _ => {
                let mut s = [0u8; 42];
                s.copy_from_slice(a.to_checksum_buffer(None).as_str().as_bytes());
                &self.last_address.insert((bytes, s)).1
            }
        };
        out.push(b'"');
        out.extend_from_slice(spelled);
        out.push(b'"');
    }
}

/// The line of a verified session; `address` writes an address as a JSON string.
fn write_valid(
    out: &mut Vec<u8>,
    s: &VerifiedSession,
    map_key: Option<&str>,
    address: &mut dyn FnMut(&mut Vec<u8>, Address),
) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"owner\":");
    address(out, s.owner());
    out.extend_from_slice(b",\"sessionKey\":\"");
    write_hex(out, &s.session_key().to_bytes());
    out.push(b'"');
    out.extend_from_slice(b",\"nodeAddress\":");
    write_str(out, s.node_address());
    out.extend_from_slice(b",\"issuedAt\":");
    write_time(out, s.issued_at());
    out.extend_from_slice(b",\"expiration\":");
    write_time(out, s.expires_at());
    out.extend_from_slice(b",\"capabilities\":[");
    for (i, g) in s.grants().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"resource\":\"");
        // `<prefix>://<id>`: the prefix is a fixed lowercase word, the id is escaped.
        out.extend_from_slice(g.resource().prefix().as_str().as_bytes());
        out.extend_from_slice(b"://");
        write_escaped(out, g.resource().id());
        out.extend_from_slice(b"\",\"ability\":");
        write_str(out, g.ability().as_str());
        out.extend_from_slice(b",\"grantedResource\":");
        write_str(out, g.granted_resource());
        out.extend_from_slice(b",\"grantedAbility\":");
        write_str(out, g.granted_ability());
        out.extend_from_slice(b",\"caveats\":");
        serde_json::to_writer(&mut *out, &g.caveats())?;
        out.extend_from_slice(b",\"grantedBy\":");
        address(out, g.granted_by());
        out.extend_from_slice(b",\"via\":");
        write_str(
            out,
            match g.source() {
                GrantSource::SessionAuthSig { .. } => "session",
                GrantSource::Delegation { .. } => "delegation",
            },
        );
        out.extend_from_slice(b",\"chain\":[");
        for (j, h) in g.chain().iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write_hash(out, &h.0);
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"],\"authSig\":{\"hash\":");
    write_hash(out, &s.auth_sig_hash().0);
    out.extend_from_slice(b",\"signature\":");
    write_str(out, check_name(s.auth_sig_check()));
    out.extend_from_slice(b"},\"delegations\":[");
    for (i, d) in s.delegations().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"delegator\":");
        address(out, d.delegator());
        out.extend_from_slice(b",\"uri\":");
        write_str(out, d.uri());
        out.extend_from_slice(b",\"hash\":");
        write_hash(out, &d.hash().0);
        out.extend_from_slice(b",\"capability\":");
        // As the tree did: the capability's canonical JSON, read back as a value.
        let capability = d
            .capability()
            .as_ref()
            .map(|c| serde_json::from_str::<Value>(&c.to_jcs()).unwrap_or(Value::Null));
        serde_json::to_writer(&mut *out, &capability)?;
        out.extend_from_slice(b",\"expiration\":");
        match d.expires_at() {
            Some(t) => write_time(out, t),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"signature\":");
        write_str(out, check_name(d.check()));
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"valid\":true");
    if let Some(k) = map_key {
        out.extend_from_slice(b",\"mapKey\":");
        write_str(out, k);
    }
    out.push(b'}');
    Ok(())
}

/// Write the line (without its newline) of an input that did not verify.
pub fn write_invalid(out: &mut Vec<u8>, code: &str, error: &str) {
    out.extend_from_slice(b"{\"valid\":false,\"code\":");
    write_str(out, code);
    out.extend_from_slice(b",\"error\":");
    write_str(out, error);
    out.push(b'}');
}

/// The name of a signature check in the result (as `VerifiedSession::to_json`).
fn check_name(c: SignatureCheck) -> &'static str {
    match c {
        SignatureCheck::Wallet => "wallet",
        SignatureCheck::ContractWallet => "contract-wallet",
        SignatureCheck::TrustedNetwork => "trusted-network-unchecked",
    }
}

/// An instant as `"YYYY-MM-DDTHH:MM:SS.mmmZ"` in UTC, as `to_iso_string` (which it calls for
/// years outside 0..=9999, whose spelling differs).
fn write_time(out: &mut Vec<u8>, t: OffsetDateTime) {
    let u = t.checked_to_offset(UtcOffset::UTC).unwrap_or(t);
    let Ok(year) = u16::try_from(u.year()) else {
        return write_str(out, &to_iso_string(t));
    };
    if year > 9999 {
        return write_str(out, &to_iso_string(t));
    }
    let mut b = *b"\"0000-00-00T00:00:00.000Z\"";
    let mut put = |at: usize, width: usize, mut v: u16| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(1, 4, year);
    put(6, 2, u16::from(u8::from(u.month())));
    put(9, 2, u16::from(u.day()));
    put(12, 2, u16::from(u.hour()));
    put(15, 2, u16::from(u.minute()));
    put(18, 2, u16::from(u.second()));
    put(21, 3, u.millisecond());
    out.extend_from_slice(&b);
}

/// A 32-byte hash as `"0x…"`, 64 lowercase hex digits (as `B256`'s `Display`).
fn write_hash(out: &mut Vec<u8>, h: &[u8; 32]) {
    out.extend_from_slice(b"\"0x");
    write_hex(out, h);
    out.push(b'"');
}

/// 32 bytes as 64 lowercase hex digits (alloy's vectorised hex, on the stack).
fn write_hex(out: &mut Vec<u8>, b: &[u8; 32]) {
    let mut buf = alloy_primitives::hex::Buffer::<32>::new();
    out.extend_from_slice(buf.format(b).as_bytes());
}

/// A JSON string, quoted and escaped.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_escaped(out, s);
    out.push(b'"');
}

/// The escapes of `serde_json` (its `CompactFormatter`): `"` and `\` with a backslash, the
/// control characters below U+0020 as `\b \t \n \f \r` or `\u00XX` (lowercase hex); nothing
/// else, so UTF-8 passes through unchanged. Runs of plain bytes are copied at once.
fn write_escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every one-character string (all of ASCII, some multi-byte) and mixtures escape as
    /// `serde_json` escapes them.
    #[test]
    fn escapes_match_serde_json() {
        let mut cases: Vec<String> = (0u8..=0x7f).map(|b| char::from(b).to_string()).collect();
        cases.extend(
            [
                "",
                "plain",
                "é",
                "日本",
                "🙂",
                "\u{2028}\u{2029}",
                "a\"b\\c\nd\u{1}e\u{1f}f\u{7f}",
                "https://127.0.0.1:7470/\"><script>",
                "\\\\\"\"",
            ]
            .map(String::from),
        );
        for s in cases {
            let mut ours = Vec::new();
            write_str(&mut ours, &s);
            let theirs = serde_json::to_string(&s).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), theirs, "{s:?}");
        }
    }

    /// Instants are spelled as `to_iso_string` spells them, at the edges of each field and
    /// outside the four-digit years, and when given in another offset.
    #[test]
    fn times_match_to_iso_string() {
        use time::macros::datetime;
        for t in [
            datetime!(2025-06-01 00:00:01.000 UTC),
            datetime!(1999-12-31 23:59:59.999 UTC),
            datetime!(0000-01-01 00:00:00 UTC),
            datetime!(9999-12-31 23:59:59.999999999 UTC),
            datetime!(2025-06-01 01:30:00.5 +02:00),
            datetime!(2025-01-01 00:00:00 -00:01),
            OffsetDateTime::UNIX_EPOCH
                + sessionsig::time::Duration::milliseconds(1_234_567_890_123),
        ] {
            let mut ours = Vec::new();
            write_time(&mut ours, t);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                format!("\"{}\"", to_iso_string(t))
            );
        }
    }

    /// An address is spelled as `to_checksum`, also when the remembered one is another.
    #[test]
    fn addresses_match_to_checksum() {
        let mut w = ResultWriter::default();
        let a = Address::from([0x19; 20]);
        let b = "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a"
            .parse::<Address>()
            .unwrap();
        for addr in [a, a, b, a, b, b] {
            let mut ours = Vec::new();
            w.address(&mut ours, addr);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                format!("\"{}\"", addr.to_checksum(None))
            );
        }
    }

    #[test]
    fn invalid_line_matches_the_json_tree() {
        for (code, error) in [
            (
                "invalid_json",
                "EOF while parsing a value at line 1 column 0",
            ),
            (
                "bad_session_signature",
                "quote \" backslash \\ tab \t nul \u{0}",
            ),
            ("x", "ünïcödé \u{1b}[31m"),
        ] {
            let mut ours = Vec::new();
            write_invalid(&mut ours, code, error);
            let tree = serde_json::json!({"valid": false, "code": code, "error": error});
            assert_eq!(String::from_utf8(ours).unwrap(), tree.to_string());
        }
    }
}
