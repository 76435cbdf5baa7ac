//! Integration tests against a local JSON-RPC endpoint backed by a real EVM (one test binary, so
//! revm is compiled into one executable only).

mod common;
mod contract_wallets;
mod endpoint_failures;
