//! Contract wallets (ERC-1271, ERC-6492): the check needs the chain, so it goes through a trait
//! the application provides (a JSON-RPC implementation lives in the `sessionsig-rpc` crate).

use crate::error::Result;
use alloy_primitives::{Address, B256};

/// The ERC-1271 magic value `isValidSignature` returns for a valid signature.
pub const ERC1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

/// The 32-byte suffix that marks an ERC-6492 wrapped signature (wallet not yet deployed).
pub const ERC6492_MAGIC: [u8; 32] = [
    0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92,
    0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92, 0x64, 0x92,
];

/// Asks a chain whether a contract wallet accepts a signature.
pub trait ContractWalletVerifier: Send + Sync {
    /// `true` when `wallet` on `chain_id` returns the ERC-1271 magic value for
    /// `isValidSignature(digest, signature)` — unwrapping ERC-6492 signatures for wallets not
    /// yet deployed. `Err` when the chain could not be asked (the AuthSig is then refused).
    fn is_valid_signature(
        &self,
        chain_id: u64,
        wallet: Address,
        digest: B256,
        signature: &[u8],
    ) -> Result<bool>;
}
