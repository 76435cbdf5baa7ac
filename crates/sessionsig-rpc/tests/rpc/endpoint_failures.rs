//! An RPC endpoint that is down, slow, or answers nonsense gives `contract_wallet_unavailable`
//! (the chain could not be asked; not "the signature is invalid"), quickly, with a message that says what went wrong and never the URL.

use alloy_primitives::{Address, B256};
use sessionsig::auth_sig::{AuthSig, AuthSigPolicy, DERIVED_VIA_EIP1271};
use sessionsig_rpc::{JsonRpcContractWallets, RpcError};
use sessionsig_testchain::evm::Chain;
use sessionsig_testchain::server::{dead_url, evm_server, Behaviour, Server};
use sessionsig_testchain::CHAIN_ID;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_millis(400);

fn rpc(url: &str) -> JsonRpcContractWallets {
    JsonRpcContractWallets::new([(CHAIN_ID, url.to_string())], TIMEOUT).unwrap()
}

/// An EIP1271 AuthSig for some wallet on the test chain (its validity is never reached).
fn contract_auth_sig() -> AuthSig {
    let wallet = Address::repeat_byte(0x77);
    let text = format!(
        "localhost wants you to sign in with your Ethereum account:\n{}\n\n\nURI: https://app.example/\nVersion: 1\nChain ID: {CHAIN_ID}\nNonce: 0123456789abcdef\nIssued At: 2024-01-01T00:00:00Z",
        wallet.to_checksum(None)
    );
    AuthSig {
        sig: format!("0x{}", "ab".repeat(65)),
        derived_via: DERIVED_VIA_EIP1271.into(),
        signed_message: text,
        address: wallet.to_checksum(None),
        algo: None,
    }
}

/// Verify through the core; the core error, the crate error, and how long it took.
fn attempt(url: &str) -> (sessionsig::Error, RpcError, Duration) {
    let rpc = rpc(url);
    let started = Instant::now();
    let e = contract_auth_sig()
        .verify(
            sessionsig::time::OffsetDateTime::now_utc(),
            &AuthSigPolicy {
                contract_wallets: Some(&rpc),
                ..AuthSigPolicy::default()
            },
        )
        .unwrap_err();
    let took = started.elapsed();
    let direct = rpc
        .check(
            CHAIN_ID,
            Address::repeat_byte(0x77),
            B256::ZERO,
            &[0xab; 65],
        )
        .unwrap_err();
    assert_eq!(e.code(), "contract_wallet_unavailable", "{e}");
    assert!(
        !e.to_string().contains("127.0.0.1"),
        "no URL in errors: {e}"
    );
    (e, direct, took)
}

#[test]
fn endpoint_down() {
    let (e, direct, _) = attempt(&dead_url());
    assert!(
        matches!(
            direct,
            RpcError::Unreachable {
                chain_id: CHAIN_ID,
                ..
            }
        ),
        "{direct}"
    );
    assert!(e.to_string().contains("unreachable"), "{e}");
}

#[test]
fn endpoint_hangs_until_the_timeout() {
    let server = Server::start(Behaviour::Hang);
    let (e, direct, took) = attempt(&server.url);
    assert_eq!(
        direct,
        RpcError::Timeout {
            chain_id: CHAIN_ID,
            timeout: TIMEOUT
        }
    );
    // The error kind is the bound (no wall-clock ceiling asserted): it gave up, and not early.
    assert!(took >= TIMEOUT, "{took:?}");
    assert!(e.to_string().contains("did not answer within 400ms"), "{e}");
}

#[test]
fn endpoint_answers_garbage() {
    let server = Server::start(Behaviour::Garbage);
    let (e, direct, _) = attempt(&server.url);
    assert!(matches!(direct, RpcError::BadResponse { .. }), "{direct}");
    assert!(e.to_string().contains("not JSON"), "{e}");

    let server = Server::start(Behaviour::NotJsonRpc);
    let (_, direct, _) = attempt(&server.url);
    assert!(matches!(direct, RpcError::BadResponse { .. }), "{direct}");
}

