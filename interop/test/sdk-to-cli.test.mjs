// A. SDK -> us. The real Lit SDK 7.4.0 (offline) makes SessionSigs; `sessionsig verify` must
// accept each for its own node and refuse everything a node must refuse, with the right code.
// Needs the CLI: a missing binary FAILS these tests (see lib/cli.mjs).

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  sdkSessionSigs,
  sdkCapacityDelegation,
  makeOfflineClient,
  sessionKeyFromSeed,
  resign,
  walletAddress,
  naclVerify,
  SEED_A,
  SEED_B,
  NODE_URLS,
  TEST_WALLET_KEY,
  OTHER_WALLET_KEY,
} from '../lib/sdk.mjs';
import { requireCli, verify, show } from '../lib/cli.mjs';
import { T, PKP_ID, flipChar, sameInstant } from '../lib/fixtures.mjs';

const skA = sessionKeyFromSeed(SEED_A);
const skB = sessionKeyFromSeed(SEED_B);
const owner = walletAddress(TEST_WALLET_KEY);
const [N0, N1, N2] = NODE_URLS;
const neighbour = (url) => NODE_URLS[(NODE_URLS.indexOf(url) + 1) % NODE_URLS.length];

let base; // SDK bundle: skA, pkp://* + litaction://*, 3 nodes, fixed one-day window

before(async () => {
  base = await sdkSessionSigs({
    sessionKey: skA,
    siweIssuedAt: T.siweIssuedAt,
    issuedAt: T.issuedAt,
    expiration: T.expiration,
  });
});

/** Assert: one result line, valid. */
function expectValid(r, what) {
  assert.equal(r.results.length, 1, `one result line expected for ${what}${show(r.run)}`);
  const [res] = r.results;
  assert.equal(res.valid, true, `${what} should verify${show(r.run)}`);
  assert.equal(r.code, 0, `exit 0 expected for ${what}${show(r.run)}`);
  return res;
}

/** Assert: one result line, refused with `codes` (one code or a list of acceptable codes). */
function expectRefused(r, codes, what) {
  const ok = [codes].flat();
  assert.equal(r.results.length, 1, `one result line expected for ${what}${show(r.run)}`);
  const [res] = r.results;
  assert.equal(res.valid, false, `${what} must be refused${show(r.run)}`);
  assert.ok(ok.includes(res.code), `${what}: code ${JSON.stringify(res.code)}, expected ${ok.join(' or ')}${show(r.run)}`);
  assert.equal(typeof res.error, 'string', `${what}: "error" message missing${show(r.run)}`);
  assert.equal(r.code, 1, `exit 1 expected for ${what}${show(r.run)}`);
  return res;
}

test('the sessionsig CLI binary is present (build it or set SESSIONSIG_BIN)', () => {
  requireCli();
});

test('each node accepts the SDK SessionSig made for it (exit 0, {"valid":true,...})', () => {
  for (const url of NODE_URLS) {
    const res = expectValid(verify(base.sessionSigs[url], { node: url, at: T.inside }), `SessionSig for ${url}`);
    assert.equal(res.owner?.toLowerCase(), owner.toLowerCase(), `owner for ${url}`);
    assert.equal(res.sessionKey, skA.publicKey, `sessionKey for ${url}`);
    assert.ok(res.capabilities !== undefined, '"capabilities" missing from the result');
    assert.ok(sameInstant(res.expiration, T.expiration), `expiration ${res.expiration} != ${T.expiration}`);
  }
});

test('an operation the SessionSig requested is accepted (--request)', () => {
  for (const req of ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution']) {
    expectValid(verify(base.sessionSigs[N1], { node: N1, at: T.inside, requests: [req] }), `--request ${req}`);
  }
  expectValid(
    verify(base.sessionSigs[N1], {
      node: N1,
      at: T.inside,
      requests: ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution'],
    }),
    'both requests at once',
  );
});

