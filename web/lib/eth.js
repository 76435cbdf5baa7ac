// @ts-check
/**
 * Ethereum addresses and EIP-191: the SIWE message must carry the exact EIP-55 form (wallets
 * often answer lowercase), and a revocation names an AuthSig by its EIP-191 hash.
 * @module
 */
import { keccak256 } from './keccak.js';
import { toHex, utf8 } from './bytes.js';
import { SessionSigError } from './errors.js';

/**
 * @param {string} address `0x` + 40 hex, any case
 * @returns {string} the EIP-55 checksum form
 */
export function toChecksumAddress(address) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new SessionSigError('invalid_address', `not an Ethereum address: ${String(address).slice(0, 60)}`);
  }
  const lower = address.slice(2).toLowerCase();
  const hash = toHex(keccak256(utf8(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/**
 * @param {string} message the exact signed text
 * @returns {string} `0x` + keccak256("\x19Ethereum Signed Message:\n" + len + message)
 */
export function eip191Hash(message) {
  const body = utf8(message);
  const prefix = utf8(`\x19Ethereum Signed Message:\n${body.length}`);
  const all = new Uint8Array(prefix.length + body.length);
  all.set(prefix);
  all.set(body, prefix.length);
  return '0x' + toHex(keccak256(all));
}
