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
} from '../lib/sdk.mjs';
import { requireCli, verify, show } from '../lib/cli.mjs';
import { T } from '../lib/fixtures.mjs';

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
