//! ERC-6492 signatures: `abi.encode(address factory, bytes factoryCalldata, bytes signature)`
//! followed by the 32-byte suffix `0x6492…6492`, for a contract wallet that may not be deployed
//! yet (the factory call deploys it).

use crate::abi::{decode_address_bytes_bytes, encode_address_bytes_bytes};
use crate::error::RpcError;
use alloy_primitives::Address;
use sessionsig::auth_sig::ERC6492_MAGIC;

/// An unwrapped ERC-6492 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erc6492Signature {
    /// The factory to call to deploy (or prepare) the wallet.
    pub factory: Address,
    /// The data of that call.
    pub factory_calldata: Vec<u8>,
    /// The signature the deployed wallet's `isValidSignature` is asked about.
    pub signature: Vec<u8>,
}

impl Erc6492Signature {
    /// Does `signature` end with the ERC-6492 suffix?
    pub fn is_wrapped(signature: &[u8]) -> bool {
        signature.len() >= 32 && signature[signature.len() - 32..] == ERC6492_MAGIC
    }

    /// Unwrap `signature`: `Ok(None)` when it does not end with the suffix (a plain ERC-1271
    /// signature), an error when it does but the rest is not a valid `(address, bytes, bytes)`.
    pub fn decode(signature: &[u8]) -> Result<Option<Self>, RpcError> {
        if !Self::is_wrapped(signature) {
            return Ok(None);
        }
        let body = &signature[..signature.len() - 32];
        let (factory, factory_calldata, inner) =
            decode_address_bytes_bytes(body).map_err(RpcError::MalformedErc6492)?;
        Ok(Some(Erc6492Signature {
            factory,
            factory_calldata,
            signature: inner,
        }))
    }

    /// The wrapped form (what a wallet SDK sends for a not-yet-deployed wallet).
    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            encode_address_bytes_bytes(self.factory, &self.factory_calldata, &self.signature);
        out.extend_from_slice(&ERC6492_MAGIC);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Erc6492Signature {
        Erc6492Signature {
            factory: Address::repeat_byte(0xfa),
            factory_calldata: vec![0xab; 68],
            signature: vec![0x1b; 65],
        }
    }

    #[test]
    fn roundtrip() {
        let w = sample();
        let enc = w.encode();
        assert!(Erc6492Signature::is_wrapped(&enc));
        assert_eq!(Erc6492Signature::decode(&enc).unwrap(), Some(w));
    }

    #[test]
    fn plain_signatures_are_not_wrapped() {
        assert_eq!(Erc6492Signature::decode(&[0x1b; 65]).unwrap(), None);
        assert_eq!(Erc6492Signature::decode(&[]).unwrap(), None);
        // The suffix alone is "wrapped" but has no body.
        let e = Erc6492Signature::decode(&ERC6492_MAGIC).unwrap_err();
        assert!(matches!(e, RpcError::MalformedErc6492(_)), "{e}");
    }

    #[test]
    fn malformed_wrapper_is_an_error() {
        let mut enc = sample().encode();
        enc[63] = 0xf0; // the calldata offset now points past the end
        let e = Erc6492Signature::decode(&enc).unwrap_err();
        assert_eq!(sessionsig::Error::from(e).code(), "contract_wallet_invalid");
    }

    proptest! {
        #[test]
        fn decode_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..400), wrap in any::<bool>()) {
            if wrap {
                bytes.extend_from_slice(&ERC6492_MAGIC);
            }
            let _ = Erc6492Signature::decode(&bytes);
        }

        #[test]
        fn any_wrapper_roundtrips(
            factory in any::<[u8; 20]>(),
            calldata in proptest::collection::vec(any::<u8>(), 0..200),
            inner in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let w = Erc6492Signature { factory: Address::from(factory), factory_calldata: calldata, signature: inner };
            prop_assert_eq!(Erc6492Signature::decode(&w.encode()).unwrap(), Some(w));
        }
    }
}