test('a SessionSigs map: the entry for --node is the one verified; FILE argument works too', () => {
  for (const url of NODE_URLS) {
    const res = expectValid(verify(base.sessionSigs, { node: url, at: T.inside }), `map, --node ${url}`);
    assert.equal(res.sessionKey, skA.publicKey);
  }
  expectValid(verify(base.sessionSigs, { node: N2, at: T.inside, file: true }), 'map from FILE');
  expectValid(verify(base.sessionSigs[N2], { node: N2, at: T.inside, file: true }), 'SessionSig from FILE');
});

test('localhost and 127.0.0.1 name the same node', () => {
  expectValid(verify(base.sessionSigs[N0], { node: 'http://localhost:7470', at: T.inside }), '--node http://localhost:7470');
});

test('replay on a neighbour node is refused: wrong_node', () => {
  for (const url of NODE_URLS) {
    expectRefused(verify(base.sessionSigs[url], { node: neighbour(url), at: T.inside }), 'wrong_node', `${url} sig at ${neighbour(url)}`);
  }
  expectRefused(verify(base.sessionSigs[N0], { node: 'http://127.0.0.1:9999', at: T.inside }), 'wrong_node', 'unknown port');
});

test('JSON Lines: one result line per input, exit 1 if any is invalid', () => {
  const r = verify(NODE_URLS.map((u) => base.sessionSigs[u]), { node: N0, at: T.inside });
  assert.equal(r.results.length, 3, show(r.run));
  assert.equal(r.results[0].valid, true, show(r.run));
  assert.deepEqual(r.results.slice(1).map((x) => [x.valid, x.code]), [[false, 'wrong_node'], [false, 'wrong_node']], show(r.run));
  assert.equal(r.code, 1, show(r.run));
  const ok = verify([base.sessionSigs[N0], base.sessionSigs], { node: N0, at: T.inside });
  assert.deepEqual(ok.results.map((x) => x.valid), [true, true], show(ok.run));
  assert.equal(ok.code, 0, show(ok.run));
});

test('any changed signed byte is refused: bad_session_signature', () => {
  const ss = base.sessionSigs[N0];
  const msg = ss.signedMessage;
  const at = (needle, off = 0) => {
    const i = msg.indexOf(needle);
    assert.ok(i >= 0, needle);
    return i + off;
  };
  const positions = {
    'first byte of the message': 0,
    'session key': at('"sessionKey":"', 20),
    'requested resource': at('"resource":"*"', 12),
    'ability name': at('pkp-signing', 2),
    'embedded AuthSig signature': at('"sig":"0x', 12),
    'embedded SIWE text': at('Chain ID: 1', 2),
    'issuedAt': at('"issuedAt":"', 14),
    'expiration': at('"expiration":"', 16),
    'nodeAddress port': at(':7470"', 4),
    'last byte': msg.length - 1,
  };
  for (const [what, i] of Object.entries(positions)) {
    const t = { ...ss, signedMessage: flipChar(msg, i) };
    assert.equal(naclVerify(t), false);
    expectRefused(verify(t, { node: N0, at: T.inside }), 'bad_session_signature', `changed ${what}`);
  }
  for (const i of [0, 63, 64, 127]) {
    expectRefused(verify({ ...ss, sig: flipChar(ss.sig, i) }, { node: N0, at: T.inside }), 'bad_session_signature', `sig hex ${i} changed`);
  }
  // the same message presented under another session key
  expectRefused(verify({ ...ss, address: skB.publicKey }, { node: N0, at: T.inside }), 'bad_session_signature', 'address swapped');
});

test('outside the time window: expired / issued_in_future', () => {
  expectRefused(verify(base.sessionSigs[N0], { node: N0, at: T.afterExpiry }), 'expired', '--at after expiration');
  expectRefused(verify(base.sessionSigs, { node: N1, at: T.afterExpiry }), 'expired', 'map, --at after expiration');
  expectRefused(verify(base.sessionSigs[N0], { node: N0, at: T.beforeIssue }), 'issued_in_future', '--at before issuedAt');
});

