// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title A minimal ERC-1271 wallet owned by one externally owned account (TEST ONLY)
/// @notice `isValidSignature(hash, sig)` recovers the 65-byte r ‖ s ‖ v signature of `hash`
/// with ecrecover and accepts it when the signer is `owner`.
contract OwnedWallet {
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;

    address public owner;
    address public immutable factory;

    constructor(address owner_) {
        owner = owner_;
        factory = msg.sender;
    }

    /// The owner, or the factory that deployed this wallet, hands it to `next`.
    function setOwner(address next) external {
        require(msg.sender == owner || msg.sender == factory, "not allowed");
        owner = next;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length == 65) {
            bytes32 r = bytes32(signature[0:32]);
            bytes32 s = bytes32(signature[32:64]);
            uint8 v = uint8(signature[64]);
            if (v < 27) v += 27;
            address signer = ecrecover(hash, v, r, s);
            if (signer != address(0) && signer == owner) return ERC1271_MAGIC;
        }
        return 0xffffffff;
    }
}

/// @title Deploys OwnedWallets with CREATE2, so their address is known before they exist (TEST ONLY)
contract WalletFactory {
    /// Deploy the wallet of `owner` for `salt` (reverts if it already exists).
    function deploy(address owner, bytes32 salt) external returns (OwnedWallet) {
        return new OwnedWallet{salt: salt}(owner);
    }

    /// Where `deploy(owner, salt)` puts the wallet.
    function walletAddress(address owner, bytes32 salt) external view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(OwnedWallet).creationCode, abi.encode(owner)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash)))));
    }

    /// Hand a wallet this factory deployed to a new owner: the "prepare" step ERC-6492 runs when a
    /// deployed wallet first refuses a wrapped signature. Deliberately unguarded — a test fixture.
    function rotate(OwnedWallet wallet, address next) external {
        wallet.setOwner(next);
    }
}
