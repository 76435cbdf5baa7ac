// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title ERC-6492 off-chain signature validation ("deployless" eth_call)
/// @notice Run as an `eth_call` with no `to`: the data is this contract's creation code followed
/// by `abi.encode(address signer, bytes32 hash, bytes signature)`. The constructor checks the
/// signature the way ERC-6492 asks a verifier to, and returns ONE byte instead of deploying
/// anything: 0x01 when the signature is valid, 0x00 when it is not. Whatever the check does to
/// the state (deploying a counterfactual wallet through its factory) is thrown away with the call.
///
/// The order (ERC-6492, "Verifier side"):
/// 1. A signature ending in the 32-byte 0x6492… suffix is wrapped:
///    `abi.encode(address factory, bytes factoryCalldata, bytes innerSignature) ++ suffix`.
///    If the signer has no code yet, call `factory` with `factoryCalldata` (which deploys it),
///    then ask the signer's ERC-1271 `isValidSignature(hash, innerSignature)`.
///    If the signer already had code and says no, run the factory call anyway (the wallet may
///    need it, e.g. an upgrade) and ask once more.
/// 2. An unwrapped signature for a signer with code: ERC-1271 `isValidSignature(hash, signature)`.
/// 3. An unwrapped signature for a signer without code: `ecrecover` (65 bytes, r ‖ s ‖ v).
///
/// Where the reference behaviour would revert (the factory call fails, the wallet reverts), this
/// contract answers 0x00: the caller only needs "valid or not". A wrapper that is not valid ABI
/// makes `abi.decode` revert, so the call reverts.
contract ValidateSigOffchain {
    bytes32 private constant ERC6492_SUFFIX =
        0x6492649264926492649264926492649264926492649264926492649264926492;
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;

    constructor(address signer, bytes32 hash, bytes memory signature) {
        bool valid = check(signer, hash, signature);
        assembly ("memory-safe") {
            mstore(0, valid)
            return(31, 1)
        }
    }

    function check(address signer, bytes32 hash, bytes memory signature) private returns (bool) {
        bool hadCode = signer.code.length > 0;
        if (isWrapped(signature)) {
            (address factory, bytes memory factoryCalldata, bytes memory inner) =
                abi.decode(dropSuffix(signature), (address, bytes, bytes));
            if (!hadCode) {
                (bool deployed,) = factory.call(factoryCalldata);
                if (!deployed) return false;
            }
            bool ok = erc1271(signer, hash, inner);
            if (!ok && hadCode) {
                (bool prepared,) = factory.call(factoryCalldata);
                if (prepared) ok = erc1271(signer, hash, inner);
            }
            return ok;
        }
        if (hadCode) return erc1271(signer, hash, signature);
        return recovers(signer, hash, signature);
    }

    /// Does `signature` end with the ERC-6492 suffix?
    function isWrapped(bytes memory signature) private pure returns (bool) {
        if (signature.length < 32) return false;
        bytes32 tail;
        assembly ("memory-safe") {
            // The last word of the bytes: data starts at signature + 32, ends at + 32 + length.
            tail := mload(add(signature, mload(signature)))
        }
        return tail == ERC6492_SUFFIX;
    }

    /// The same bytes without their last 32 (shortens the length in place; no copy).
    function dropSuffix(bytes memory signature) private pure returns (bytes memory) {
        assembly ("memory-safe") {
            mstore(signature, sub(mload(signature), 32))
        }
        return signature;
    }

    /// ERC-1271: does `wallet` answer the magic value? A revert, a short or a different answer
    /// all mean no.
    function erc1271(address wallet, bytes32 hash, bytes memory signature) private view returns (bool) {
        (bool success, bytes memory answer) =
            wallet.staticcall(abi.encodeWithSelector(ERC1271_MAGIC, hash, signature));
        return success && answer.length >= 32 && bytes32(answer) == bytes32(ERC1271_MAGIC);
    }

    /// An externally owned account: does the 65-byte r ‖ s ‖ v signature recover to `signer`?
    function recovers(address signer, bytes32 hash, bytes memory signature) private pure returns (bool) {
        if (signature.length != 65) return false;
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 32))
            s := mload(add(signature, 64))
            v := byte(0, mload(add(signature, 96)))
        }
        if (v < 27) v += 27;
        if (v != 27 && v != 28) return false;
        address recovered = ecrecover(hash, v, r, s);
        return recovered != address(0) && recovered == signer;
    }
}
