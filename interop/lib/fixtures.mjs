// Shared fixed inputs for the tests. Everything is deterministic: fixed keys, fixed nonce, fixed
// clock (except where a test says it uses the real clock on purpose).

import fs from 'node:fs';
import path from 'node:path';
import { INTEROP_DIR } from './cli.mjs';

export const VECTORS_DIR = process.env.SESSIONSIG_VECTORS
  ? path.resolve(process.env.SESSIONSIG_VECTORS)
  : path.resolve(INTEROP_DIR, '../../shared/vectors');

export const loadVector = (name) =>
  JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, 'lit', name), 'utf8'));

// A one-day session in the past, verified "as of" a time inside it (--at).
export const T = {
  siweIssuedAt: '2025-06-01T00:00:00.000Z',
  issuedAt: '2025-06-01T00:00:01.000Z',
  expiration: '2025-06-02T00:00:00.000Z',
  inside: '2025-06-01T12:00:00.000Z',
  // well outside any clock skew a verifier may allow
  afterExpiry: '2025-06-03T00:00:00.000Z',
  beforeIssue: '2025-05-31T00:00:00.000Z',
};

/** Times around the real now, for checks that the SDK only does against the wall clock. */
export function nowWindow() {
  const now = Date.now();
  const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
  return {
    siweIssuedAt: iso(now - 120_000),
    issuedAt: iso(now - 60_000),
    expiration: iso(now + 3_600_000),
  };
}

/** A PKP id (64 hex) for single-resource grants. */
export const PKP_ID = '0000000000000000000000000000000000000000000000000000000000001234';

/** The fixed bytes a node sees must be compared as strings, in this key order. */
export const V7_SIGNED_KEYS = ['sessionKey', 'resourceAbilityRequests', 'capabilities', 'issuedAt', 'expiration', 'nodeAddress'];
export const V8_SIGNED_KEYS = [...V7_SIGNED_KEYS, 'maxPrice'];
export const SESSION_SIG_KEYS = ['sig', 'derivedVia', 'signedMessage', 'address', 'algo'];
export const AUTH_SIG_KEYS = ['sig', 'derivedVia', 'signedMessage', 'address'];

/** Change the character at index i of a string to another character of the same class. */
export function flipChar(s, i) {
  const c = s[i];
  let d;
  if (/[0-9]/.test(c)) d = c === '1' ? '2' : '1';
  else if (/[a-f]/.test(c)) d = c === 'a' ? 'b' : 'a';
  else if (/[A-Za-z]/.test(c)) d = c === 'x' ? 'y' : 'x';
  else d = c === ' ' ? '_' : ' ';
  return s.slice(0, i) + d + s.slice(i + 1);
}

/** base64url (padding optional) -> utf8 */
export const b64urlDecode = (s) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');

/** The ReCap object of a SIWE text (its last Resources entry). */
export function recapOf(siweText) {
  const m = siweText.match(/- urn:recap:([A-Za-z0-9_-]+=*)\s*$/);
  if (!m) throw new Error('no urn:recap: as last resource');
  return { urn: `urn:recap:${m[1]}`, json: b64urlDecode(m[1]), obj: JSON.parse(b64urlDecode(m[1])) };
}

export const sameInstant = (a, b) => Date.parse(a) === Date.parse(b);
