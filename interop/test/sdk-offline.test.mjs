// The SDK-driving half, without the Rust CLI: proves that the real Lit SDK runs offline here, that
// what it makes is what the Lit stack accepts (tweetnacl, siwe, the SDK's own checks), and that the
// driver reproduces the shared vectors byte for byte (so the vectors really are SDK output).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as v8 from 'auth-helpers-v8';
import {
  sdkSessionSigs,
  sdkCapacityDelegation,
  makeOfflineClient,
  sessionKeyFromSeed,
  naclVerify,
  siweVerify,
  sdkValidate,
  parseRequest,
  accResourceKey,
  resign,
  ethers,
  SEED_A,
  SEED_B,
  NODE_URLS,
  TEST_WALLET_KEY,
  TEST_NONCE,
  walletAddress,
} from '../lib/sdk.mjs';
import { withClock } from '../lib/clock.mjs';
import { INTEROP_DIR } from '../lib/cli.mjs';
import { T, loadVector, V7_SIGNED_KEYS, V8_SIGNED_KEYS, SESSION_SIG_KEYS, AUTH_SIG_KEYS, flipChar, recapOf, PKP_ID } from '../lib/fixtures.mjs';

const sessionKey = sessionKeyFromSeed(SEED_A);

test('getSessionSigs (real SDK 7.4.0, offline) signs one SessionSig per node', async () => {
  const { sessionSigs, authSig, walletAddress: owner } = await sdkSessionSigs({
    sessionKey,
    siweIssuedAt: T.siweIssuedAt,
    issuedAt: T.issuedAt,
    expiration: T.expiration,
  });
  assert.deepEqual(Object.keys(sessionSigs), NODE_URLS);
  for (const [url, ss] of Object.entries(sessionSigs)) {
    assert.deepEqual(Object.keys(ss), SESSION_SIG_KEYS);
    assert.equal(ss.derivedVia, 'litSessionSignViaNacl');
    assert.equal(ss.algo, 'ed25519');
    assert.equal(ss.address, sessionKey.publicKey);
    assert.match(ss.sig, /^[0-9a-f]{128}$/);
    assert.ok(naclVerify(ss), `tweetnacl rejects the SDK's own SessionSig for ${url}`);
    const m = JSON.parse(ss.signedMessage);
    assert.deepEqual(Object.keys(m), V7_SIGNED_KEYS);
    assert.equal(JSON.stringify(m), ss.signedMessage, 'signedMessage is compact JSON');
    assert.equal(m.nodeAddress, url);
    assert.equal(m.sessionKey, sessionKey.publicKey);
    assert.equal(m.issuedAt, T.issuedAt);
    assert.equal(m.expiration, T.expiration);
    assert.deepEqual(m.capabilities, [authSig], 'the session AuthSig is the (last) capability');
    assert.deepEqual(m.resourceAbilityRequests, [
      { resource: { resource: '*', resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' },
      { resource: { resource: '*', resourcePrefix: 'lit-litaction' }, ability: 'lit-action-execution' },
    ]);
  }
  // the AuthSig: a wallet-signed SIWE delegating to lit:session:<pub>
  assert.deepEqual(Object.keys(authSig), AUTH_SIG_KEYS);
  assert.equal(authSig.address, owner);
  assert.equal(authSig.derivedVia, 'web3.eth.personal.sign');
  const v = await siweVerify(authSig, { time: T.inside });
  assert.ok(v.success, `siwe rejects the SDK AuthSig: ${v.error?.type}`);
  assert.equal(v.data.uri, `lit:session:${sessionKey.publicKey}`);
  assert.equal(v.data.nonce, TEST_NONCE);
  assert.equal(v.data.issuedAt, T.siweIssuedAt);
  assert.equal(ethers.utils.verifyMessage(authSig.signedMessage, authSig.sig), owner);
  assert.deepEqual(recapOf(authSig.signedMessage).obj, {
    att: { 'lit-litaction://*': { 'Threshold/Execution': [{}] }, 'lit-pkp://*': { 'Threshold/Signing': [{}] } },
    prf: [],
  });
  // the SDK's own checks agree
  const client = makeOfflineClient();
  const resign = await withClock(T.inside, () =>
    client.checkNeedToResignSessionKey({
      authSig,
      sessionKeyUri: client.getSessionKeyUri(sessionKey.publicKey),
      resourceAbilityRequests: ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution'].map(parseRequest),
    }),
  );
  assert.equal(resign, false);
  assert.deepEqual(await sdkValidate(sessionSigs, T.inside), { isValid: true, errors: [] });
  assert.equal((await sdkValidate(sessionSigs, T.afterExpiry)).isValid, false);
});

test('the driver is deterministic: same inputs, same bytes', async () => {
  const opts = { sessionKey, siweIssuedAt: T.siweIssuedAt, expiration: T.expiration };
  const a = await sdkSessionSigs(opts);
  const b = await sdkSessionSigs(opts);
  assert.equal(JSON.stringify(a.sessionSigs), JSON.stringify(b.sessionSigs));
});

test('a session key the SDK generates itself (no sessionKey passed) also works offline', async () => {
  const { sessionSigs, authSig, sessionKey: sk } = await sdkSessionSigs({ nodeUrls: NODE_URLS.slice(0, 2) });
  assert.match(sk.publicKey, /^[0-9a-f]{64}$/);
  assert.notEqual(sk.publicKey, sessionKey.publicKey);
  for (const ss of Object.values(sessionSigs)) assert.ok(naclVerify(ss));
  assert.ok((await siweVerify(authSig)).success);
  assert.ok((await sdkValidate(sessionSigs)).isValid);
});

test('reproduces vectors-v7.json byte for byte (ACC + PKP + Lit Action, fixed clock)', async () => {
  const v = loadVector('vectors-v7.json');
  assert.equal(walletAddress(v.inputs.walletPrivateKey), v.authSig.address);
  assert.deepEqual(sessionKeyFromSeed(v.inputs.sessionSeedHex), v.sessionKey);
  assert.equal(await accResourceKey(v.inputs.acc, v.dataToEncryptHash), v.accResourceKey);
  assert.equal(parseRequest(`lit-pkp://1234=pkp-signing`).resource.getResourceKey(), v.pkpResourceKey);
  const node = JSON.parse(v.sessionSig.signedMessage).nodeAddress;
  const r = await sdkSessionSigs({
    nodeUrls: [node],
    nonce: v.inputs.nonce,
    walletKey: v.inputs.walletPrivateKey,
    sessionKey: v.sessionKey,
    requests: [
      `${v.accResourceKey}=access-control-condition-decryption`,
      `${v.pkpResourceKey}=pkp-signing`,
      'lit-litaction://*=lit-action-execution',
    ],
    siweIssuedAt: v.inputs.issuedAtSiwe,
    expiration: v.inputs.expiration,
  });
  assert.equal(r.authSig.signedMessage, v.siweText);
  assert.equal(recapOf(r.authSig.signedMessage).json, v.recapJson);
  assert.equal(JSON.stringify(r.authSig), JSON.stringify(v.authSig));
  assert.equal(JSON.stringify(r.sessionSigs[node]), JSON.stringify(v.sessionSig));
});

test('reproduces example-v7.json byte for byte (capacity delegation via createCapacityDelegationAuthSig)', async () => {
  const v = loadVector('example-v7.json');
  const client = makeOfflineClient({ nodeUrls: Object.keys(v.sessionSigs) });
  const delegation = await sdkCapacityDelegation({
    client,
    ownerKey: TEST_WALLET_KEY,
    delegateeAddresses: ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8'],
    uses: '200',
    capacityTokenId: '24529',
    expiration: '2030-01-01T00:00:00.000Z',
    issuedAt: '2026-11-20T22:57:19.591Z',
  });
  assert.equal(JSON.stringify(delegation), JSON.stringify(v.delegationAuthSig));
  const r = await sdkSessionSigs({
    client,
    sessionKey: v.sessionKey,
    requests: ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution', 'lit-accesscontrolcondition://*=access-control-condition-decryption'],
    siweIssuedAt: '2026-11-20T22:57:19.495Z',
    issuedAt: '2029-12-31T23:00:00.000Z',
    expiration: '2030-01-01T00:00:00.000Z',
    capacityDelegationAuthSig: delegation,
  });
  assert.equal(JSON.stringify(r.authSig), JSON.stringify(v.authSig));
  assert.equal(JSON.stringify(r.sessionSigs), JSON.stringify(v.sessionSigs));
  const caps = JSON.parse(Object.values(r.sessionSigs)[0].signedMessage).capabilities;
  assert.deepEqual(caps, [delegation, r.authSig], 'delegation first, session AuthSig last');
});

test('auth-helpers 8.2.1 reproduces the SIWE and AuthSig of vectors-v8-naga.json', async () => {
  const v = loadVector('vectors-v8-naga.json');
  const wallet = new ethers.Wallet(TEST_WALLET_KEY);
  const siwe = await withClock('2026-11-20T23:00:15.291Z', () =>
    v8.createSiweMessageWithResources({
      walletAddress: wallet.address,
      nonce: TEST_NONCE,
      expiration: '2025-01-02T00:00:00.000Z',
      statement: '', // what the v8 session flow passes: hence the leading space before "I further…"
      uri: `lit:session:${v.sessionKeyPair.publicKey}`,
      resources: [
        { resource: new v8.LitPKPResource('*'), ability: 'pkp-signing' },
        { resource: new v8.LitActionResource('*'), ability: 'lit-action-execution' },
      ],
    }),
  );
  assert.equal(siwe, v.siwe);
  const authSig = await v8.generateAuthSig({ signer: wallet, toSign: siwe });
  assert.equal(JSON.stringify(authSig), JSON.stringify(v.authSig));
  // the v8 SessionSig in the vector: its shape, and tweetnacl accepts it
  assert.ok(naclVerify(v.sessionSig));
  const m = JSON.parse(v.sessionSig.signedMessage);
  assert.deepEqual(Object.keys(m), V8_SIGNED_KEYS);
  assert.deepEqual(Object.keys(m.resourceAbilityRequests[0].resource), ['resourcePrefix', 'resource']);
  assert.equal(m.maxPrice, '0x' + (100000000000000000n).toString(16));
  // v8 secretKey is the 32-byte seed; the v7 layout is seed || public key
  assert.equal(sessionKeyFromSeed(v.sessionKeyPair.secretKey).publicKey, v.sessionKeyPair.publicKey);
});

test('auth-helpers 7.4.0 and 8.2.1 make the same SIWE for the same inputs', async () => {
  const { createSiweMessageWithRecaps } = await import('@lit-protocol/auth-helpers');
  const client = makeOfflineClient();
  const common = {
    walletAddress: walletAddress(TEST_WALLET_KEY),
    nonce: TEST_NONCE,
    expiration: T.expiration,
    uri: `lit:session:${sessionKey.publicKey}`,
    statement: 'Sign in to the backpack.',
    domain: 'example.com',
  };
  const reqs = ['lit-pkp://*=pkp-signing', `lit-pkp://${PKP_ID}=pkp-signing`, 'lit-litaction://*=lit-action-execution'];
  const a = await withClock(T.siweIssuedAt, () =>
    createSiweMessageWithRecaps({ ...common, resources: reqs.map(parseRequest), litNodeClient: client }),
  );
  const b = await withClock(T.siweIssuedAt, () =>
    v8.createSiweMessageWithResources({
      ...common,
      resources: reqs.map((r) => {
        const { resource, ability } = parseRequest(r);
        return { resource: v8.parseLitResource(resource.getResourceKey()), ability };
      }),
    }),
  );
  assert.equal(a, b);
});

test('tamper helpers: one changed byte breaks tweetnacl; re-signing with the session key repairs it', async () => {
  const { sessionSigs } = await sdkSessionSigs({ sessionKey, siweIssuedAt: T.siweIssuedAt, expiration: T.expiration });
  const ss = sessionSigs[NODE_URLS[0]];
  for (const i of [2, 50, ss.signedMessage.length - 3]) {
    assert.equal(naclVerify({ ...ss, signedMessage: flipChar(ss.signedMessage, i) }), false);
  }
  assert.equal(naclVerify({ ...ss, sig: flipChar(ss.sig, 10) }), false);
  const wider = resign(ss, sessionKey.secretKey, (m) => {
    m.expiration = '2030-01-01T00:00:00.000Z';
  });
  assert.ok(naclVerify(wider));
  assert.equal(JSON.parse(wider.signedMessage).expiration, '2030-01-01T00:00:00.000Z');
  // the SDK itself lets a session ask for more than its wallet granted (nodes must refuse it)
  const narrow = await sdkSessionSigs({
    sessionKey: sessionKeyFromSeed(SEED_B),
    grants: [`lit-pkp://${PKP_ID}=pkp-signing`],
    requests: ['lit-pkp://*=pkp-signing'],
    siweIssuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  assert.deepEqual(Object.keys(recapOf(narrow.authSig.signedMessage).obj.att), [`lit-pkp://${PKP_ID}`]);
  assert.equal(JSON.parse(narrow.sessionSigs[NODE_URLS[0]].signedMessage).resourceAbilityRequests[0].resource.resource, '*');
});

test('lib/make-sdk-session-sigs.mjs prints a verifiable bundle', () => {
  const r = spawnSync(
    process.execPath,
    [
      path.join(INTEROP_DIR, 'lib/make-sdk-session-sigs.mjs'),
      '--seed', SEED_A,
      '--node', 'http://127.0.0.1:7470', '--node', 'http://127.0.0.1:7471',
      '--request', 'lit-pkp://*=pkp-signing',
      '--siwe-issued-at', T.siweIssuedAt,
      '--expiration', T.expiration,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['walletAddress', 'sessionKey', 'authSig', 'sessionSigs', 'requests']);
  assert.deepEqual(Object.keys(out.sessionSigs), ['http://127.0.0.1:7470', 'http://127.0.0.1:7471']);
  assert.deepEqual(out.sessionKey, sessionKey);
  for (const ss of Object.values(out.sessionSigs)) assert.ok(naclVerify(ss));
  assert.equal(ethers.utils.verifyMessage(out.authSig.signedMessage, out.authSig.sig), out.walletAddress);
});
