//! `sessionsig verify --eth-rpc`: SessionSigs whose AuthSig a contract wallet (an ERC-1271
//! `OwnedWallet` on a real EVM behind a local JSON-RPC endpoint, `sessionsig-testchain`)
//! signed, verified by the built binary.

use alloy_primitives::Address;
use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{parse_rfc3339, Duration, OffsetDateTime, Timestamp};
use sessionsig_testchain::evm::Chain;
use sessionsig_testchain::server::{dead_url, evm_server, Server};
use sessionsig_testchain::{artifact, eip1271, word_address, ContractWalletSigner, Key, CHAIN_ID};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const NODE: &str = "https://127.0.0.1:7470";

fn at() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T12:00:00Z").expect("time")
}

/// A chain with an `OwnedWallet` owned by key `0x11…`, served over JSON-RPC.
fn chain() -> (Server, Address, Key, Key) {
    let chain = Arc::new(Mutex::new(Chain::new()));
    let owner = Key::from_byte(0x11);
    let wallet = chain.lock().expect("chain").deploy(
        &artifact("OwnedWallet").bytecode,
        &word_address(owner.address),
    );
    (evm_server(&chain), wallet, owner, Key::from_byte(0x22))
}

/// One SessionSig (JSON) for `NODE` whose session AuthSig the wallet "signed" with `signer`.
fn session_sig(wallet: Address, signer: &Key) -> String {
    session_lines(wallet, signer, 1)
}

/// `n` SessionSigs (JSON Lines) of ONE session: one key, one AuthSig the wallet "signed" with
/// `signer`, issued a second apart.
fn session_lines(wallet: Address, signer: &Key, n: i64) -> String {
    let key = SessionKeyPair::generate();
    let mut grants = Capability::new();
    grants
        .add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])
        .expect("grant");
    let auth_sig = eip1271(
        AuthSig::create(
            &ContractWalletSigner {
                wallet,
                owner: signer,
            },
            &SiweRecapParams {
                domain: "localhost".into(),
                uri: SiweRecapParams::session_uri(&key.public_hex()),
                statement: None,
                nonce: "clicontract01".into(),
                chain_id: CHAIN_ID,
                issued_at: Timestamp::from_instant(at() - Duration::hours(1)),
                expiration: Some(Timestamp::from_instant(at() + Duration::hours(1))),
                not_before: None,
                capability: grants,
            },
        )
        .expect("AuthSig"),
    );
    let reqs = [ResourceAbilityRequest::new(
        LitResource::parse("lit-pkp://*").expect("resource"),
        LitAbility::PkpSigning,
    )
    .expect("request")];
    let line = |i: i64| {
        let sigs = key
            .sign_session_sigs(
                &SessionSigParams {
                    requests: &reqs,
                    capabilities: std::slice::from_ref(&auth_sig),
                    issued_at: at() - Duration::minutes(1) + Duration::seconds(i),
                    expiration: at() + Duration::minutes(10),
                    format: WireFormat::V7,
                },
                &[NODE],
            )
            .expect("SessionSigs");
        serde_json::to_string(sigs.get(NODE).expect("entry")).expect("json")
    };
    (0..n).map(line).collect::<Vec<_>>().join("\n")
}

/// [`session_sig`] written to `dir/name`.
fn session_file(dir: &Path, name: &str, wallet: Address, signer: &Key) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, session_sig(wallet, signer)).expect("write");
    path
}

fn verify(file: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionsig"))
        .args(["verify", "--node", NODE, "--at", "2025-06-01T12:00:00Z"])
        .args(extra)
        .arg(file)
        .output()
        .expect("run sessionsig")
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn contract_wallet_sessions_verify_with_eth_rpc() {
    let (server, wallet, owner, stranger) = chain();
    let dir = tempfile::tempdir().expect("dir");
    let good = session_file(dir.path(), "good.json", wallet, &owner);
    let forged = session_file(dir.path(), "forged.json", wallet, &stranger);
    let flag = format!("{CHAIN_ID}={}", server.url);

    // With the chain: valid, in the wallet's name; the chain was asked.
    let o = verify(&good, &["--eth-rpc", &flag]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = lines(&o);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["valid"], true, "{}", out[0]);
    assert_eq!(out[0]["owner"], wallet.to_checksum(None));
    assert_eq!(out[0]["authSig"]["signature"], "contract-wallet");
    assert!(server.methods().iter().any(|m| m == "eth_call"));

    // Signed by a key the wallet does not know: refused by the wallet.
    let o = verify(&forged, &["--eth-rpc", &flag]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        lines(&o)[0]["code"],
        "contract_wallet_invalid",
        "{:?}",
        lines(&o)
    );

    // Without --eth-rpc: refused, the chain not asked.
    let asked = server.methods().len();
    let o = verify(&good, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(lines(&o)[0]["code"], "unsupported_derived_via");
    assert_eq!(server.methods().len(), asked);
}

#[test]
fn an_unreachable_endpoint_is_unavailable_and_its_credentials_are_never_printed() {
    let (_server, wallet, owner, _) = chain();
    let dir = tempfile::tempdir().expect("dir");
    let good = session_file(dir.path(), "good.json", wallet, &owner);
    let dead = dead_url().replace("http://", "http://rpcuser:s3cret@");
    let flag = format!("{CHAIN_ID}={dead}v3/APIKEY123");
    let o = verify(&good, &["--eth-rpc", &flag, "--eth-rpc-timeout-ms", "2000"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(lines(&o)[0]["code"], "contract_wallet_unavailable");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    for secret in ["s3cret", "rpcuser", "APIKEY123"] {
        assert!(!all.contains(secret), "{secret} printed: {all}");
    }
    // Bad flags are usage errors (exit 2), the URL redacted.
    for bad in [
        "ftp://rpcuser:s3cret@eth.example/APIKEY123".to_string(),
        "https://rpcuser:s3cret@eth.example/APIKEY123".to_string(),
        "0=https://rpcuser:s3cret@eth.example/APIKEY123".to_string(),
        format!("{CHAIN_ID}=ftp://rpcuser:s3cret@eth.example/APIKEY123"),
    ] {
        let o = verify(&good, &["--eth-rpc", &bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("error[usage]"), "{err}");
        for secret in ["s3cret", "rpcuser", "APIKEY123"] {
            assert!(!err.contains(secret), "{secret} printed: {err}");
        }
    }
}

#[test]
fn one_contract_wallet_session_asks_its_chain_once_however_many_lines() {
    // `verify` caches most AuthSigs only from their second sighting on; a contract wallet's
    // answer is kept at once, so a second line never asks the chain again.
    let (server, wallet, owner, _) = chain();
    let dir = tempfile::tempdir().expect("dir");
    let flag = format!("{CHAIN_ID}={}", server.url);
    let asked_for = |name: &str, n: i64| {
        let path = dir.path().join(name);
        std::fs::write(&path, session_lines(wallet, &owner, n)).expect("write");
        let before = server.methods().len();
        let o = verify(&path, &["--eth-rpc", &flag]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = lines(&o);
        assert_eq!(out.len() as i64, n);
        assert!(out.iter().all(|l| l["valid"] == true), "{out:?}");
        server.methods().len() - before
    };
    let one = asked_for("one.jsonl", 1);
    assert!(one > 0, "the chain was asked");
    assert_eq!(asked_for("three.jsonl", 3), one);
}
