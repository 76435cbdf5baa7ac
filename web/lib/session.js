// @ts-check
/**
 * The session: one wallet prompt makes an AuthSig delegating exactly the asked grants to the
 * session key; from then on the key alone signs a SessionSig per node per request. The
 * re-sign rules are the Rust client's (`sessionsig-client` `policy::decide`), in its order:
 * missing, invalid, another wallet, another session key, expired / expiring within the margin,
 * a grant not covered, a SessionSig asked to outlive the AuthSig. Re-signing for the same
 * wallet keeps what the previous AuthSig granted, so a wider request never drops a grant.
 *
 * Before the wallet is asked, the message built is read back and must grant exactly what the
 * caller asked (`grant_mismatch` otherwise): the user is shown, and signs, only that.
 * @module
 */
import { randomBytes, toHex, toBase64Url, utf8 } from './bytes.js';
import { SessionSigError } from './errors.js';
import { eip191Hash, toChecksumAddress } from './eth.js';
import { assertExactly, capabilityOf, firstNotCovered, recapStatement } from './recap.js';
import { buildSiwe, parseSiwe } from './siwe.js';
import { SessionKey, SessionStore } from './session-key.js';

/**
 * @typedef {{sig: string, derivedVia: string, signedMessage: string, address: string}} AuthSig
 * @typedef {{sig: string, derivedVia: string, signedMessage: string, address: string, algo: string}} SessionSig
 * @typedef {import('./recap.js').Grant} Grant
 * @typedef {object} Share a delegation this user signed
 * @property {string} from the delegating wallet (EIP-55)
 * @property {string} to the delegate's address (EIP-55)
 * @property {string} resource the shared resource URI
 * @property {string[]} abilities
 * @property {string | null} maxBytes the traffic cap, decimal
 * @property {string} expiration ISO
 * @property {string} target the revocation target `auth-sig:0x…`
 * @property {AuthSig} authSig the delegation itself, to hand to the delegate
 * @property {boolean} revoked
 * @typedef {'missing' | 'invalid' | 'other_wallet' | 'other_session_key' | 'expired' | 'expiring_soon' | 'not_covered' | 'shorter_than_requested'} ResignReason
 */

/** `lit:session:` — the SIWE URI of a session AuthSig. */
export const SESSION_URI_PREFIX = 'lit:session:';
/** The SIWE URI of a delegation to other users. */
export const DELEGATION_URI = 'lit:capability:delegation';

/**
 * @typedef {object} SessionOptions
 * @property {import('./wallet.js').Wallet} wallet
 * @property {import('./session-key.js').Persistence} [persistence] default `persistent`
 * @property {string} [domain] SIWE domain (default `location.host`)
 * @property {string | null} [statement] user statement before the ReCap text
 * @property {number} [authSigTtlMs] lifetime of a new AuthSig (default 24 h)
 * @property {number} [sessionSigTtlMs] lifetime of a SessionSig (default 5 min)
 * @property {number} [resignMarginMs] re-sign this long before expiry (default 5 min)
 * @property {() => Promise<string>} [nonce] SIWE nonce source (default 32 random hex digits)
 */

/**
 * A SIWE nonce source for a network that may require its own nonces (on sessions, and with
 * `network_nonce_for_delegations` on shares and revocations too): asks `node`'s
 * `GET /v1/handshake` at each signature and, when the network says `requireNetworkNonce`,
 * returns its fresh nonce; otherwise, or when the node does not answer, 32 random hex digits
 * (which any other network accepts).
 * @param {string} node the node's origin, e.g. `location.origin`
 * @returns {() => Promise<string>}
 */
export function handshakeNonce(node) {
  return async () => {
    try {
      const r = await fetch(`${node}/v1/handshake`, { cache: 'no-store' });
      if (r.ok) {
        const h = await r.json();
        if (h.requireNetworkNonce === true && typeof h.nonce === 'string') return h.nonce;
      }
    } catch {
      /* no answer: a random nonce, as a network without the rule accepts */
    }
    return toHex(randomBytes(16));
  };
}

/** A copy of `a` with the AuthSig keys in wire order. @param {AuthSig} a @returns {AuthSig} */
function authSigInOrder(a) {
  return { sig: a.sig, derivedVia: a.derivedVia, signedMessage: a.signedMessage, address: a.address };
}

/** @param {Grant[]} a @param {Grant[]} b @returns {Grant[]} the union, `a` first */
function union(a, b) {
  const out = [...a];
  for (const g of b) if (!out.some((x) => x.resource === g.resource && x.ability === g.ability)) out.push(g);
  return out;
}

/**
 * A request entry of a SessionSig for a resource URI (`backpack://0x…/p/` → resource
 * `0x…/p/`, prefix `backpack`).
 * @param {Grant} g
 */
