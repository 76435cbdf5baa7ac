// @ts-check
/**
 * A backpack client for the browser: `/v1/backpack/<owner><path>` on a node, each request
 * carrying a fresh SessionSig for that node and, when it changes data, an RFC 9421 signature
 * and `Content-Digest`. Refusals come back as `SessionSigError` with the node's code.
 * @module
 */
import { SessionSigError } from './errors.js';
import { contentDigest, signBackpackRequest } from './httpsig.js';
import { authorizationValue, nodeError } from './session.js';

/**
 * @typedef {{path: string, size: number, contentType: string, digest: string, modified: string, etag?: string}} ObjectMeta
 * @typedef {{entries: ObjectMeta[], folders: string[], next: string | null}} Listing
 */

/**
 * Percent-encode each segment of a decoded path (`/my photos/a.jpg` → `/my%20photos/a.jpg`).
 * @param {string} path starts with `/`
 */
export function encodePath(path) {
  if (!path.startsWith('/')) throw new SessionSigError('invalid_path', 'a path starts with `/`');
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The resource URI of a backpack path: `backpack://<owner lowercase><encoded path>`.
 * @param {string} owner `0x` + 40 hex
 * @param {string} path decoded, starts with `/`
 */
export function backpackResource(owner, path) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(owner)) throw new SessionSigError('invalid_address', 'owner is not an address');
  return `backpack://${owner.toLowerCase()}${encodePath(path)}`;
}

/**
 * What a request rests on: the grants the SessionSig asks for and the delegations carried.
 * @typedef {object} Access
 * @property {import('./recap.js').Grant[]} requests
 * @property {import('./session.js').AuthSig[]} [delegations]
 */

/** Talks to one node's backpack with one session. */
export class BackpackClient {
  /**
   * @param {import('./session.js').Session} session
   * @param {string} [nodeUrl] default: this page's origin
   */
  constructor(session, nodeUrl = location.origin) {
    /** @readonly */
    this.session = session;
    /** @readonly */
    this.nodeUrl = nodeUrl.replace(/\/$/, '');
  }

  /** @param {string} owner @param {string} path */
  url(owner, path) {
    return `${this.nodeUrl}/v1/backpack/${owner.toLowerCase()}${encodePath(path)}`;
  }

  /** @param {Access} access @returns {Promise<string>} */
  async authorization(access) {
    return authorizationValue(await this.session.sessionSig(this.nodeUrl, access.requests, access.delegations ?? []));
  }

  /**
   * List a folder.
   * @param {string} owner
   * @param {string} folder ends with `/`
   * @param {Access} access
   * @param {{cursor?: string, limit?: number}} [page]
   * @returns {Promise<Listing>}
   */
  async list(owner, folder, access, page = {}) {
    const q = new URLSearchParams();
    if (page.limit) q.set('limit', String(page.limit));
    if (page.cursor) q.set('cursor', page.cursor);
    const qs = q.toString();
    const r = await fetch(this.url(owner, folder) + (qs ? `?${qs}` : ''), {
      headers: { authorization: await this.authorization(access) },
      cache: 'no-store',
    });
    if (!r.ok) throw await nodeError(r);
    return r.json();
  }

  /**
   * Read an object.
   * @param {string} owner
   * @param {string} path
   * @param {Access} access
   * @returns {Promise<Blob>}
   */
  async get(owner, path, access) {
    const r = await fetch(this.url(owner, path), { headers: { authorization: await this.authorization(access) }, cache: 'no-store' });
    if (!r.ok) throw await nodeError(r);
    return r.blob();
  }

  /**
   * Write an object (signed: `Content-Digest` and RFC 9421), reporting upload progress.
   * @param {string} owner
   * @param {string} path
   * @param {Uint8Array} bytes
   * @param {Access} access
   * @param {{contentType?: string, onProgress?: (sent: number, total: number) => void}} [opts]
   * @returns {Promise<ObjectMeta>}
   */
  async put(owner, path, bytes, access, opts = {}) {
    const key = this.session.stored?.key;
    if (!key) throw new SessionSigError('not_signed_in', 'sign in first');
    const url = this.url(owner, path);
    /** @type {Record<string, string>} */
    const headers = {
      'content-type': opts.contentType || 'application/octet-stream',
      'content-digest': await contentDigest(bytes),
    };
    const signed = await signBackpackRequest({ method: 'PUT', url, headers, key });
    headers['signature-input'] = signed['signature-input'];
    headers['signature'] = signed.signature;
    headers['authorization'] = await this.authorization(access);
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open('PUT', url);
      for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
      x.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.total || bytes.length);
      x.onerror = () => reject(new SessionSigError('network_error', 'the upload failed (network)'));
      x.onload = () => {
        let body = null;
        try {
          body = JSON.parse(x.responseText);
        } catch {
          /* keep null */
        }
        if (x.status === 200 || x.status === 201) resolve(body);
        else reject(new SessionSigError(body?.code ?? `http_${x.status}`, body?.error ?? x.statusText, { status: x.status }));
      };
      x.send(/** @type {any} */ (bytes));
    });
  }

  /**
   * Delete an object (signed).
   * @param {string} owner
   * @param {string} path
   * @param {Access} access
   */
  async delete(owner, path, access) {
    const key = this.session.stored?.key;
    if (!key) throw new SessionSigError('not_signed_in', 'sign in first');
    const url = this.url(owner, path);
    const signed = await signBackpackRequest({ method: 'DELETE', url, headers: {}, key });
    const r = await fetch(url, {
      method: 'DELETE',
      headers: {
        authorization: await this.authorization(access),
        'signature-input': signed['signature-input'],
        signature: signed.signature,
      },
    });
    if (!r.ok) throw await nodeError(r);
  }
}
