// Issue 3 on the real SDK: capacity delegations made by the real
// `createCapacityDelegationAuthSig`, carried by the real `getSessionSigs`, verified by our CLI
// with delegate_to, uses and the delegation's own time window enforced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sdkSessionSigs,
  sdkCapacityDelegation,
  makeOfflineClient,
  sessionKeyFromSeed,
  walletAddress,
  SEED_A,
  NODE_URLS,
  TEST_WALLET_KEY,
  OTHER_WALLET_KEY,
  ethers,
} from '../lib/sdk.mjs';
import { requireCli, verify, show, cliAuthSig, cliSessionSigs } from '../lib/cli.mjs';
import { T, recapOf } from '../lib/fixtures.mjs';
import { withClock } from '../lib/clock.mjs';
import * as v8 from 'auth-helpers-v8';

const skA = sessionKeyFromSeed(SEED_A);
const owner = walletAddress(TEST_WALLET_KEY);
const capacityOwner = walletAddress(OTHER_WALLET_KEY);
const [N0] = NODE_URLS;

async function bundleWith(delegation) {
  return sdkSessionSigs({
    client: makeOfflineClient(),
    sessionKey: skA,
    siweIssuedAt: T.siweIssuedAt,
    issuedAt: T.issuedAt,
    expiration: T.expiration,
    capacityDelegationAuthSig: delegation,
  });
}

async function delegation(o) {
  return sdkCapacityDelegation({
    client: makeOfflineClient(),
    ownerKey: OTHER_WALLET_KEY,
    capacityTokenId: '24529',
    expiration: T.expiration,
    issuedAt: T.siweIssuedAt,
    ...o,
  });
}

test('the sessionsig CLI binary is present (build it or set SESSIONSIG_BIN)', () => {
  requireCli();
});

test('an SDK capacity delegation is reported, and its uses are counted across requests', async () => {
  const d = await delegation({ delegateeAddresses: [owner], uses: '2' });
  const r = await bundleWith(d);
  // The same SessionSig three times in one verifier run (one process = one usage store).
  const run = verify([r.sessionSigs[N0], r.sessionSigs[N0], r.sessionSigs[N0]], { node: N0, at: T.inside });
  assert.equal(run.results.length, 3, show(run.run));
  const [a, b, c] = run.results;
  for (const ok of [a, b]) {
    assert.equal(ok.valid, true, show(run.run));
    assert.equal(ok.delegations.length, 1);
    assert.equal(ok.delegations[0].delegator.toLowerCase(), capacityOwner.toLowerCase());
    assert.equal(ok.delegations[0].uri, 'lit:capability:delegation');
  }
  assert.equal(c.valid, false);
  assert.equal(c.code, 'uses_exhausted', show(run.run));
  assert.equal(run.code, 1);
});

test('an SDK delegation to another wallet is refused (not_a_delegate)', async () => {
  const someoneElse = walletAddress('0x' + '77'.repeat(32));
  const d = await delegation({ delegateeAddresses: [someoneElse], uses: '5' });
  const r = await bundleWith(d);
  const run = verify(r.sessionSigs[N0], { node: N0, at: T.inside });
  assert.equal(run.results[0].valid, false, show(run.run));
  assert.equal(run.results[0].code, 'not_a_delegate', show(run.run));
});

test('an expired SDK delegation is refused while the session AuthSig is still valid', async () => {
  const d = await delegation({ delegateeAddresses: [owner], expiration: '2025-06-01T06:00:00.000Z' });
  const r = await bundleWith(d);
  const early = verify(r.sessionSigs[N0], { node: N0, at: '2025-06-01T03:00:00.000Z' });
  assert.equal(early.results[0].valid, true, show(early.run));
  const late = verify(r.sessionSigs[N0], { node: N0, at: T.inside });
  assert.equal(late.results[0].valid, false, show(late.run));
  assert.equal(late.results[0].code, 'delegation_not_valid', show(late.run));
});

// Issue 10 item 1 on the real v8 SDK: payment delegations made by `createPaymentDelegationAuthSig`
// (auth-helpers 8.x, offline: the nonce is given), carried by a v8 SessionSig from our CLI; the
// delegation's `max_price` caps the SessionSig's `maxPrice` and its `scopes` the operations.
async function sdkPaymentDelegation({ maxPrice, scopes }) {
  return withClock(T.siweIssuedAt, () =>
    v8.createPaymentDelegationAuthSig({
      signer: new ethers.Wallet(OTHER_WALLET_KEY),
      delegateeAddresses: [owner],
      maxPrice,
      scopes,
      nonce: 'paymentdelegation0001',
      expiration: T.expiration,
      domain: 'localhost',
    }),
  );
}

function v8SessionWith(delegation, maxPrice) {
  const authSig = cliAuthSig({
    walletKey: TEST_WALLET_KEY,
    sessionKey: skA,
    requests: ['lit-litaction://*=lit-action-execution', 'lit-pkp://*=pkp-signing'],
    issuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  return cliSessionSigs({
    sessionKey: skA,
    authSig,
    capabilities: [delegation],
    nodes: [N0],
    requests: ['lit-litaction://*=lit-action-execution', 'lit-pkp://*=pkp-signing'],
    issuedAt: T.issuedAt,
    expiration: T.expiration,
    format: 'v8',
    maxPrice,
  })[N0];
}

test('an SDK v8 payment delegation: maxPrice within max_price and operations within scopes', async () => {
  const d = await sdkPaymentDelegation({ maxPrice: '1000', scopes: ['lit_action'] });
  const recap = recapOf(d.signedMessage);
  const grant = recap.obj.att['lit-paymentdelegation://*']['Auth/Auth'][0];
  assert.equal(grant.max_price, '3e8', 'the SDK writes max_price as hex without 0x');
  assert.deepEqual(grant.scopes, ['lit_action']);

  const within = v8SessionWith(d, 1000);
  const action = verify(within, { node: N0, at: T.inside, requests: ['lit-litaction://*=lit-action-execution'] });
  assert.equal(action.results[0].valid, true, show(action.run));
  // PKP signing is outside the delegation's scopes.
  const pkp = verify(within, { node: N0, at: T.inside, requests: ['lit-pkp://*=pkp-signing'] });
  assert.equal(pkp.results[0].valid, false, show(pkp.run));
  assert.equal(pkp.results[0].code, 'caveat_not_satisfied', show(pkp.run));
  // One wei over max_price.
  const over = verify(v8SessionWith(d, 1001), {
    node: N0,
    at: T.inside,
    requests: ['lit-litaction://*=lit-action-execution'],
  });
  assert.equal(over.results[0].valid, false, show(over.run));
  assert.equal(over.results[0].code, 'caveat_not_satisfied', show(over.run));
});

test('an SDK v8 payment delegation with pkp_sign scope admits PKP signing', async () => {
  const d = await sdkPaymentDelegation({ maxPrice: 10n ** 18n, scopes: ['pkp_sign', 'lit_action'] });
  const s = v8SessionWith(d, 10 ** 17);
  const pkp = verify(s, { node: N0, at: T.inside, requests: ['lit-pkp://*=pkp-signing'] });
  assert.equal(pkp.results[0].valid, true, show(pkp.run));
});