#[test]
fn endpoint_answers_http_errors() {
    for status in [500, 429, 404, 301] {
        let server = Server::start(Behaviour::Status(status));
        let (_, direct, _) = attempt(&server.url);
        assert_eq!(
            direct,
            RpcError::HttpStatus {
                chain_id: CHAIN_ID,
                status
            }
        );
    }
}

#[test]
fn endpoint_answers_too_much() {
    let server = Server::start(Behaviour::Huge(3 * 1024 * 1024));
    let (e, direct, _) = attempt(&server.url);
    assert_eq!(
        direct,
        RpcError::ResponseTooLarge {
            chain_id: CHAIN_ID,
            limit: sessionsig_rpc::DEFAULT_MAX_RESPONSE_BYTES
        }
    );
    assert!(e.to_string().contains("larger than"), "{e}");
    // A smaller cap applies to ordinary answers too.
    let chain = Arc::new(Mutex::new(Chain::new()));
    let ok = evm_server(&chain);
    let tiny = rpc(&ok.url).with_max_response_bytes(10);
    assert!(matches!(
        tiny.has_code(CHAIN_ID, Address::ZERO).unwrap_err(),
        RpcError::ResponseTooLarge { limit: 10, .. }
    ));
}

#[test]
fn endpoint_answers_json_rpc_errors() {
    let server = Server::start(Behaviour::RpcError(-32005));
    let (e, direct, _) = attempt(&server.url);
    assert!(
        matches!(&direct, RpcError::Rpc { code: -32005, message, .. } if message == "upstream rate limit exceeded"),
        "{direct}"
    );
    assert!(e.to_string().contains("-32005"), "{e}");
}

#[test]
fn endpoint_serves_another_chain() {
    let chain = Arc::new(Mutex::new(Chain::new()));
    let server = Server::start(Behaviour::Evm { chain, chain_id: 1 });
    let (e, direct, _) = attempt(&server.url);
    assert_eq!(
        direct,
        RpcError::WrongChain {
            configured: CHAIN_ID,
            actual: 1
        }
    );
    assert!(e.to_string().contains("serves chain 1"), "{e}");
    // Only eth_chainId was ever asked (twice: a failed check is not remembered).
    assert_eq!(server.methods(), ["eth_chainId", "eth_chainId"]);
    // With the check off, the question goes through (and the wallet, absent, says no).
    let unchecked = rpc(&server.url).with_chain_id_check(false);
    assert!(!unchecked
        .check(
            CHAIN_ID,
            Address::repeat_byte(0x77),
            B256::ZERO,
            &[0xab; 65]
        )
        .unwrap());
}

#[test]
fn the_timeout_bounds_the_whole_check_not_each_request() {
    // Each answer takes 150 ms; an ERC-6492 check of a wallet without code makes three requests
    // (eth_chainId, eth_getCode, eth_call): 450 ms > the 400 ms the whole check may take.
    let chain = Arc::new(Mutex::new(Chain::new()));
    let server = Server::start(Behaviour::Slow {
        chain,
        delay: Duration::from_millis(150),
    });
    let rpc = rpc(&server.url);
    let wrapped = sessionsig_rpc::erc6492::Erc6492Signature {
        factory: Address::repeat_byte(0xfa),
        factory_calldata: vec![1, 2, 3],
        signature: vec![0xab; 65],
    }
    .encode();
    let started = Instant::now();
    let e = rpc
        .check(CHAIN_ID, Address::repeat_byte(0x77), B256::ZERO, &wrapped)
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, RpcError::Timeout { .. }), "{e}");
    // The error kind is the bound (no wall-clock ceiling asserted): it gave up, and not early.
    assert!(took >= TIMEOUT, "{took:?}");
    // A plain signature (the chain id is remembered now: one request) fits.
    assert!(!rpc
        .check(
            CHAIN_ID,
            Address::repeat_byte(0x77),
            B256::ZERO,
            &[0xab; 65]
        )
        .unwrap());
}
