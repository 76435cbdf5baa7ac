// @ts-check
/**
 * The session key: a WebCrypto Ed25519 key pair whose private key is created NON-extractable,
 * so page script (and an XSS bug in it) can sign with it but can never read it. The Lit SDK
 * and TinyCloud keep the key as hex in `localStorage`; here it is a `CryptoKey` kept in
 * IndexedDB (structured clone keeps a non-extractable key non-extractable) or, for "this tab
 * only", in this page's memory, gone when the tab closes.
 *
 * The IndexedDB record also holds the AuthSigs and the shares the user made: none of it is
 * secret without the key, and none of it goes to `localStorage`, cookies or URLs.
 * @module
 */
import { toHex } from './bytes.js';
import { SessionSigError } from './errors.js';

/** A session key pair; `publicKeyHex` is the SessionSig `address` and the RFC 9421 `keyid`. */
export class SessionKey {
  /**
   * @param {CryptoKey} privateKey non-extractable Ed25519 private key
   * @param {string} publicKeyHex 64 lowercase hex
   */
  constructor(privateKey, publicKeyHex) {
    /** @readonly */
    this.privateKey = privateKey;
    /** @readonly */
    this.publicKeyHex = publicKeyHex;
  }

  /** A fresh key pair; the private key cannot be exported. */
  static async generate() {
    let pair;
    try {
      pair = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']));
    } catch (e) {
      throw new SessionSigError('ed25519_unsupported', `this browser has no WebCrypto Ed25519 (${String(e)})`);
    }
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    return new SessionKey(pair.privateKey, toHex(raw));
  }

  /** @param {Uint8Array} message @returns {Promise<Uint8Array>} the 64-byte ed25519 signature */
  async sign(message) {
    return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, this.privateKey, /** @type {BufferSource} */ (message)));
  }
}

/**
 * @typedef {object} StoredSession what a session keeps between page loads
 * @property {SessionKey} key
 * @property {import('./session.js').AuthSig | null} authSig the session AuthSig
 * @property {import('./session.js').Share[]} shares delegations the user signed
 * @property {import('./session.js').AuthSig[]} received delegations others gave this user
 */

/**
 * Where a session lives: `persistent` = IndexedDB (survives reloads and restarts until sign
 * out or expiry), `tab` = this page's memory only.
 * @typedef {'persistent' | 'tab'} Persistence
 */

const DB = 'sessionsig';
const STORE = 'session';
const RECORD = 'current';

/** @returns {Promise<IDBDatabase>} */
function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new SessionSigError('storage_unavailable', `IndexedDB: ${req.error?.message}`));
  });
}

/**
 * @template T
 * @param {'readonly' | 'readwrite'} mode
 * @param {(s: IDBObjectStore) => IDBRequest} op
 * @returns {Promise<T>}
 */
async function tx(mode, op) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = op(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(new SessionSigError('storage_unavailable', `IndexedDB: ${t.error?.message}`));
    });
  } finally {
    db.close();
  }
}

/** Keeps one StoredSession, in IndexedDB or in memory. */
export class SessionStore {
  /** @param {Persistence} persistence */
  constructor(persistence) {
    /** @readonly */
    this.persistence = persistence;
    /** @type {StoredSession | null} */
    this.memory = null;
  }

  /** @returns {Promise<StoredSession | null>} */
  async load() {
    if (this.persistence === 'tab') return this.memory;
    /** @type {any} */
    const rec = await tx('readonly', (s) => s.get(RECORD));
    if (!rec || !(rec.privateKey instanceof CryptoKey)) return null;
    return {
      key: new SessionKey(rec.privateKey, rec.publicKeyHex),
      authSig: rec.authSig ?? null,
      shares: rec.shares ?? [],
      received: rec.received ?? [],
    };
  }

  /** @param {StoredSession} s */
  async save(s) {
    if (this.persistence === 'tab') {
      this.memory = s;
      return;
    }
    const rec = {
      privateKey: s.key.privateKey,
      publicKeyHex: s.key.publicKeyHex,
      authSig: s.authSig,
      shares: s.shares,
      received: s.received,
    };
    await tx('readwrite', (st) => st.put(rec, RECORD));
  }

  /** Erase the key and everything with it. */
  async clear() {
    this.memory = null;
    await tx('readwrite', (s) => s.delete(RECORD));
  }
}

/** @returns {Promise<boolean>} whether a persistent session is stored in this browser */
export async function hasPersistentSession() {
  const rec = await tx('readonly', (s) => s.get(RECORD));
  return !!rec;
}