export function requestEntry(g) {
  const i = g.resource.indexOf('://');
  if (i < 0) throw new SessionSigError('invalid_resource', `not a resource URI: ${g.resource}`);
  return { resource: { resource: g.resource.slice(i + 3), resourcePrefix: g.resource.slice(0, i) }, ability: g.ability };
}

/** The user's session: key, AuthSig, SessionSigs, delegations and revocations. */
export class Session {
  /**
   * @param {Required<SessionOptions>} opts
   * @param {SessionStore} store
   * @param {import('./session-key.js').StoredSession | null} stored
   */
  constructor(opts, store, stored) {
    /** @private */
    this.opts = opts;
    /** @private */
    this.store = store;
    /** @type {import('./session-key.js').StoredSession | null} */
    this.stored = stored;
    /** @type {Promise<AuthSig> | null} one prompt shared by concurrent callers */
    this.pending = null;
  }

  /**
   * Open the session stored in this browser (or none yet).
   * @param {SessionOptions} options
   */
  static async open(options) {
    /** @type {Required<SessionOptions>} */
    const opts = {
      persistence: 'persistent',
      domain: location.host,
      statement: null,
      authSigTtlMs: 24 * 3600e3,
      sessionSigTtlMs: 5 * 60e3,
      resignMarginMs: 5 * 60e3,
      nonce: async () => toHex(randomBytes(16)),
      ...options,
    };
    const store = new SessionStore(opts.persistence);
    return new Session(opts, store, await store.load());
  }

  /** The session AuthSig's SIWE, read (null when none). */
  authSigInfo() {
    const a = this.stored?.authSig;
    if (!a) return null;
    try {
      const s = parseSiwe(a.signedMessage);
      return { address: toChecksumAddress(s.address), expiration: s.expirationTime, statement: s.statement, capability: s.capability, authSig: a };
    } catch {
      return null;
    }
  }

  /**
   * Why the stored AuthSig cannot serve `wanted` for `address` until `until`, or null.
   * @param {string} address the wallet's current account
   * @param {Grant[]} wanted
   * @param {number} [until] ms since the epoch the SessionSigs must last
   * @returns {ResignReason | null}
   */
  decide(address, wanted, until) {
    const a = this.stored?.authSig;
    if (!a || !this.stored) return 'missing';
    let s;
    try {
      s = parseSiwe(a.signedMessage);
      if (a.derivedVia !== 'web3.eth.personal.sign' || !/^0x[0-9a-f]{130}$/i.test(a.sig)) return 'invalid';
      if (a.address.toLowerCase() !== s.address.toLowerCase()) return 'invalid';
      if (s.capability && !(s.statement ?? '').endsWith(recapStatement(s.capability))) return 'invalid';
      if (Date.parse(s.issuedAt) > Date.now() + 60e3) return 'invalid';
    } catch {
      return 'invalid';
    }
    if (s.address.toLowerCase() !== address.toLowerCase()) return 'other_wallet';
    if (s.uri !== SESSION_URI_PREFIX + this.stored.key.publicKeyHex) return 'other_session_key';
    const exp = s.expirationTime ? Date.parse(s.expirationTime) : Infinity;
    const now = Date.now();
    if (now >= exp) return 'expired';
    if (now + this.opts.resignMarginMs >= exp) return 'expiring_soon';
    if (!s.capability || firstNotCovered(s.capability, wanted)) return 'not_covered';
    if (until !== undefined && until > exp) return 'shorter_than_requested';
    return null;
  }

