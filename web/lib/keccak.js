// @ts-check
/**
 * keccak256 (the original Keccak padding, as Ethereum uses it): WebCrypto has no Keccak, and
 * the library needs it for EIP-55 checksums and for the EIP-191 hash that names an AuthSig in
 * a revocation. Written on BigInt lanes: a handful of short hashes per session, so clarity
 * wins over speed. The round constants and rotation offsets are derived from their
 * definitions (FIPS 202 §3.2) rather than typed in.
 * @module
 */

const MASK = (1n << 64n) - 1n;

/** @param {number} t @returns {number} the rc(t) bit of FIPS 202 Algorithm 5 */
function rcBit(t) {
  let r = 1;
  for (let i = 0; i < t % 255; i++) {
    r <<= 1;
    if (r & 0x100) r ^= 0x171;
  }
  return r & 1;
}

/** @type {bigint[]} */
const RC = [];
for (let i = 0; i < 24; i++) {
  let c = 0n;
  for (let j = 0; j <= 6; j++) if (rcBit(j + 7 * i)) c |= 1n << BigInt((1 << j) - 1);
  RC.push(c);
}

/** @type {number[]} rotation offset of lane x + 5y */
const ROT = new Array(25).fill(0);
{
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    ROT[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
}

/** @param {bigint} v @param {number} n @returns {bigint} */
function rotl(v, n) {
  if (n === 0) return v;
  const b = BigInt(n);
  return ((v << b) | (v >> (64n - b))) & MASK;
}

/** @param {bigint[]} a the 25 lanes, permuted in place */
function keccakF(a) {
  /** @type {bigint[]} */
  const c = new Array(5).fill(0n);
  /** @type {bigint[]} */
  const b = new Array(25).fill(0n);
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 5; x++) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (let y = 0; y < 5; y++) a[x + 5 * y] ^= d;
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], ROT[x + 5 * y]);
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        a[x + 5 * y] = b[x + 5 * y] ^ (~b[((x + 1) % 5) + 5 * y] & MASK & b[((x + 2) % 5) + 5 * y]);
      }
    }
    a[0] ^= RC[round];
  }
}

/** @param {Uint8Array} data @returns {Uint8Array} the 32-byte keccak256 digest */
export function keccak256(data) {
  const rate = 136;
  const padded = new Uint8Array(Math.floor(data.length / rate + 1) * rate);
  padded.set(data);
  padded[data.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  /** @type {bigint[]} */
  const a = new Array(25).fill(0n);
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) {
      let lane = 0n;
      for (let k = 7; k >= 0; k--) lane = (lane << 8n) | BigInt(padded[off + 8 * i + k]);
      a[i] ^= lane;
    }
    keccakF(a);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 4; i++) {
    let lane = a[i];
    for (let k = 0; k < 8; k++) {
      out[8 * i + k] = Number(lane & 0xffn);
      lane >>= 8n;
    }
  }
  return out;
}
