// @ts-check
/**
 * Byte encodings the wire formats use: lowercase hex, base64 (RFC 4648 §4, for RFC 9421 and
 * Content-Digest) and base64url without padding (ReCap, the Authorization header).
 * @module
 */

const enc = new TextEncoder();

/** @param {string} s @returns {Uint8Array} UTF-8 bytes */
export function utf8(s) {
  return enc.encode(s);
}

/** @param {Uint8Array} b @returns {string} lowercase hex, no `0x` */
export function toHex(b) {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** @param {string} h hex (optional `0x`) @returns {Uint8Array} */
export function fromHex(h) {
  const s = h.startsWith('0x') ? h.slice(2) : h;
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError('not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} b @returns {string} base64 with padding */
export function toBase64(b) {
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin);
}

/** @param {string} s base64 or base64url, padding optional @returns {Uint8Array} */
export function fromBase64(s) {
  const std = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** @param {Uint8Array} b @returns {string} base64url without padding */
export function toBase64Url(b) {
  return toBase64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {number} n @returns {Uint8Array} `n` random bytes from the platform CSPRNG */
export function randomBytes(n) {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return b;
}