  /**
   * An AuthSig for `wanted`: the stored one when the rules allow, else ONE wallet prompt
   * (shared by concurrent callers).
   * @param {Grant[]} wanted
   * @returns {Promise<AuthSig>}
   */
  async ensure(wanted) {
    const address = await this.opts.wallet.account();
    if (this.decide(address, wanted) === null && this.stored?.authSig) return this.stored.authSig;
    if (!this.pending) {
      this.pending = this.resign(address, wanted).finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  /**
   * @private
   * @param {string} address
   * @param {Grant[]} wanted
   */
  async resign(address, wanted) {
    const reason = this.decide(address, wanted);
    let grants = wanted;
    const info = this.authSigInfo();
    if (info && info.capability && info.address.toLowerCase() === address.toLowerCase() && reason !== 'invalid') {
      /** @type {Grant[]} */
      const kept = [];
      for (const [resource, abilities] of Object.entries(info.capability.att)) {
        for (const ability of Object.keys(abilities)) kept.push({ resource, ability });
      }
      grants = union(kept, wanted);
    }
    const key = this.stored?.key ?? (await SessionKey.generate());
    const issued = new Date();
    const message = buildSiwe({
      domain: this.opts.domain,
      address,
      statement: this.opts.statement,
      uri: SESSION_URI_PREFIX + key.publicKeyHex,
      chainId: await this.opts.wallet.chainId(),
      nonce: await this.opts.nonce(),
      issuedAt: issued.toISOString(),
      expirationTime: new Date(issued.getTime() + this.opts.authSigTtlMs).toISOString(),
      capability: capabilityOf(grants),
    });
    checkBeforeSigning(message, address, SESSION_URI_PREFIX + key.publicKeyHex, grants, {});
    const sig = await this.opts.wallet.personalSign(message, address);
    /** @type {AuthSig} */
    const authSig = { sig, derivedVia: 'web3.eth.personal.sign', signedMessage: message, address };
    this.stored = { key, authSig, shares: this.stored?.shares ?? [], received: this.stored?.received ?? [] };
    await this.store.save(this.stored);
    return authSig;
  }

  /**
   * A SessionSig for one node: the session key signs the node's URL, the requests and the
   * AuthSigs (`delegations` first, the session AuthSig last). No prompt.
   * @param {string} nodeUrl e.g. `location.origin`
   * @param {Grant[]} requests what the SessionSig asks for
   * @param {AuthSig[]} [delegations] delegation AuthSigs the requests rest on
   * @returns {Promise<SessionSig>}
   */
  async sessionSig(nodeUrl, requests, delegations = []) {
    const authSig = this.stored?.authSig;
    const key = this.stored?.key;
    if (!authSig || !key) throw new SessionSigError('not_signed_in', 'sign in first');
    const info = parseSiwe(authSig.signedMessage);
    const now = Date.now();
    const exp = Math.min(now + this.opts.sessionSigTtlMs, info.expirationTime ? Date.parse(info.expirationTime) : Infinity);
    if (exp <= now) throw new SessionSigError('expired', 'the session has expired: sign in again');
    const signedMessage = JSON.stringify({
      sessionKey: key.publicKeyHex,
      resourceAbilityRequests: requests.map(requestEntry),
      capabilities: [...delegations.map(authSigInOrder), authSigInOrder(authSig)],
      issuedAt: new Date(now).toISOString(),
      expiration: new Date(exp).toISOString(),
      nodeAddress: nodeUrl,
    });
    const sig = toHex(await key.sign(utf8(signedMessage)));
    return { sig, derivedVia: 'litSessionSignViaNacl', signedMessage, address: key.publicKeyHex, algo: 'ed25519' };
  }

  /**
   * SessionSigs for several nodes, keyed by node URL (the Lit SDK's SessionSigs map).
   * @param {string[]} nodeUrls
   * @param {Grant[]} requests
   * @param {AuthSig[]} [delegations]
   * @returns {Promise<Record<string, SessionSig>>}
   */
  async sessionSigs(nodeUrls, requests, delegations = []) {
    /** @type {Record<string, SessionSig>} */
    const out = {};
    for (const url of nodeUrls) out[url] = await this.sessionSig(url, requests, delegations);
    return out;
  }

  /** Where this session is kept: `persistent` (IndexedDB) or `tab` (memory). */
  get persistence() {
    return this.store.persistence;
  }

  /** The session public key (64 hex), or null. */
  get sessionKeyHex() {
    return this.stored?.key.publicKeyHex ?? null;
  }

  /**
   * Delegate `grants` to another wallet (SIWE URI `lit:capability:delegation`, caveat
   * `delegate_to` + any other caveats): one wallet prompt. The share is remembered so it can
   * be listed and revoked.
   * @param {{to: string, grants: Grant[], caveat?: Record<string, unknown>, expiration: Date}} d
   * @returns {Promise<Share>}
   */
  async delegate(d) {
    if (!this.stored) throw new SessionSigError('not_signed_in', 'sign in first');
    const address = await this.opts.wallet.account();
    const to = toChecksumAddress(d.to);
    /** @type {Record<string, unknown>} */
    const caveat = { delegate_to: [to.slice(2).toLowerCase()], ...(d.caveat ?? {}) };
    const message = buildSiwe({
      domain: this.opts.domain,
      address,
      statement: null,
      uri: DELEGATION_URI,
      chainId: await this.opts.wallet.chainId(),
      nonce: await this.opts.nonce(),
      issuedAt: new Date().toISOString(),
      expirationTime: d.expiration.toISOString(),
      capability: capabilityOf(d.grants, caveat),
    });
    checkBeforeSigning(message, address, DELEGATION_URI, d.grants, caveat);
    const sig = await this.opts.wallet.personalSign(message, address);
    /** @type {Share} */
    const share = {
      from: address,
      to,
      resource: d.grants[0].resource,
      abilities: d.grants.map((g) => g.ability),
      maxBytes: typeof caveat.max_bytes === 'string' ? caveat.max_bytes : null,
      expiration: d.expiration.toISOString(),
      target: 'auth-sig:' + eip191Hash(message),
      authSig: { sig, derivedVia: 'web3.eth.personal.sign', signedMessage: message, address },
      revoked: false,
    };
    this.stored.shares = [...this.stored.shares, share];
    await this.store.save(this.stored);
    return share;
  }

  /**
   * Sign a revocation of `target` (`auth-sig:0x…` or `session-key:<hex>`) and post it to
   * `nodeUrl`'s `/v1/revocations`: one wallet prompt; every node sharing the store refuses
   * the target from then on.
   * @param {string} target
   * @param {string} nodeUrl
   */
  async revoke(target, nodeUrl) {
    const address = await this.opts.wallet.account();
    const message = buildSiwe({
      domain: this.opts.domain,
      address,
      statement: `I revoke ${target}.`,
      uri: `lit:revocation:${target}`,
      chainId: await this.opts.wallet.chainId(),
      nonce: await this.opts.nonce(),
      issuedAt: new Date().toISOString(),
    });
    const sig = await this.opts.wallet.personalSign(message, address);
    const body = JSON.stringify({ sig, derivedVia: 'web3.eth.personal.sign', signedMessage: message, address });
    const r = await fetch(new URL('/v1/revocations', nodeUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!r.ok) throw await nodeError(r);
    if (this.stored) {
      this.stored.shares = this.stored.shares.map((s) => (s.target === target ? { ...s, revoked: true } : s));
      await this.store.save(this.stored);
    }
    return /** @type {{id: string, issuer: string, revokedAt: string}} */ (await r.json());
  }

  /**
   * Keep a delegation someone gave this user (checked: a delegation naming this wallet).
   * @param {AuthSig} delegation
   */
  async receive(delegation) {
    if (!this.stored) throw new SessionSigError('not_signed_in', 'sign in first');
    const s = parseSiwe(delegation.signedMessage);
    if (s.uri !== DELEGATION_URI || !s.capability) throw new SessionSigError('not_a_delegation', 'this is not a delegation');
    const me = (await this.opts.wallet.account()).slice(2).toLowerCase();
    const names = Object.values(s.capability.att).flatMap((a) => Object.values(a).flat()).flatMap((c) => /** @type {string[]} */ (c.delegate_to ?? []));
    if (!names.map((n) => n.toLowerCase()).includes(me)) {
      throw new SessionSigError('not_delegated_to_you', 'this delegation is not for your address');
    }
    const hash = eip191Hash(delegation.signedMessage);
    this.stored.received = [...this.stored.received.filter((r) => eip191Hash(r.signedMessage) !== hash), authSigInOrder(delegation)];
    await this.store.save(this.stored);
  }

  /** The shares this wallet signed. */
  shares() {
    const me = this.authSigInfo()?.address.toLowerCase();
    return (this.stored?.shares ?? []).filter((s) => s.from.toLowerCase() === me);
  }

  /** The delegations others gave this user. */
  received() {
    return this.stored?.received ?? [];
  }

  /** Sign out: the key and the AuthSig (and everything kept with them) are erased. */
  async signOut() {
    this.stored = null;
    await this.store.clear();
  }
}

/**
 * Read the built message back and check it says exactly what was asked, before the wallet
 * is asked to sign it.
 * @param {string} message
 * @param {string} address
 * @param {string} uri
 * @param {Grant[]} grants
 * @param {Record<string, unknown>} caveat
 */
export function checkBeforeSigning(message, address, uri, grants, caveat) {
  const s = parseSiwe(message);
  if (s.address.toLowerCase() !== address.toLowerCase() || s.uri !== uri || !s.capability) {
    throw new SessionSigError('grant_mismatch', 'the message names another account, URI or no capability');
  }
  assertExactly(s.capability, grants, caveat);
  if (!(s.statement ?? '').endsWith(recapStatement(s.capability))) {
    throw new SessionSigError('grant_mismatch', 'the statement does not state the capability');
  }
}

/**
 * The node's refusal as an error: its `{code, error}` JSON and status.
 * @param {Response} r
 * @returns {Promise<SessionSigError>}
 */
export async function nodeError(r) {
  let code = `http_${r.status}`;
  let error = r.statusText || 'request failed';
  try {
    const j = await r.json();
    if (j && typeof j.code === 'string') code = j.code;
    if (j && typeof j.error === 'string') error = j.error;
  } catch {
    /* not JSON: keep the status */
  }
  return new SessionSigError(code, error, { status: r.status });
}

/**
 * The `Authorization` header value for a SessionSig.
 * @param {SessionSig} s
 */
export function authorizationValue(s) {
  return 'SessionSig ' + toBase64Url(utf8(JSON.stringify(s)));
}
