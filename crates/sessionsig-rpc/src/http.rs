//! [`JsonRpcContractWallets`]: the core's contract-wallet trait over blocking JSON-RPC (HTTP).

use crate::abi::{is_erc1271_magic, is_valid_signature_call, validator_call};
use crate::erc6492::Erc6492Signature;
use crate::error::{excerpt, RpcError};
use crate::MAX_SIGNATURE_BYTES;
use alloy_primitives::{Address, B256};
use serde_json::{json, Value};
use sessionsig::auth_sig::ContractWalletVerifier;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Default cap on an RPC response body (1 MiB): the largest answer asked for is
/// `eth_getCode` of a wallet, under 100 KB of hex even for EIP-7907-sized contracts.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Checks contract-wallet signatures (ERC-1271, ERC-6492) by asking each chain's JSON-RPC
/// endpoint, with a blocking HTTP client.
///
/// One URL per chain id; each check (all its requests: connect, send, receive) must finish
/// within the timeout; response bodies are capped; redirects are not followed; the usual
/// `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` variables are honoured. Before its first question to
/// an endpoint it checks that `eth_chainId` is the chain it is configured for (once per
/// endpoint, remembered on success; turn off with
/// [`with_chain_id_check`](Self::with_chain_id_check)). `Send + Sync`: share one per process
/// (connections are pooled). Calls block the calling thread; from async code run verification
/// on a blocking thread.
///
/// Its `Debug` output shows chain ids only: RPC URLs often carry an API key.
pub struct JsonRpcContractWallets {
    endpoints: HashMap<u64, String>,
    agent: ureq::Agent,
    timeout: Duration,
    max_response_bytes: usize,
    check_chain_id: bool,
    chain_ok: Mutex<HashSet<u64>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for JsonRpcContractWallets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut chains: Vec<_> = self.endpoints.keys().collect();
        chains.sort();
        f.debug_struct("JsonRpcContractWallets")
            .field("chains", &chains)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("check_chain_id", &self.check_chain_id)
            .finish_non_exhaustive()
    }
}

/// What an `eth_call` came back with.
enum CallOutcome {
    /// The returned bytes.
    Returned(Vec<u8>),
    /// The call reverted (a "no" from the contract).
    Reverted,
}

impl JsonRpcContractWallets {
    /// Endpoints as `(chain id, RPC URL)` pairs (`http://` or `https://`); `timeout` bounds each
    /// whole check (connect, send, receive, every request it makes). Fails on a URL that is not
    /// HTTP(S) or a zero timeout.
    pub fn new<U: Into<String>>(
        endpoints: impl IntoIterator<Item = (u64, U)>,
        timeout: Duration,
    ) -> Result<Self, RpcError> {
        let endpoints: HashMap<u64, String> = endpoints
            .into_iter()
            .map(|(chain_id, url)| (chain_id, url.into()))
            .collect();
        for (&chain_id, url) in &endpoints {
            check_url(chain_id, url)?;
        }
        if timeout.is_zero() {
            return Err(RpcError::ZeroTimeout);
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("sessionsig-rpc/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(JsonRpcContractWallets {
            endpoints,
            agent,
            timeout,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            check_chain_id: true,
            chain_ok: Mutex::new(HashSet::new()),
            next_id: AtomicU64::new(1),
        })
    }

    /// Cap response bodies at `bytes` (default [`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Check each endpoint's `eth_chainId` before using it (default on).
    pub fn with_chain_id_check(mut self, on: bool) -> Self {
        self.check_chain_id = on;
        self
    }

