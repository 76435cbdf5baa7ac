// The library's pure parts in Node (same modules the browser loads): keccak / EIP-55 / EIP-191
// against ethers, SIWE against the siwe package, ReCap against the Rust CLI, the check made
// before the wallet is asked, and the re-sign rules in the Rust client's order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ethers } from 'ethers';
import { SiweMessage } from 'siwe';
import { keccak256 } from '../lib/keccak.js';
import { toChecksumAddress, eip191Hash } from '../lib/eth.js';
import { buildSiwe, parseSiwe } from '../lib/siwe.js';
import { capabilityOf, encodeRecap, recapStatement, firstNotCovered } from '../lib/recap.js';
import { Session, checkBeforeSigning } from '../lib/session.js';
import { SessionKey } from '../lib/session-key.js';
import { contentDigest } from '../lib/httpsig.js';
import { toHex } from '../lib/bytes.js';
import { cli } from './harness.mjs';

test('keccak256, EIP-55 and EIP-191 agree with ethers on random inputs', () => {
  for (const len of [0, 1, 55, 135, 136, 137, 272, 1000]) {
    const b = crypto.randomBytes(len);
    assert.equal('0x' + toHex(keccak256(b)), ethers.utils.keccak256(b), `length ${len}`);
  }
  for (let i = 0; i < 20; i++) {
    const a = ethers.Wallet.createRandom().address;
    assert.equal(toChecksumAddress(a.toLowerCase()), a);
    const m = `message ${i} ${crypto.randomBytes(8).toString('hex')}`;
    assert.equal(eip191Hash(m), ethers.utils.hashMessage(m));
  }
  assert.throws(() => toChecksumAddress('0x1234'), { code: 'invalid_address' });
});

test('Content-Digest is sha-256 of the exact bytes (RFC 9530)', async () => {
  const b = crypto.randomBytes(1000);
  assert.equal(await contentDigest(b), `sha-256=:${crypto.createHash('sha256').update(b).digest('base64')}:`);
});

const owner = '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A';
const grants = [
  { resource: `backpack://${owner.toLowerCase()}/photos/`, ability: 'backpack/read' },
  { resource: `backpack://${owner.toLowerCase()}/photos/`, ability: 'backpack/list' },
  { resource: `backpack://${owner.toLowerCase()}/`, ability: 'backpack/write' },
];

