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

use serde_json::Value;
use sessionsig::auth_sig::SignatureCheck;
use sessionsig::time::to_iso_string;
use sessionsig::verify::{GrantSource, VerifiedSession};

/// Write the line (without its newline) of a SessionSig that verified; `map_key` is the
/// SessionSigs map entry it was taken from, if any.
pub fn write_valid(
    out: &mut Vec<u8>,
    s: &VerifiedSession,
    map_key: Option<&str>,
) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"owner\":\"");
    out.extend_from_slice(s.owner().to_checksum_buffer(None).as_str().as_bytes());
    out.extend_from_slice(b"\",\"sessionKey\":");
    write_str(out, &s.session_key().to_hex());
    out.extend_from_slice(b",\"nodeAddress\":");
    write_str(out, s.node_address());
    out.extend_from_slice(b",\"issuedAt\":");
    write_str(out, &to_iso_string(s.issued_at()));
    out.extend_from_slice(b",\"expiration\":");
    write_str(out, &to_iso_string(s.expires_at()));
    out.extend_from_slice(b",\"capabilities\":[");
    for (i, g) in s.grants().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"resource\":\"");
        // `<prefix>://<id>`: the prefix is a fixed lowercase word, the id is escaped.
        out.extend_from_slice(g.resource.prefix().as_str().as_bytes());
        out.extend_from_slice(b"://");
        write_escaped(out, g.resource.id());
        out.extend_from_slice(b"\",\"ability\":");
        write_str(out, g.ability.as_str());
        out.extend_from_slice(b",\"grantedResource\":");
        write_str(out, &g.granted_resource);
        out.extend_from_slice(b",\"grantedAbility\":");
        write_str(out, &g.granted_ability);
        out.extend_from_slice(b",\"caveats\":");
        serde_json::to_writer(&mut *out, &g.caveats)?;
        out.extend_from_slice(b",\"grantedBy\":\"");
        out.extend_from_slice(g.granted_by.to_checksum_buffer(None).as_str().as_bytes());
        out.extend_from_slice(b"\",\"via\":");
        write_str(
            out,
            match g.source {
                GrantSource::SessionAuthSig { .. } => "session",
                GrantSource::Delegation { .. } => "delegation",
            },
        );
        out.extend_from_slice(b",\"chain\":[");
        for (j, h) in g.chain.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write_hash(out, h.as_slice());
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"],\"authSig\":{\"hash\":");
    write_hash(out, s.auth_sig_hash().as_slice());
    out.extend_from_slice(b",\"signature\":");
    write_str(out, check_name(s.auth_sig_check()));
    out.extend_from_slice(b"},\"delegations\":[");
    for (i, d) in s.delegations().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"delegator\":\"");
        out.extend_from_slice(d.delegator.to_checksum_buffer(None).as_str().as_bytes());
        out.extend_from_slice(b"\",\"uri\":");
        write_str(out, &d.uri);
        out.extend_from_slice(b",\"hash\":");
        write_hash(out, d.hash.as_slice());
        out.extend_from_slice(b",\"capability\":");
        // As the tree did: the capability's canonical JSON, read back as a value.
        let capability = d
            .capability
            .as_ref()
            .map(|c| serde_json::from_str::<Value>(&c.to_jcs()).unwrap_or(Value::Null));
        serde_json::to_writer(&mut *out, &capability)?;
        out.extend_from_slice(b",\"expiration\":");
        match d.expires_at {
            Some(t) => write_str(out, &to_iso_string(t)),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"signature\":");
        write_str(out, check_name(d.check));
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

/// A 32-byte hash as `"0x…"`, 64 lowercase hex digits (as `B256`'s `Display`).
fn write_hash(out: &mut Vec<u8>, h: &[u8]) {
    let mut buf = [0u8; 64];
    out.extend_from_slice(b"\"0x");
    match hex::encode_to_slice(h, &mut buf) {
        Ok(()) => out.extend_from_slice(&buf),
        // Only when `h` is not 32 bytes, which a `B256` always is.
        Err(_) => out.extend_from_slice(hex::encode(h).as_bytes()),
    }
    out.push(b'"');
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