    /// The configured chain ids.
    pub fn chain_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.endpoints.keys().copied()
    }

    /// The configured timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// ERC-1271 / ERC-6492 check of `signature` over `digest` for the contract wallet `wallet` —
    /// what [`ContractWalletVerifier::is_valid_signature`] does, with this crate's error type.
    ///
    /// - A plain signature: `eth_call` of `isValidSignature(digest, signature)` on the wallet
    ///   (a revert, no code, or any answer but the magic value is `false`).
    /// - An ERC-6492 wrapped signature: if the wallet has code, ask it about the inner
    ///   signature; if it has none (or says no), ask the off-chain validator
    ///   ([`validate_offchain`](Self::validate_offchain)), which deploys it (or runs the
    ///   factory call) inside the call first.
    ///
    /// The whole check (up to four requests) finishes within the timeout or fails with
    /// [`RpcError::Timeout`].
    pub fn check(
        &self,
        chain_id: u64,
        wallet: Address,
        digest: B256,
        signature: &[u8],
    ) -> Result<bool, RpcError> {
        check_size(signature)?;
        let wrapped = Erc6492Signature::decode(signature)?;
        let ask = self.ask(chain_id)?;
        match wrapped {
            None => ask.erc1271(wallet, digest, signature),
            Some(wrapped) => {
                if ask.has_code(wallet)? && ask.erc1271(wallet, digest, &wrapped.signature)? {
                    return Ok(true);
                }
                ask.validator(wallet, digest, signature)
            }
        }
    }

    /// The ERC-6492 universal check in one `eth_call` with no `to` (the validator's creation
    /// code + `(signer, digest, signature)`): ERC-6492 wrapped signatures, ERC-1271 for signers
    /// with code, and `ecrecover` for signers without (a plain 65-byte EOA signature of
    /// `digest`). Needs an endpoint that executes contract-creation `eth_call`s (all common
    /// node software does). A revert of the validator (a wrapper that is not valid ABI) is
    /// `false`.
    pub fn validate_offchain(
        &self,
        chain_id: u64,
        signer: Address,
        digest: B256,
        signature: &[u8],
    ) -> Result<bool, RpcError> {
        check_size(signature)?;
        self.ask(chain_id)?.validator(signer, digest, signature)
    }

    /// Does `address` have code on `chain_id` (`eth_getCode` at `latest`)?
    pub fn has_code(&self, chain_id: u64, address: Address) -> Result<bool, RpcError> {
        self.ask(chain_id)?.has_code(address)
    }

    /// Start asking the endpoint of `chain_id`: the clock starts, the chain id is checked.
    fn ask(&self, chain_id: u64) -> Result<Ask<'_>, RpcError> {
        let url = self
            .endpoints
            .get(&chain_id)
            .ok_or(RpcError::UnknownChain(chain_id))?;
        let ask = Ask {
            rpc: self,
            chain_id,
            url,
            deadline: Instant::now() + self.timeout,
        };
        if self.check_chain_id && !self.chain_ok.lock().is_ok_and(|s| s.contains(&chain_id)) {
            let actual = quantity(chain_id, &ask.post("eth_chainId", json!([]))?)?;
            if actual != chain_id {
                return Err(RpcError::WrongChain {
                    configured: chain_id,
                    actual,
                });
            }
            if let Ok(mut s) = self.chain_ok.lock() {
                s.insert(chain_id);
            }
        }
        Ok(ask)
    }
}

/// One check against one endpoint, all of it before `deadline`.
struct Ask<'a> {
    rpc: &'a JsonRpcContractWallets,
    chain_id: u64,
    url: &'a str,
    deadline: Instant,
}

