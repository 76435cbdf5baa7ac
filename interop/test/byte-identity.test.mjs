// C. Byte identity. For the same inputs (keys, nonce, times, requests, nodes) the `sessionsig` CLI
// must print exactly the AuthSig and SessionSigs the real Lit SDK makes: same bytes, same JSON key
// order. Against the shared vectors (which the SDK reproduces, see sdk-offline.test.mjs) and
// against the SDK run live here on other inputs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sdkSessionSigs,
  sdkCapacityDelegation,
  makeOfflineClient,
  sessionKeyFromSeed,
  TEST_WALLET_KEY,
  OTHER_WALLET_KEY,
  SEED_A,
  SEED_B,
  NODE_URLS,
  walletAddress,
} from '../lib/sdk.mjs';
import { requireCli, cliAuthSig, cliSessionSigs } from '../lib/cli.mjs';
import { loadVector, T } from '../lib/fixtures.mjs';

// createSiweMessage's default statement (7.4.0 and 8.2.1); the CLI has no such default, so pass it.
const SDK_STATEMENT = 'This is a test statement.  You can put anything you want here.';

/** Compare as the bytes a JS consumer would forward (key order included), with a readable diff. */
function sameJson(actual, expected, what) {
  assert.equal(JSON.stringify(actual, null, 1), JSON.stringify(expected, null, 1), what);
}

test('the sessionsig CLI binary is present (build it or set SESSIONSIG_BIN)', () => {
  requireCli();
});

test('vectors-v7.json: auth-sig and session-sigs reproduce the SDK output byte for byte', () => {
  const v = loadVector('vectors-v7.json');
  const node = JSON.parse(v.sessionSig.signedMessage).nodeAddress;
  const authSig = cliAuthSig({
    walletKey: v.inputs.walletPrivateKey,
    sessionKey: v.sessionKey,
    // any order: the ReCap sorts
    requests: [
      `${v.pkpResourceKey}=pkp-signing`,
      `${v.accResourceKey}=access-control-condition-decryption`,
      'lit-litaction://*=lit-action-execution',
    ],
    statement: SDK_STATEMENT,
    nonce: v.inputs.nonce,
    issuedAt: v.inputs.issuedAtSiwe,
    expiration: v.inputs.expiration,
  });
  assert.equal(authSig.signedMessage, v.siweText, 'SIWE text');
  sameJson(authSig, v.authSig, 'AuthSig');
  const ss = cliSessionSigs({
    sessionKey: v.sessionKey,
    authSig,
    nodes: [node],
    // SessionSig order = --request order
    requests: [
      `${v.accResourceKey}=access-control-condition-decryption`,
      `${v.pkpResourceKey}=pkp-signing`,
      'lit-litaction://*=lit-action-execution',
    ],
    issuedAt: JSON.parse(v.sessionSig.signedMessage).issuedAt,
    expiration: v.inputs.expiration,
    format: 'v7',
  });
  assert.deepEqual(Object.keys(ss), [node]);
  assert.equal(ss[node].signedMessage, v.sessionSig.signedMessage, 'signedMessage');
  sameJson(ss[node], v.sessionSig, 'SessionSig');
});

test('example-v7.json: capacity-delegation AuthSig and SessionSigs with --capability-file', () => {
  const v = loadVector('example-v7.json');
  const common = { walletKey: TEST_WALLET_KEY, statement: SDK_STATEMENT, nonce: '0x' + 'ab'.repeat(32), expiration: '2030-01-01T00:00:00.000Z' };
  const delegation = cliAuthSig({
    ...common,
    uri: 'lit:capability:delegation',
    requests: ['lit-ratelimitincrease://24529=rate-limit-increase-auth'],
    delegateTo: ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8'],
    uses: 200,
    nftId: '24529',
    issuedAt: '2026-11-20T22:57:19.591Z',
  });
  sameJson(delegation, v.delegationAuthSig, 'delegation AuthSig');
  const requests = ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution', 'lit-accesscontrolcondition://*=access-control-condition-decryption'];
  const authSig = cliAuthSig({ ...common, sessionKey: v.sessionKey, requests, issuedAt: '2026-11-20T22:57:19.495Z' });
  sameJson(authSig, v.authSig, 'session AuthSig');
  const ss = cliSessionSigs({
    sessionKey: v.sessionKey,
    authSig,
    capabilities: [delegation],
    nodes: Object.keys(v.sessionSigs),
    requests,
    issuedAt: '2029-12-31T23:00:00.000Z',
    expiration: '2030-01-01T00:00:00.000Z',
  });
  sameJson(ss, v.sessionSigs, 'SessionSigs map');
});

