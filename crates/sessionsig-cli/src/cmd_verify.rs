//! `sessionsig verify`: verify SessionSigs for one node, streaming any number of inputs.

use crate::args::{parse_time, RequestArg};
use crate::error::{CliError, CliResult};
use crate::verify_output::{self, ResultWriter};
use serde_json::Value;
use sessionsig::auth_sig::ContractWalletVerifier;
use sessionsig::session::SessionSig;
use sessionsig::time::{Clock, Duration, FixedClock, OffsetDateTime, SystemClock};
use sessionsig::verify::{
    AuthSigCache, Policy, Request, UnverifiedSessionSig, Verifier, DEFAULT_CACHE_CAPACITY,
};
use sessionsig_node::config::parse_eth_rpc_flag;
use sessionsig_node::redact::redact_url;
use sessionsig_rpc::JsonRpcContractWallets;
use std::io::{BufRead, BufReader, Read, Write};
use std::mem::ManuallyDrop;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// What `sessionsig verify` does, in `--help`.
pub const ABOUT: &str = "Verify SessionSigs (one, a map, or JSON Lines of either) for a node";

/// Arguments of `verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// This node's URL: the `nodeAddress` that is accepted.
    #[arg(long)]
    node: String,
    /// Verify as of this RFC 3339 instant (default: now).
    #[arg(long, value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// The operation being performed, RESOURCE=ABILITY (must be among the SessionSig's requests).
    #[arg(long = "request", value_name = "RESOURCE=ABILITY")]
    requests: Vec<RequestArg>,
    /// Allowed clock skew in seconds.
    #[arg(long, default_value_t = 60)]
    skew: i64,
    /// Maximum session lifetime in seconds (default 30 days).
    #[arg(long, default_value_t = 30 * 24 * 3600)]
    max_lifetime: i64,
    /// Accept Lit network-signed (`lit.bls`) session AuthSigs WITHOUT checking their BLS
    /// signature. Only for a node that trusts the Lit network.
    #[arg(long)]
    trust_lit_bls: bool,
    /// Check contract-wallet (`EIP1271`, ERC-6492) AuthSigs of chain CHAIN_ID by asking this
    /// JSON-RPC endpoint (repeatable, one per chain). Without it they are refused
    /// (`unsupported_derived_via`). The URL may hold an API key: it is never printed whole.
    #[arg(long = "eth-rpc", value_name = "CHAIN_ID=URL")]
    eth_rpc: Vec<EthRpc>,
    /// Bound on one contract-wallet check (every JSON-RPC request it makes), milliseconds.
    #[arg(long, default_value_t = 5000)]
    eth_rpc_timeout_ms: u64,
    /// Input: one SessionSig, a SessionSigs map, or JSON Lines of either (stdin when absent).
    file: Option<PathBuf>,
}

/// One `--eth-rpc` value, as given: checked in `contract_wallets`, not by clap, whose
/// errors would quote it whole. Its `Debug` hides the URL (it may carry an API key).
#[derive(Clone)]
pub struct EthRpc(String);

impl std::str::FromStr for EthRpc {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(EthRpc(s.to_owned()))
    }
}

impl std::fmt::Debug for EthRpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EthRpc").field(&redact_url(&self.0)).finish()
    }
}

/// The contract-wallet verifier of the `--eth-rpc` flags, if any.
fn contract_wallets(a: &Args) -> CliResult<Option<Arc<dyn ContractWalletVerifier>>> {
    if a.eth_rpc.is_empty() {
        return Ok(None);
    }
    let mut endpoints: Vec<(u64, String)> = Vec::with_capacity(a.eth_rpc.len());
    for EthRpc(flag) in &a.eth_rpc {
        // The node's parser: its errors show the URL redacted.
        let (chain_id, url) =
            parse_eth_rpc_flag(flag).map_err(|e| CliError::usage(e.to_string()))?;
        if endpoints.iter().any(|(c, _)| *c == chain_id) {
            return Err(CliError::usage(format!(
                "--eth-rpc: chain {chain_id} is given more than once"
            )));
        }
        endpoints.push((chain_id, url));
    }
    let timeout = std::time::Duration::from_millis(a.eth_rpc_timeout_ms);
    // The client's errors name the chain id, never the URL.
    let rpc = JsonRpcContractWallets::new(endpoints, timeout)
        .map_err(|e| CliError::usage(format!("--eth-rpc: {e}")))?;
    Ok(Some(Arc::new(rpc)))
}