impl Ask<'_> {
    fn has_code(&self, address: Address) -> Result<bool, RpcError> {
        let result = self.post("eth_getCode", json!([format!("{address:#x}"), "latest"]))?;
        Ok(!hex_data(self.chain_id, &result)?.is_empty())
    }

    fn erc1271(&self, wallet: Address, digest: B256, signature: &[u8]) -> Result<bool, RpcError> {
        let data = is_valid_signature_call(digest, signature);
        Ok(match self.eth_call(Some(wallet), &data)? {
            CallOutcome::Returned(answer) => is_erc1271_magic(&answer),
            CallOutcome::Reverted => false,
        })
    }

    fn validator(&self, signer: Address, digest: B256, signature: &[u8]) -> Result<bool, RpcError> {
        let data = validator_call(signer, digest, signature);
        match self.eth_call(None, &data)? {
            CallOutcome::Reverted => Ok(false),
            CallOutcome::Returned(r) => match r.as_slice() {
                [1] => Ok(true),
                [0] => Ok(false),
                other => Err(RpcError::BadResponse {
                    chain_id: self.chain_id,
                    reason: format!(
                        "the ERC-6492 validator returned {} bytes instead of one",
                        other.len()
                    ),
                }),
            },
        }
    }

    fn eth_call(&self, to: Option<Address>, data: &[u8]) -> Result<CallOutcome, RpcError> {
        let data = format!("0x{}", hex::encode(data));
        let tx = match to {
            Some(to) => json!({ "to": format!("{to:#x}"), "data": data }),
            None => json!({ "data": data }),
        };
        match self.post("eth_call", json!([tx, "latest"])) {
            Ok(result) => Ok(CallOutcome::Returned(hex_data(self.chain_id, &result)?)),
            Err(RpcError::Rpc { code, message, .. }) if is_revert(code, &message) => {
                Ok(CallOutcome::Reverted)
            }
            Err(e) => Err(e),
        }
    }

    /// POST one JSON-RPC 2.0 request with what is left of the time; the `result`, or the error.
    fn post(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let chain_id = self.chain_id;
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.timed_out());
        }
        let id = self.rpc.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let body = serde_json::to_vec(&body).map_err(|e| RpcError::BadResponse {
            chain_id,
            reason: format!("could not encode the request: {e}"),
        })?;
        let mut response = self
            .rpc
            .agent
            .post(self.url)
            .config()
            .timeout_global(Some(left))
            .build()
            .header("content-type", "application/json")
            .send(&body[..])
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(RpcError::HttpStatus { chain_id, status });
        }
        let limit = self.rpc.max_response_bytes;
        let bytes = response
            .body_mut()
            .with_config()
            .limit(u64::try_from(limit).unwrap_or(u64::MAX))
            .read_to_vec()
            .map_err(|e| self.transport_error(e))?;
        let reply: Value = serde_json::from_slice(&bytes).map_err(|_| RpcError::BadResponse {
            chain_id,
            reason: format!(
                "not JSON: `{}`",
                excerpt(&String::from_utf8_lossy(&bytes), 80)
            ),
        })?;
        parse_reply(chain_id, id, reply)
    }

    fn timed_out(&self) -> RpcError {
        RpcError::Timeout {
            chain_id: self.chain_id,
            timeout: self.rpc.timeout,
        }
    }

    fn transport_error(&self, e: ureq::Error) -> RpcError {
        let chain_id = self.chain_id;
        match e {
            ureq::Error::Timeout(_) => self.timed_out(),
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                self.timed_out()
            }
            ureq::Error::BodyExceedsLimit(_) => RpcError::ResponseTooLarge {
                chain_id,
                limit: self.rpc.max_response_bytes,
            },
            ureq::Error::StatusCode(status) => RpcError::HttpStatus { chain_id, status },
            // ureq's messages for the rest (connection refused, DNS, TLS, protocol) do not name
            // the URL's path or query, where API keys live; keep them short anyway.
            other => RpcError::Unreachable {
                chain_id,
                reason: excerpt(&other.to_string(), 160),
            },
        }
    }
}

impl ContractWalletVerifier for JsonRpcContractWallets {
    fn is_valid_signature(
        &self,
        chain_id: u64,
        wallet: Address,
        digest: B256,
        signature: &[u8],
    ) -> sessionsig::Result<bool> {
        Ok(self.check(chain_id, wallet, digest, signature)?)
    }
}

fn check_size(signature: &[u8]) -> Result<(), RpcError> {
    if signature.len() > MAX_SIGNATURE_BYTES {
        return Err(RpcError::SignatureTooLarge(signature.len()));
    }
    Ok(())
}

/// An `http://` or `https://` endpoint with a host, parsed by the one URL type
/// ([`sessionsig::url::EndpointUrl`]).
fn check_url(chain_id: u64, url: &str) -> Result<(), RpcError> {
    sessionsig::url::EndpointUrl::parse(url)
        .map(|_| ())
        .map_err(|e| RpcError::InvalidUrl {
            chain_id,
            reason: match e {
                sessionsig::error::Error::InvalidUrl { reason, .. } => reason.into(),
                _ => "not a URL".into(),
            },
        })
}

/// A node's way of saying "the call reverted": geth and most others answer code 3
/// ("execution reverted", with the revert data); some use -32000 / -32015 with a message
/// mentioning the revert.
fn is_revert(code: i64, message: &str) -> bool {
    code == 3 || message.to_ascii_lowercase().contains("revert")
}

/// The `result` of a JSON-RPC 2.0 reply to request `id`, or its `error`.
fn parse_reply(chain_id: u64, id: u64, reply: Value) -> Result<Value, RpcError> {
    let bad = |reason: String| RpcError::BadResponse { chain_id, reason };
    let Value::Object(mut reply) = reply else {
        return Err(bad("not a JSON-RPC object".into()));
    };
    if reply.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(bad("not JSON-RPC 2.0".into()));
    }
    if reply.get("id").and_then(Value::as_u64) != Some(id) {
        return Err(bad("the reply is for another request id".into()));
    }
    if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(RpcError::Rpc {
            chain_id,
            code,
            message: excerpt(message, 200),
        });
    }
    reply
        .remove("result")
        .ok_or_else(|| bad("neither result nor error".into()))
}