test('vectors-v8-naga.json: session-sigs --format v8 --max-price reproduces the v8 SessionSig', () => {
  const v = loadVector('vectors-v8-naga.json');
  const m = JSON.parse(v.sessionSig.signedMessage);
  // its AuthSig is taken as is (the vector's SIWE was issued on the wall clock, after its expiration)
  const ss = cliSessionSigs({
    sessionKey: v.sessionKeyPair, // v8 layout: 64-hex seed as secretKey
    authSig: v.authSig,
    nodes: [m.nodeAddress],
    requests: m.resourceAbilityRequests.map((r) => `${r.resource.resourcePrefix}://${r.resource.resource}=${r.ability}`),
    issuedAt: m.issuedAt,
    expiration: m.expiration,
    format: 'v8',
    maxPrice: BigInt(m.maxPrice).toString(10),
  });
  assert.equal(ss[m.nodeAddress].signedMessage, v.sessionSig.signedMessage, 'signedMessage');
  sameJson(ss[m.nodeAddress], v.sessionSig, 'v8 SessionSig');
});

test('live: the SDK and the CLI make the same bytes for other inputs (3 nodes, PKP id, custom domain/statement)', async () => {
  requireCli();
  const sessionKey = sessionKeyFromSeed(SEED_B);
  const nonce = '0x' + 'c0ffee'.repeat(10) + 'abcd';
  const requests = ['lit-litaction://*=lit-action-execution', 'lit-pkp://00000000000000000000000000000000000000000000000000000000000000ff=pkp-signing'];
  const sdk = await sdkSessionSigs({
    walletKey: OTHER_WALLET_KEY,
    sessionKey,
    nonce,
    requests,
    domain: 'app.example.org',
    statement: 'Backpack session.',
    siweIssuedAt: T.siweIssuedAt,
    issuedAt: '2025-06-01T00:00:07.250Z',
    expiration: T.expiration,
  });
  const authSig = cliAuthSig({
    walletKey: OTHER_WALLET_KEY,
    sessionKey,
    requests,
    domain: 'app.example.org',
    statement: 'Backpack session.',
    nonce,
    issuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  sameJson(authSig, sdk.authSig, 'AuthSig');
  assert.equal(authSig.address, walletAddress(OTHER_WALLET_KEY));
  const ss = cliSessionSigs({ sessionKey, authSig, nodes: NODE_URLS, requests, issuedAt: '2025-06-01T00:00:07.250Z', expiration: T.expiration });
  sameJson(ss, sdk.sessionSigs, 'SessionSigs map');
});

test('live: capacity delegation from createCapacityDelegationAuthSig equals auth-sig --delegate-to/--uses/--nft-id', async () => {
  requireCli();
  const delegatees = [walletAddress(TEST_WALLET_KEY), '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'];
  const sdk = await sdkCapacityDelegation({
    client: makeOfflineClient(),
    ownerKey: OTHER_WALLET_KEY,
    delegateeAddresses: delegatees,
    uses: '7',
    capacityTokenId: '99',
    expiration: T.expiration,
    issuedAt: T.siweIssuedAt,
  });
  const ours = cliAuthSig({
    walletKey: OTHER_WALLET_KEY,
    uri: 'lit:capability:delegation',
    requests: ['lit-ratelimitincrease://99=rate-limit-increase-auth'],
    delegateTo: delegatees,
    uses: 7,
    nftId: '99',
    statement: SDK_STATEMENT,
    nonce: '0x' + 'ab'.repeat(32),
    issuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  sameJson(ours, sdk, 'delegation AuthSig');
  // and a session of the delegatee carrying it: same SessionSigs as the SDK's
  const sessionKey = sessionKeyFromSeed(SEED_A);
  const sdkSs = await sdkSessionSigs({ sessionKey, siweIssuedAt: T.siweIssuedAt, expiration: T.expiration, capacityDelegationAuthSig: sdk, statement: SDK_STATEMENT });
  const authSig = cliAuthSig({
    walletKey: TEST_WALLET_KEY,
    sessionKey,
    requests: ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution'],
    statement: SDK_STATEMENT,
    nonce: '0x' + 'ab'.repeat(32),
    issuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  const ss = cliSessionSigs({
    sessionKey,
    authSig,
    capabilities: [ours],
    nodes: NODE_URLS,
    requests: ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution'],
    issuedAt: T.issuedAt,
    expiration: T.expiration,
  });
  sameJson(ss, sdkSs.sessionSigs, 'SessionSigs with the delegation');
});
