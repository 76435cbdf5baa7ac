// @ts-check
/**
 * RFC 9421 HTTP Message Signatures and RFC 9530 `Content-Digest` for backpack requests, made
 * exactly as the Rust client's `sign_backpack_request`: label `backpack`, components
 * `"@method" "@authority" "@path" "@query"` + `"content-digest"` (+ `"content-type"` when
 * present), then `created`, `keyid` (the session public key hex), `nonce`, `alg="ed25519"`.
 * A captured SessionSig alone therefore cannot write or delete, and a captured signed request
 * cannot be replayed (the node keeps the nonce) or have its body swapped (the digest).
 * @module
 */
import { randomBytes, toBase64, toBase64Url, utf8 } from './bytes.js';

/** The signature label the node looks for. */
export const LABEL = 'backpack';

/**
 * @param {Uint8Array} body
 * @returns {Promise<string>} `sha-256=:<base64>:`
 */
export async function contentDigest(body) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', /** @type {BufferSource} */ (body)));
  return `sha-256=:${toBase64(d)}:`;
}

/**
 * @typedef {object} SignInput
 * @property {string} method
 * @property {string} url absolute URL as it will be sent
 * @property {Record<string, string>} headers lowercase names; `content-digest` / `content-type` are covered when present
 * @property {import('./session-key.js').SessionKey} key
 * @property {number} [created] unix seconds (default now)
 * @property {string} [nonce] default 128 random bits, base64url
 */

/**
 * The `Signature-Input`, `Signature` headers and the signature base they sign.
 * @param {SignInput} i
 * @returns {Promise<{'signature-input': string, signature: string, base: string}>}
 */
export async function signBackpackRequest(i) {
  const u = new URL(i.url);
  /** @type {[string, string][]} */
  const components = [
    ['@method', i.method.toUpperCase()],
    ['@authority', u.host.toLowerCase()],
    ['@path', u.pathname || '/'],
    ['@query', '?' + u.search.replace(/^\?/, '')],
  ];
  if (i.headers['content-digest'] !== undefined) components.push(['content-digest', i.headers['content-digest'].trim()]);
  if (i.headers['content-type'] !== undefined) components.push(['content-type', i.headers['content-type'].trim()]);
  const created = i.created ?? Math.floor(Date.now() / 1000);
  const nonce = i.nonce ?? toBase64Url(randomBytes(16));
  const params =
    '(' + components.map(([n]) => `"${n}"`).join(' ') + ')' +
    `;created=${created};keyid="${i.key.publicKeyHex}";nonce="${nonce}";alg="ed25519"`;
  const base = components.map(([n, v]) => `"${n}": ${v}\n`).join('') + `"@signature-params": ${params}`;
  const sig = await i.key.sign(utf8(base));
  return { 'signature-input': `${LABEL}=${params}`, signature: `${LABEL}=:${toBase64(sig)}:`, base };
}