/// `0x`-prefixed hex data (even length, possibly empty).
fn hex_data(chain_id: u64, v: &Value) -> Result<Vec<u8>, RpcError> {
    let bad = || RpcError::BadResponse {
        chain_id,
        reason: format!(
            "expected 0x-prefixed hex data, got `{}`",
            excerpt(&v.to_string(), 80)
        ),
    };
    let s = v.as_str().ok_or_else(bad)?;
    let digits = s.strip_prefix("0x").ok_or_else(bad)?;
    hex::decode(digits).map_err(|_| bad())
}

/// A `0x`-prefixed hex quantity that fits in a `u64`.
fn quantity(chain_id: u64, v: &Value) -> Result<u64, RpcError> {
    let bad = || RpcError::BadResponse {
        chain_id,
        reason: format!(
            "expected a hex quantity, got `{}`",
            excerpt(&v.to_string(), 80)
        ),
    };
    let digits = v
        .as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .filter(|d| !d.is_empty() && d.len() <= 16)
        .ok_or_else(bad)?;
    u64::from_str_radix(digits, 16).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http() {
        let t = Duration::from_secs(1);
        for ok in ["http://127.0.0.1:8545", "https://rpc.example/v3/KEY"] {
            assert!(
                JsonRpcContractWallets::new([(1, ok.to_string())], t).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "ws://x",
            "127.0.0.1:8545",
            "",
            "http://",
            "file:///etc/passwd",
        ] {
            let e = JsonRpcContractWallets::new([(1, bad.to_string())], t).unwrap_err();
            assert!(
                matches!(e, RpcError::InvalidUrl { chain_id: 1, .. }),
                "{bad}: {e}"
            );
        }
        assert!(JsonRpcContractWallets::new([(1, "http://x")], Duration::ZERO).is_err());
    }

    #[test]
    fn debug_hides_urls() {
        let rpc = JsonRpcContractWallets::new(
            [(1, "https://rpc.example/v3/SECRETKEY".to_string())],
            Duration::from_secs(1),
        )
        .unwrap();
        let d = format!("{rpc:?}");
        assert!(d.contains("chains: [1]") && !d.contains("SECRET"), "{d}");
    }

    #[test]
    fn unknown_chain_is_refused_without_io() {
        let rpc =
            JsonRpcContractWallets::new([(1, "http://x".to_string())], Duration::from_secs(1))
                .unwrap();
        let e = rpc.check(5, Address::ZERO, B256::ZERO, &[]).unwrap_err();
        assert_eq!(e, RpcError::UnknownChain(5));
        let e = rpc
            .check(
                1,
                Address::ZERO,
                B256::ZERO,
                &vec![0; MAX_SIGNATURE_BYTES + 1],
            )
            .unwrap_err();
        assert!(matches!(e, RpcError::SignatureTooLarge(_)));
    }

    #[test]
    fn replies() {
        let ok = json!({"jsonrpc": "2.0", "id": 7, "result": "0x01"});
        assert_eq!(parse_reply(1, 7, ok.clone()).unwrap(), json!("0x01"));
        assert!(parse_reply(1, 8, ok).is_err(), "wrong id");
        let err = json!({"jsonrpc": "2.0", "id": 7, "error": {"code": 3, "message": "execution reverted"}});
        let e = parse_reply(1, 7, err).unwrap_err();
        assert!(matches!(&e, RpcError::Rpc { code: 3, message, .. } if is_revert(3, message)));
        assert!(parse_reply(1, 7, json!({"jsonrpc": "2.0", "id": 7})).is_err());
        assert!(parse_reply(1, 7, json!([1])).is_err());
        assert!(
            parse_reply(1, 7, json!({"id": 7, "result": "0x"})).is_err(),
            "no jsonrpc"
        );
    }

    #[test]
    fn hex_and_quantities() {
        assert_eq!(hex_data(1, &json!("0x")).unwrap(), Vec::<u8>::new());
        assert_eq!(hex_data(1, &json!("0x0102")).unwrap(), vec![1, 2]);
        for bad in [json!("0x1"), json!("01"), json!(1), json!("0xzz")] {
            assert!(hex_data(1, &bad).is_err(), "{bad}");
        }
        assert_eq!(quantity(1, &json!("0x7a69")).unwrap(), 31337);
        for bad in [
            json!("0x"),
            json!("7a69"),
            json!("0x1ffffffffffffffff"),
            json!(5),
        ] {
            assert!(quantity(1, &bad).is_err(), "{bad}");
        }
        assert!(!is_revert(-32601, "method not found"));
        assert!(is_revert(-32000, "Execution Reverted: nope"));
    }
}