test('the session key holder re-signs a longer expiration: refused (the AuthSig expired)', () => {
  const t = resign(base.sessionSigs[N0], skA.secretKey, (m) => {
    m.expiration = '2025-06-10T00:00:00.000Z';
  });
  // the SessionSig itself is fine at that time; the wallet's grant is not
  expectRefused(verify(t, { node: N0, at: '2025-06-05T00:00:00.000Z' }), ['siwe_expired', 'expired'], 'SessionSig outliving its AuthSig');
});

test('a request wider than the grant is refused: capability_not_granted', async () => {
  // 1. made by the real SDK: the wallet grants one PKP, the session asks for every PKP. The SDK's
  //    checkNeedToResignSessionKey notices, asks the wallet again, gets the same grant, and signs anyway.
  const sdkWide = await sdkSessionSigs({
    sessionKey: skB,
    grants: [`lit-pkp://${PKP_ID}=pkp-signing`],
    requests: ['lit-pkp://*=pkp-signing'],
    siweIssuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  for (const url of NODE_URLS) {
    expectRefused(verify(sdkWide.sessionSigs[url], { node: url, at: T.inside }), 'capability_not_granted', `SDK: pkp://* under a grant of pkp://${PKP_ID}`);
  }
  // 2. the exact grant is fine ...
  const exact = await sdkSessionSigs({
    sessionKey: skB,
    requests: [`lit-pkp://${PKP_ID}=pkp-signing`],
    siweIssuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  expectValid(verify(exact.sessionSigs[N0], { node: N0, at: T.inside, requests: [`lit-pkp://${PKP_ID}=pkp-signing`] }), 'exact PKP grant');
  // ... and widening it by re-signing with the session secret key is refused
  const widened = resign(exact.sessionSigs[N0], skB.secretKey, (m) => {
    m.resourceAbilityRequests[0].resource.resource = '*';
  });
  expectRefused(verify(widened, { node: N0, at: T.inside }), 'capability_not_granted', 're-signed pkp://*');
  // 3. an ability that was not granted (Lit Action execution under a PKP-only grant)
  const otherAbility = resign(exact.sessionSigs[N0], skB.secretKey, (m) => {
    m.resourceAbilityRequests.push({ resource: { resource: '*', resourcePrefix: 'lit-litaction' }, ability: 'lit-action-execution' });
  });
  expectRefused(verify(otherAbility, { node: N0, at: T.inside }), 'capability_not_granted', 'ungranted Lit Action execution');
});

test('an operation the SessionSig did not request is refused: operation_not_requested', async () => {
  const pkpOnly = await sdkSessionSigs({
    sessionKey: skA,
    requests: ['lit-pkp://*=pkp-signing'],
    siweIssuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  expectValid(verify(pkpOnly.sessionSigs[N0], { node: N0, at: T.inside, requests: ['lit-pkp://*=pkp-signing'] }), 'requested op');
  expectRefused(
    verify(pkpOnly.sessionSigs[N0], { node: N0, at: T.inside, requests: ['lit-litaction://*=lit-action-execution'] }),
    'operation_not_requested',
    'Lit Action op on a PKP-only SessionSig',
  );
});

test('an AuthSig for another session key is refused', async () => {
  const codes = ['auth_sig_wrong_session_key', 'missing_session_auth_sig'];
  // 1. made by the real SDK: the wallet signs lit:session:<B> while the session key is A
  const sdkWrong = await sdkSessionSigs({
    sessionKey: skA,
    sessionUri: `lit:session:${skB.publicKey}`,
    siweIssuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  expectRefused(verify(sdkWrong.sessionSigs[N0], { node: N0, at: T.inside }), codes, 'SDK: AuthSig for session key B signed by A');
  // 2. session key A lifts B's valid AuthSig into its own SessionSig
  const forB = await sdkSessionSigs({ sessionKey: skB, siweIssuedAt: T.siweIssuedAt, expiration: T.expiration });
  const stolen = resign(base.sessionSigs[N0], skA.secretKey, (m) => {
    m.capabilities = [forB.authSig];
  });
  expectRefused(verify(stolen, { node: N0, at: T.inside }), codes, "A carrying B's AuthSig");
  // 3. no AuthSig at all
  const none = resign(base.sessionSigs[N0], skA.secretKey, (m) => {
    m.capabilities = [];
  });
  expectRefused(verify(none, { node: N0, at: T.inside }), ['missing_session_auth_sig', 'session_sig_malformed'], 'no capabilities');
});

test('a forged or edited wallet AuthSig is refused', () => {
  // the session key holder edits its own grant (wider PKP set) and re-signs the SessionSig
  const edited = resign(base.sessionSigs[N0], skA.secretKey, (m) => {
    m.capabilities[0].signedMessage = m.capabilities[0].signedMessage.replace('Expiration Time: 2025-06-02', 'Expiration Time: 2025-07-02');
  });
  expectRefused(verify(edited, { node: N0, at: T.inside }), 'signer_mismatch', 'edited SIWE text');
  const badSig = resign(base.sessionSigs[N0], skA.secretKey, (m) => {
    m.capabilities[0].sig = flipChar(m.capabilities[0].sig, 20);
  });
  expectRefused(verify(badSig, { node: N0, at: T.inside }), ['signer_mismatch', 'malformed_signature'], 'changed wallet signature');
  const otherAddr = resign(base.sessionSigs[N0], skA.secretKey, (m) => {
    m.capabilities[0].address = walletAddress(OTHER_WALLET_KEY);
  });
  expectRefused(verify(otherAddr, { node: N0, at: T.inside }), 'auth_sig_address_mismatch', 'AuthSig address field != SIWE address');
});

test('SDK SessionSigs carrying a capacity delegation (createCapacityDelegationAuthSig) verify', async () => {
  const client = makeOfflineClient();
  const delegation = await sdkCapacityDelegation({
    client,
    ownerKey: OTHER_WALLET_KEY,
    delegateeAddresses: [owner],
    uses: '100',
    capacityTokenId: '24529',
    expiration: T.expiration,
    issuedAt: T.siweIssuedAt,
  });
  const r = await sdkSessionSigs({
    client,
    sessionKey: skA,
    siweIssuedAt: T.siweIssuedAt,
    expiration: T.expiration,
    capacityDelegationAuthSig: delegation,
  });
  for (const url of NODE_URLS) {
    const res = expectValid(verify(r.sessionSigs[url], { node: url, at: T.inside, requests: ['lit-pkp://*=pkp-signing'] }), `with delegation, ${url}`);
    assert.equal(res.owner?.toLowerCase(), owner.toLowerCase());
  }
  const forged = resign(r.sessionSigs[N0], skA.secretKey, (m) => {
    m.capabilities[0].signedMessage = m.capabilities[0].signedMessage.replace('Chain ID: 1', 'Chain ID: 2');
  });
  expectRefused(verify(forged, { node: N0, at: T.inside }), 'signer_mismatch', 'edited delegation');
});

test('a session key the SDK generated itself, real clock, default 24 h expiration', async () => {
  const r = await sdkSessionSigs({});
  for (const url of NODE_URLS) {
    const res = expectValid(verify(r.sessionSigs[url], { node: url }), `random SDK session key, ${url}`);
    assert.equal(res.sessionKey, r.sessionKey.publicKey);
  }
});

test('access-control-condition decryption (the vectors-v7 resources) verifies per resource', async () => {
  const acc = 'lit-accesscontrolcondition://14805f09ce08f4ec3c59250addf4098a3132f1f2c5201d849b0850cff389c130/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
  const r = await sdkSessionSigs({
    sessionKey: skA,
    requests: [`${acc}=access-control-condition-decryption`, `lit-pkp://${PKP_ID}=pkp-signing`, 'lit-litaction://*=lit-action-execution'],
    siweIssuedAt: T.siweIssuedAt,
    expiration: T.expiration,
  });
  expectValid(verify(r.sessionSigs[N2], { node: N2, at: T.inside, requests: [`${acc}=access-control-condition-decryption`] }), 'ACC decryption');
  expectRefused(
    verify(r.sessionSigs[N2], { node: N2, at: T.inside, requests: [`${acc}=access-control-condition-signing`] }),
    'operation_not_requested',
    'ACC signing not requested',
  );
});