test('the ReCap URN and statement are what the Rust CLI encodes', () => {
  const cap = capabilityOf(grants, { max_bytes: '1000' });
  const r = cli(['recap', 'encode'], { input: JSON.stringify(cap) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().replace(/^"|"$/g, ''), encodeRecap(cap));
  const d = cli(['recap', 'decode', encodeRecap(cap)]);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(JSON.parse(d.stdout).statement, recapStatement(cap));
});

test('SIWE messages: siwe re-serialises the same bytes; parse reads them back', () => {
  const text = buildSiwe({
    domain: '127.0.0.1:7470', address: owner.toLowerCase(), statement: 'Use my backpack.', uri: 'lit:session:' + 'ab'.repeat(32),
    chainId: 1, nonce: 'abcdef0123456789', issuedAt: '2026-01-01T00:00:00.000Z', expirationTime: '2026-01-02T00:00:00.000Z',
    capability: capabilityOf(grants),
  });
  assert.equal(new SiweMessage(text).prepareMessage(), text);
  const p = parseSiwe(text);
  assert.equal(p.address, owner);
  assert.ok(p.statement?.startsWith('Use my backpack. I further authorize'));
  assert.deepEqual(p.capability, capabilityOf(grants));
  assert.throws(() => buildSiwe({ ...parseSiwe(text), statement: 'bad "quote"', expirationTime: undefined, capability: undefined }), { code: 'invalid_statement' });
});

test('before the wallet is asked: a message granting more, less or other than asked is refused', () => {
  const uri = 'lit:session:' + 'ab'.repeat(32);
  const base = { domain: 'x.test', address: owner, statement: null, uri, chainId: 1, nonce: 'abcdef0123456789', issuedAt: '2026-01-01T00:00:00.000Z' };
  checkBeforeSigning(buildSiwe({ ...base, capability: capabilityOf(grants) }), owner, uri, grants, {});
  const wider = [...grants, { resource: `backpack://${owner.toLowerCase()}/`, ability: 'backpack/delete' }];
  for (const [msg, why] of [
    [buildSiwe({ ...base, capability: capabilityOf(wider) }), 'more'],
    [buildSiwe({ ...base, capability: capabilityOf(grants.slice(1)) }), 'less'],
    [buildSiwe({ ...base, capability: capabilityOf(grants, { max_bytes: '1' }) }), 'another caveat'],
    [buildSiwe({ ...base, uri: 'lit:session:' + 'cd'.repeat(32), capability: capabilityOf(grants) }), 'another key'],
  ]) {
    assert.throws(() => checkBeforeSigning(msg, owner, uri, grants, {}), { code: 'grant_mismatch' }, why);
  }
});

test('coverage: a folder covers below it by whole segments; backpack/* covers every backpack ability', () => {
  const o = owner.toLowerCase();
  const cap = capabilityOf([{ resource: `backpack://${o}/photos/`, ability: 'backpack/*' }]);
  assert.equal(firstNotCovered(cap, [{ resource: `backpack://${o}/photos/2024/a.jpg`, ability: 'backpack/write' }]), null);
  assert.notEqual(firstNotCovered(cap, [{ resource: `backpack://${o}/photos-old/a.jpg`, ability: 'backpack/read' }]), null);
  assert.notEqual(firstNotCovered(cap, [{ resource: `backpack://${o}/`, ability: 'backpack/list' }]), null);
});

test('the re-sign rules, in the Rust client order', async () => {
  const key = await SessionKey.generate();
  const wallet = new ethers.Wallet('0x' + '11'.repeat(32));
  const other = new ethers.Wallet('0x' + '33'.repeat(32));
  const want = [{ resource: `backpack://${wallet.address.toLowerCase()}/`, ability: 'backpack/read' }];
  const now = Date.now();
  const sign = async (over = {}) => {
    const f = {
      domain: 'x.test', address: wallet.address, statement: null, uri: 'lit:session:' + key.publicKeyHex, chainId: 1,
      nonce: 'abcdef0123456789', issuedAt: new Date(now - 1000).toISOString(), expirationTime: new Date(now + 3600e3).toISOString(),
      capability: capabilityOf(want), ...over,
    };
    const text = buildSiwe(f);
    return { sig: await wallet.signMessage(text), derivedVia: 'web3.eth.personal.sign', signedMessage: text, address: wallet.address };
  };
  const opts = { wallet: /** @type {any} */ (null), persistence: 'tab', domain: 'x.test', statement: null, authSigTtlMs: 3600e3, sessionSigTtlMs: 300e3, resignMarginMs: 300e3, nonce: async () => 'abcdef0123456789' };
  const session = (authSig) => new Session(opts, /** @type {any} */ (null), authSig ? { key, authSig, shares: [], received: [] } : null);
  assert.equal(session(null).decide(wallet.address, want), 'missing');
  assert.equal(session({ ...(await sign()), derivedVia: 'EIP1271' }).decide(wallet.address, want), 'invalid');
  assert.equal(session({ ...(await sign()), address: other.address }).decide(wallet.address, want), 'invalid');
  assert.equal(session(await sign()).decide(other.address, want), 'other_wallet');
  assert.equal(session(await sign({ uri: 'lit:session:' + 'ab'.repeat(32) })).decide(wallet.address, want), 'other_session_key');
  assert.equal(session(await sign({ expirationTime: new Date(now - 1).toISOString() })).decide(wallet.address, want), 'expired');
  assert.equal(session(await sign({ expirationTime: new Date(now + 60e3).toISOString() })).decide(wallet.address, want), 'expiring_soon');
  const wider = [...want, { resource: want[0].resource, ability: 'backpack/write' }];
  assert.equal(session(await sign()).decide(wallet.address, wider), 'not_covered');
  assert.equal(session(await sign()).decide(wallet.address, want, now + 2 * 3600e3), 'shorter_than_requested');
  assert.equal(session(await sign()).decide(wallet.address, want), null);
});
