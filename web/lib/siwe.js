// @ts-check
/**
 * SIWE (EIP-4361) messages in the exact layout the Rust verifier and the Lit SDK use (LF, no
 * trailing newline, statement with the ReCap text appended, ReCap as the last resource), and a
 * reader for the fields the re-sign rules need. The wallet signs these bytes; nothing is ever
 * re-serialised before verification.
 * @module
 */
import { SessionSigError } from './errors.js';
import { toChecksumAddress } from './eth.js';
import { decodeRecap, encodeRecap, recapStatement } from './recap.js';

/**
 * @typedef {object} SiweFields
 * @property {string} domain RFC 3986 authority (`host[:port]`)
 * @property {string} address any case; written EIP-55
 * @property {string | null} statement the user statement before the ReCap text, or null
 * @property {string} uri e.g. `lit:session:<key hex>`, `lit:capability:delegation`
 * @property {number} chainId
 * @property {string} nonce 8+ alphanumerics
 * @property {string} issuedAt ISO 8601 (`toISOString()` form)
 * @property {string} [expirationTime]
 * @property {import('./recap.js').Capability} [capability] becomes the last resource
 */

/** @param {string} s */
function isStatementText(s) {
  return /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;= ]*$/.test(s);
}

/**
 * The SIWE text for `f`. With a capability, the statement is `<statement> <ReCap text>` (or
 * the ReCap text alone when `statement` is null).
 * @param {SiweFields} f
 * @returns {string}
 */
export function buildSiwe(f) {
  let statement = f.statement;
  if (f.capability) {
    const text = recapStatement(f.capability);
    statement = statement === null ? text : `${statement} ${text}`;
  }
  if (statement !== null && !isStatementText(statement)) {
    throw new SessionSigError(
      'invalid_statement',
      'the statement may hold only RFC 3986 characters and spaces (a path needing %-escapes cannot be granted)',
    );
  }
  if (!/^[A-Za-z0-9]{8,}$/.test(f.nonce)) throw new SessionSigError('invalid_nonce', 'a SIWE nonce is 8+ alphanumerics');
  const lines = [`${f.domain} wants you to sign in with your Ethereum account:`, toChecksumAddress(f.address), ''];
  if (statement !== null) lines.push(statement, '');
  else lines.push('');
  lines.push(`URI: ${f.uri}`, 'Version: 1', `Chain ID: ${f.chainId}`, `Nonce: ${f.nonce}`, `Issued At: ${f.issuedAt}`);
  if (f.expirationTime) lines.push(`Expiration Time: ${f.expirationTime}`);
  if (f.capability) lines.push('Resources:', `- ${encodeRecap(f.capability)}`);
  return lines.join('\n');
}

/**
 * @typedef {object} ParsedSiwe
 * @property {string} domain
 * @property {string} address
 * @property {string | null} statement
 * @property {string} uri
 * @property {number} chainId
 * @property {string} nonce
 * @property {string} issuedAt
 * @property {string | null} expirationTime
 * @property {string[]} resources
 * @property {import('./recap.js').Capability | null} capability the last resource's ReCap
 */

/**
 * Read a SIWE message this library (or the Rust client, or the Lit SDK) wrote.
 * @param {string} text
 * @returns {ParsedSiwe}
 */
export function parseSiwe(text) {
  const bad = (/** @type {string} */ why) => new SessionSigError('siwe_syntax', `not a SIWE message: ${why}`);
  const lines = text.split('\n');
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(.+) wants you to sign in with your Ethereum account:$/.exec(lines[0] ?? '');
  if (!m) throw bad('first line');
  const address = lines[1] ?? '';
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw bad('address');
  let i = 3;
  /** @type {string | null} */
  let statement = null;
  if (lines[i] === '') i++;
  else {
    statement = lines[i];
    i += 2;
  }
  /** @type {Record<string, string>} */
  const fields = {};
  /** @type {string[]} */
  const resources = [];
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === 'Resources:') {
      for (i++; i < lines.length; i++) {
        if (!lines[i].startsWith('- ')) throw bad('resource line');
        resources.push(lines[i].slice(2));
      }
      break;
    }
    const k = line.indexOf(': ');
    if (k < 0) throw bad(`line ${i + 1}`);
    fields[line.slice(0, k)] = line.slice(k + 2);
  }
  for (const f of ['URI', 'Version', 'Chain ID', 'Nonce', 'Issued At']) if (!(f in fields)) throw bad(`no ${f}`);
  const last = resources[resources.length - 1];
  return {
    domain: m[1],
    address,
    statement,
    uri: fields['URI'],
    chainId: Number(fields['Chain ID']),
    nonce: fields['Nonce'],
    issuedAt: fields['Issued At'],
    expirationTime: fields['Expiration Time'] ?? null,
    resources,
    capability: last && last.startsWith('urn:recap:') ? decodeRecap(last) : null,
  };
}
