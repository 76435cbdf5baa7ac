//! A real EVM with in-memory state: deploy contracts, send transactions, answer `eth_call`.

use super::CHAIN_ID;
use alloy_primitives::{Address, Bytes, TxKind};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::{DatabaseCommit, DatabaseRef, ExecuteEvm, MainBuilder, MainContext};

/// The account that sends the setup transactions.
pub const DEPLOYER: Address = Address::repeat_byte(0xde);

/// What a call or transaction came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Returned (or, for a creation, deployed at `created`) with this output.
    Success {
        /// Returned bytes (the runtime code for a creation).
        output: Vec<u8>,
        /// The new contract, for a creation.
        created: Option<Address>,
    },
    /// `REVERT` with this data.
    Revert(Vec<u8>),
    /// Exceptional halt.
    Halt(String),
}

/// The chain state.
#[derive(Default)]
pub struct Chain {
    db: CacheDB<EmptyDB>,
}

impl Chain {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    fn run(&mut self, caller: Address, kind: TxKind, data: Vec<u8>, commit: bool) -> Outcome {
        let ctx = Context::mainnet().modify_cfg_chained(|cfg| {
            cfg.chain_id = CHAIN_ID;
            cfg.disable_nonce_check = true;
        });
        let tx = TxEnv::builder()
            .caller(caller)
            .kind(kind)
            .data(Bytes::from(data))
            .gas_limit(10_000_000)
            .gas_price(0)
            .chain_id(Some(CHAIN_ID))
            .build_fill();
        let done = {
            let mut evm = ctx.with_ref_db(&self.db).build_mainnet();
            evm.transact(tx)
        };
        let done = match done {
            Ok(d) => d,
            Err(e) => return Outcome::Halt(format!("invalid transaction: {e:?}")),
        };
        let outcome = match done.result {
            ExecutionResult::Success { output, .. } => match output {
                Output::Call(b) => Outcome::Success {
                    output: b.to_vec(),
                    created: None,
                },
                Output::Create(b, a) => Outcome::Success {
                    output: b.to_vec(),
                    created: a,
                },
            },
            ExecutionResult::Revert { output, .. } => Outcome::Revert(output.to_vec()),
            ExecutionResult::Halt { reason, .. } => Outcome::Halt(format!("{reason:?}")),
        };
        if commit {
            self.db.commit(done.state);
        }
        outcome
    }

    /// `eth_call`: run, keep nothing.
    pub fn call(&mut self, to: Option<Address>, data: Vec<u8>) -> Outcome {
        let kind = to.map_or(TxKind::Create, TxKind::Call);
        self.run(Address::ZERO, kind, data, false)
    }

    /// Deploy `code ++ args` from [`DEPLOYER`]; the new address.
    pub fn deploy(&mut self, code: &[u8], args: &[u8]) -> Address {
        let data = [code, args].concat();
        match self.run(DEPLOYER, TxKind::Create, data, true) {
            Outcome::Success {
                created: Some(a), ..
            } => a,
            other => panic!("deployment failed: {other:?}"),
        }
    }

    /// A transaction from [`DEPLOYER`] to `to`, committed; its output (panics if it fails).
    pub fn transact(&mut self, to: Address, data: Vec<u8>) -> Vec<u8> {
        match self.run(DEPLOYER, TxKind::Call(to), data, true) {
            Outcome::Success { output, .. } => output,
            other => panic!("transaction failed: {other:?}"),
        }
    }

    /// The runtime code at `a` (empty when none).
    pub fn code(&self, a: Address) -> Vec<u8> {
        let Ok(Some(info)) = self.db.basic_ref(a) else {
            return Vec::new();
        };
        match info.code {
            Some(code) => code.original_byte_slice().to_vec(),
            None => self
                .db
                .code_by_hash_ref(info.code_hash)
                .map(|c| c.original_byte_slice().to_vec())
                .unwrap_or_default(),
        }
    }
}
