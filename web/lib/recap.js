// @ts-check
/**
 * ReCap (ERC-5573) capability objects: the JCS (RFC 8785) encoding into `urn:recap:…`, the
 * statement text the SIWE message must end with, decoding, and the coverage rule (the same as
 * the Rust core's `coverage`: a grant on a folder covers what is below it by whole segments;
 * `backpack/*` covers every backpack ability). The app checks a message against what it asked
 * for with these before the wallet is asked.
 * @module
 */
import { fromBase64, toBase64Url, utf8 } from './bytes.js';
import { SessionSigError } from './errors.js';

/** The text every ReCap statement starts with. */
export const STATEMENT_PREFIX =
  'I further authorize the stated URI to perform the following actions on my behalf:';

/**
 * @typedef {Record<string, unknown>} Caveat a caveat object (`{}` = no restriction)
 * @typedef {{att: Record<string, Record<string, Caveat[]>>, prf: string[]}} Capability
 * @typedef {{resource: string, ability: string}} Grant one resource URI and one `namespace/name`
 */

/**
 * JCS canonical JSON for the values a capability holds (strings, arrays, plain objects,
 * integers): keys sorted by UTF-16 code units, no whitespace.
 * @param {unknown} v
 * @returns {string}
 */
export function canonicalJson(v) {
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    const o = /** @type {Record<string, unknown>} */ (v);
    return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k])).join(',') + '}';
  }
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    throw new SessionSigError('invalid_capability', 'caveat numbers must be integers; write large values as strings');
  }
  return JSON.stringify(v);
}

/**
 * A capability granting each of `grants` with `caveat` (`{}` = unrestricted).
 * @param {Grant[]} grants
 * @param {Caveat} [caveat]
 * @returns {Capability}
 */
export function capabilityOf(grants, caveat = {}) {
  /** @type {Capability} */
  const cap = { att: {}, prf: [] };
  for (const g of grants) {
    if (!/^[a-zA-Z0-9.*_+-]+\/[a-zA-Z0-9.*_+-]+$/.test(g.ability)) {
      throw new SessionSigError('invalid_capability', `bad ability ${g.ability}`);
    }
    const abilities = (cap.att[g.resource] ??= {});
    abilities[g.ability] = [{ ...caveat }];
  }
  return cap;
}

/** @param {Capability} cap @returns {string} `urn:recap:` + base64url(JCS) without padding */
export function encodeRecap(cap) {
  return 'urn:recap:' + toBase64Url(utf8(canonicalJson(cap)));
}

/** @param {string} urn @returns {Capability} */
export function decodeRecap(urn) {
  if (!urn.startsWith('urn:recap:')) throw new SessionSigError('invalid_capability', 'not a urn:recap: URI');
  let v;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64(urn.slice('urn:recap:'.length))));
  } catch {
    throw new SessionSigError('invalid_capability', 'the ReCap is not base64url JSON');
  }
  if (!v || typeof v !== 'object' || typeof v.att !== 'object' || !Array.isArray(v.prf ?? [])) {
    throw new SessionSigError('invalid_capability', 'the ReCap has no `att` object');
  }
  return { att: v.att, prf: v.prf ?? [] };
}

/**
 * The statement text the capability generates, which the SIWE statement must end with.
 * @param {Capability} cap
 * @returns {string}
 */
export function recapStatement(cap) {
  let out = STATEMENT_PREFIX;
  let n = 1;
  for (const resource of Object.keys(cap.att).sort()) {
    /** @type {Map<string, string[]>} */
    const groups = new Map();
    for (const ability of Object.keys(cap.att[resource]).sort()) {
      const i = ability.indexOf('/');
      const ns = i < 0 ? ability : ability.slice(0, i);
      const name = i < 0 ? '' : ability.slice(i + 1);
      if (!groups.has(ns)) groups.set(ns, []);
      /** @type {string[]} */ (groups.get(ns)).push(name);
    }
    for (const ns of [...groups.keys()].sort()) {
      const names = /** @type {string[]} */ (groups.get(ns)).map((x) => `'${x}'`).join(', ');
      out += ` (${n}) '${ns}': ${names} for '${resource}'.`;
      n++;
    }
  }
  return out;
}

/**
 * Does `granted` (a resource URI) cover `wanted`? Equal, the prefix wildcard `<prefix>://*`,
 * or a backpack folder (`…/`) above it by whole segments.
 * @param {string} granted
 * @param {string} wanted
 */
export function resourceCovers(granted, wanted) {
  if (granted === wanted) return true;
  const scheme = wanted.slice(0, wanted.indexOf('://') + 3);
  if (scheme && granted === scheme + '*') return true;
  return granted.startsWith('backpack://') && granted.endsWith('/') && wanted.startsWith(granted);
}

/**
 * Does `grantedAbility` cover `wanted` (`*\/*`, `<ns>/*`, or equal)?
 * @param {string} grantedAbility
 * @param {string} wanted
 */
export function abilityCovers(grantedAbility, wanted) {
  if (grantedAbility === wanted || grantedAbility === '*/*') return true;
  const ns = wanted.split('/')[0];
  return ns === 'backpack' && grantedAbility === 'backpack/*';
}

/**
 * The first of `wanted` that `cap` does not grant with an unrestricted or restricted caveat
 * (an empty caveat list `[]` grants nothing), or null when all are covered.
 * @param {Capability} cap
 * @param {Grant[]} wanted
 * @returns {Grant | null}
 */
export function firstNotCovered(cap, wanted) {
  for (const w of wanted) {
    const ok = Object.entries(cap.att).some(
      ([res, abilities]) =>
        resourceCovers(res, w.resource) &&
        Object.entries(abilities).some(([ab, caveats]) => caveats.length > 0 && abilityCovers(ab, w.ability)),
    );
    if (!ok) return w;
  }
  return null;
}

/**
 * Check that `cap` grants exactly `grants` with `caveat` and nothing else: what the app shows
 * and asks is what the wallet signs.
 * @param {Capability} cap
 * @param {Grant[]} grants
 * @param {Caveat} [caveat]
 */
export function assertExactly(cap, grants, caveat = {}) {
  const expected = canonicalJson(capabilityOf(grants, caveat));
  if (canonicalJson(cap) !== expected) {
    throw new SessionSigError('grant_mismatch', 'the message does not grant exactly what the app asked for');
  }
}
