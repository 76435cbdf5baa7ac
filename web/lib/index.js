// @ts-check
/**
 * sessionsig for the browser: a non-extractable WebCrypto session key, SIWE + ReCap AuthSigs
 * from an EIP-1193 wallet (one prompt), per-node SessionSigs, and signed backpack requests.
 * @module
 */
export { SessionSigError } from './errors.js';
export { Session, requestEntry, authorizationValue, checkBeforeSigning, handshakeNonce, SESSION_URI_PREFIX, DELEGATION_URI } from './session.js';
export { SessionKey, hasPersistentSession } from './session-key.js';
export { Wallet, discoverWallets } from './wallet.js';
export { buildSiwe, parseSiwe } from './siwe.js';
export { capabilityOf, encodeRecap, decodeRecap, recapStatement, canonicalJson, firstNotCovered } from './recap.js';
export { toChecksumAddress, eip191Hash } from './eth.js';
export { contentDigest, signBackpackRequest } from './httpsig.js';
export { BackpackClient, backpackResource, encodePath } from './backpack.js';
