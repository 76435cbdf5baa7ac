//! Integration tests against a local JSON-RPC endpoint backed by a real EVM (`sessionsig-testchain`;
//! one test binary, so revm is linked into one executable only).

mod contract_wallets;
mod endpoint_failures;