/// `v` with the CLI's cache, checking contract wallets with `chains` when there are any.
///
/// The cache keeps an AuthSig from its second sighting on: a stream of one session's
/// SessionSigs pays one more recovery (on its second line), and a stream from many wallets
/// (each AuthSig once) keeps nothing it would never read — ≈ 3 KB allocated and faulted in per
/// line; a 400-line cold run costs 1.26 ms (3 %) less CPU (median of 20 alternated pairs,
/// 2026-12-04).
fn for_the_cli<C: Clock>(
    v: Verifier<C>,
    chains: &Option<Arc<dyn ContractWalletVerifier>>,
) -> Verifier<C> {
    let cache = AuthSigCache::new(DEFAULT_CACHE_CAPACITY).admit_on_second_sighting();
    let v = v.with_cache(Arc::new(cache));
    match chains {
        Some(c) => v.with_contract_wallets(c.clone()),
        None => v,
    }
}

/// Verify every input; one JSON line per input; exit 0 only when all are valid.
pub fn run(a: Args) -> CliResult<ExitCode> {
    let chains = contract_wallets(&a)?;
    let policy = Policy {
        skew: Duration::seconds(a.skew),
        max_lifetime: Duration::seconds(a.max_lifetime),
        trust_lit_bls: a.trust_lit_bls,
        ..Policy::default()
    };
    let mut request = Request::any();
    for r in &a.requests {
        let lr = r.lit_request()?;
        request = request.and(lr.resource, lr.ability);
    }
    let reader: Box<dyn Read> = match &a.file {
        Some(p) if p.as_os_str() != "-" => {
            Box::new(std::fs::File::open(p).map_err(|e| CliError::io(&p.display().to_string(), e))?)
        }
        _ => Box::new(std::io::stdin()),
    };
    let reader = BufReader::with_capacity(1 << 16, reader);
    let stdout = std::io::stdout();
    let out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    // The verifier is never dropped: the process ends right after, and freeing its cache
    // entry by entry (every AuthSig of a cold run: thousands of allocations) is work nobody
    // needs (≈ 1 % of a cold run's instructions, callgrind).
    let (seen, all_valid) = match a.at {
        Some(at) => {
            let verifier = for_the_cli(Verifier::new(&a.node, policy, FixedClock(at))?, &chains);
            verify_stream(&ManuallyDrop::new(verifier), &request, reader, out)?
        }
        None => {
            let verifier = for_the_cli(Verifier::new(&a.node, policy, SystemClock)?, &chains);
            verify_stream(&ManuallyDrop::new(verifier), &request, reader, out)?
        }
    };
    if seen == 0 {
        return Err(CliError {
            code: "empty_input",
            message: "no SessionSig in the input".into(),
            exit: 1,
        });
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Verify every input of `reader`, writing one line each to `out`: (inputs seen, all valid).
fn verify_stream<C: Clock>(
    verifier: &Verifier<C>,
    request: &Request,
    reader: impl BufRead,
    mut out: impl Write,
) -> CliResult<(usize, bool)> {
    let mut all_valid = true;
    let mut seen = 0usize;
    // One line buffer for the whole run: each result is written into it, then copied out.
    let mut line = Vec::with_capacity(1024);
    let mut writer = ResultWriter::default();
    for_each_input(reader, |input| {
        seen += 1;
        line.clear();
        all_valid &= verify_one(verifier, request, input, &mut writer, &mut line)?;
        line.push(b'\n');
        out.write_all(&line).map_err(|e| CliError::io("stdout", e))
    })?;
    out.flush().map_err(|e| CliError::io("stdout", e))?;
    Ok((seen, all_valid))
}

/// One input, as read.
enum Input<'a> {
    /// A complete JSON value that is a SessionSig object, already parsed.
    SessionSig(SessionSig),
    /// The text of a complete JSON value that is not known to be a SessionSig: a SessionSigs
    /// map, a SessionSig over several lines, or something to refuse.
    Other {
        /// The value's text.
        text: &'a str,
        /// Whether it was already tried (and failed) as a SessionSig.
        tried_session_sig: bool,
    },
    /// Not JSON at all: the parser's message.
    NotJson(String),
}

/// Read JSON values one after another (JSON Lines, or concatenated / pretty-printed JSON),
/// holding one at a time. A line that is not JSON yields one error result and reading goes on
/// with the next line.
///
/// A line is parsed straight into a [`SessionSig`] first: that one pass both checks the syntax
/// and reads the fields (most inputs are one SessionSig per line). Only when that fails is the
/// text checked for syntax alone (nothing allocated), which tells a complete value from a
/// partial one and gives the same message for text that is not JSON as before.
fn for_each_input<R: BufRead>(
    mut reader: R,
    mut f: impl FnMut(Input) -> CliResult<()>,
) -> CliResult<()> {
    let mut pending = String::new();
    loop {
        let n = reader
            .read_line(&mut pending)
            .map_err(|e| CliError::io("input", e))?;
        if n == 0 {
            break;
        }
        if pending.trim().is_empty() {
            pending.clear();
            continue;
        }
        // A value on one line (JSON Lines) is tried as a SessionSig at once; one that spans
        // several lines is parsed once it is complete, as any other value.
        let one_line = pending.len() == n;
        if one_line {
            if let Ok(sig) = serde_json::from_str::<SessionSig>(&pending) {
                f(Input::SessionSig(sig))?;
                pending.clear();
                continue;
            }
        }
        match serde_json::from_str::<serde::de::IgnoredAny>(&pending) {
            Ok(_) => {
                f(Input::Other {
                    text: pending.as_str(),
                    tried_session_sig: one_line,
                })?;
                pending.clear();
            }
            Err(e) if e.is_eof() => continue, // a value spanning several lines
            Err(e) => {
                pending.clear();
                f(Input::NotJson(e.to_string()))?;
            }
        }
    }
    if !pending.trim().is_empty() {
        let e = serde_json::from_str::<Value>(&pending)
            .err()
            .map(|e| e.to_string());
        f(Input::NotJson(
            e.unwrap_or_else(|| "unexpected end of input".into()),
        ))?;
    }
    Ok(())
}

/// Verify one input and write its result line (without the newline) into `line`: whether it
/// is valid.
fn verify_one<C: Clock>(
    verifier: &Verifier<C>,
    request: &Request,
    input: Input,
    writer: &mut ResultWriter,
    line: &mut Vec<u8>,
) -> CliResult<bool> {
    let (node_key, unverified) = match input {
        Input::SessionSig(s) => (None, UnverifiedSessionSig::from(s)),
        Input::NotJson(e) => return Ok(invalid(line, "invalid_json", &e)),
        Input::Other {
            text,
            tried_session_sig,
        } => {
            // A SessionSig over several lines is read into its type first, as one line is.
            let sig = match tried_session_sig {
                true => None,
                false => serde_json::from_str::<SessionSig>(text).ok(),
            };
            if let Some(s) = sig {
                return verify_parsed(verifier, request, None, s.into(), writer, line);
            }
            // A map (or anything else) goes the long way.
            let value = match serde_json::from_str::<Value>(text) {
                Ok(v) => v,
                Err(e) => return Ok(invalid(line, "invalid_json", &e.to_string())),
            };
            let (node_key, sig_value) = match pick(verifier, value) {
                Ok(x) => x,
                Err((code, error)) => return Ok(invalid(line, code, &error)),
            };
            match serde_json::from_value::<SessionSig>(sig_value) {
                Ok(s) => (node_key, UnverifiedSessionSig::from(s)),
                Err(e) => return Ok(invalid(line, "session_sig_malformed", &e.to_string())),
            }
        }
    };
    verify_parsed(verifier, request, node_key, unverified, writer, line)
}

/// Verify a parsed SessionSig (`node_key`: the map entry it came from) and write its line.
fn verify_parsed<C: Clock>(
    verifier: &Verifier<C>,
    request: &Request,
    node_key: Option<String>,
    unverified: UnverifiedSessionSig,
    writer: &mut ResultWriter,
    line: &mut Vec<u8>,
) -> CliResult<bool> {
    match verifier.verify(&unverified, request) {
        Ok(session) => {
            writer
                .write_valid(line, &session, node_key.as_deref())
                .map_err(|e| CliError::io("stdout", e.into()))?;
            Ok(true)
        }
        Err(e) => Ok(invalid(line, e.code(), &e.to_string())),
    }
}

/// Write an invalid result; always `false`.
fn invalid(line: &mut Vec<u8>, code: &str, error: &str) -> bool {
    verify_output::write_invalid(line, code, error);
    false
}

/// A SessionSig object is used as it is; from a map, the entry for this node is taken.
/// Refusals are (code, message).
fn pick<C: Clock>(
    verifier: &Verifier<C>,
    value: Value,
) -> Result<(Option<String>, Value), (&'static str, String)> {
    let Value::Object(obj) = value else {
        return Err(("session_sig_malformed", "expected a JSON object".into()));
    };
    if obj.contains_key("signedMessage") || obj.contains_key("sig") {
        return Ok((None, Value::Object(obj)));
    }
    let node = verifier.node();
    let exact = obj.contains_key(node.url());
    for (k, v) in obj {
        if (exact && k == node.url()) || (!exact && node.matches(&k)) {
            return Ok((Some(k), v));
        }
    }
    Err((
        "node_not_in_map",
        format!("the SessionSigs map has no entry for node {}", node.url()),
    ))
}

#[cfg(test)]
#[path = "cmd_verify_tests.rs"]
mod tests;
