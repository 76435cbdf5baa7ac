//! ERC-6492 unwrapping (`sessionsig-rpc`): any bytes, as given and with the ERC-6492 suffix
//! appended (so nearly every input reaches the ABI decoder), → `Erc6492Signature::decode`.
//!
//! Invariants (a failure is a real bug):
//! * without the suffix the answer is `Ok(None)` (a plain ERC-1271 signature), never an error;
//! * whatever is unwrapped re-encodes to a wrapper that unwraps to an equal value, and the parts
//!   are slices of the input (the decoder never invents bytes);
//! * a refusal is a wrapped input, and through the core it is `contract_wallet_invalid` (the
//!   client's signature is wrong), never `contract_wallet_unavailable`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionsig::auth_sig::ERC6492_MAGIC;
use sessionsig_rpc::erc6492::Erc6492Signature;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn check(input: &[u8]) {
    match Erc6492Signature::decode(input) {
        Ok(None) => assert!(!Erc6492Signature::is_wrapped(input)),
        Ok(Some(w)) => {
            assert!(Erc6492Signature::is_wrapped(input));
            assert!(contains(input, &w.factory_calldata), "calldata not from the input");
            assert!(contains(input, &w.signature), "signature not from the input");
            let again = Erc6492Signature::decode(&w.encode())
                .unwrap_or_else(|e| panic!("decode(encode(w)) fails: {e}"));
            assert_eq!(again.as_ref(), Some(&w), "decode(encode(w)) != w");
        }
        Err(e) => {
            assert!(Erc6492Signature::is_wrapped(input), "error without the suffix: {e}");
            assert!(!e.is_unavailable(), "{e}");
            let core: sessionsig::Error = e.into();
            assert_eq!(core.code(), "contract_wallet_invalid");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut wrapped = Vec::with_capacity(data.len() + 32);
    wrapped.extend_from_slice(data);
    wrapped.extend_from_slice(&ERC6492_MAGIC);
    check(&wrapped);
});
