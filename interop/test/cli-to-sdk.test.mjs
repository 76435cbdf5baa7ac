// B. us -> SDK. The `sessionsig` CLI makes the session key, the AuthSig and the SessionSigs; the real
// Lit SDK 7.4.0 (checkNeedToResignSessionKey, validateSessionSigs, getSessionSigs), siwe 2.3.2,
// ethers 5, tweetnacl and auth-helpers 8.2.1 must accept them.
// Times are around the real now here: the SDK checks only against the wall clock.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as v8 from 'auth-helpers-v8';
import { decode as recapDecodeV7 } from '@lit-protocol/auth-helpers';
import {
  makeOfflineClient,
  sdkSessionSigs,
  parseRequest,
  naclVerify,
  siweVerify,
  sdkValidate,
  quietly,
  walletAddress,
  sessionKeyFromSeed,
  fromHex,
  toHex,
  nacl,
  ethers,
  SiweMessage,
  TEST_WALLET_KEY,
  TEST_NONCE,
  NODE_URLS,
  SEED_B,
} from '../lib/sdk.mjs';
import { withClock } from '../lib/clock.mjs';
import {
  requireCli,
  runCli,
  runJson,
  show,
  keygen,
  cliAuthSig,
  cliSessionSigs,
  authSigArgs,
  walletKeyFile,
  writeText,
  verify,
} from '../lib/cli.mjs';
import { nowWindow, V7_SIGNED_KEYS, V8_SIGNED_KEYS, SESSION_SIG_KEYS, AUTH_SIG_KEYS, recapOf, flipChar, PKP_ID } from '../lib/fixtures.mjs';

const REQS = ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution'];
const owner = walletAddress(TEST_WALLET_KEY);
const W = nowWindow();

let sk; // from `sessionsig keygen`
let authSig; // from `sessionsig auth-sig`
let setupError = null;

before(() => {
  try {
    sk = keygen();
    authSig = cliAuthSig({
      walletKey: TEST_WALLET_KEY,
      sessionKey: sk,
      requests: REQS,
      nonce: TEST_NONCE,
      issuedAt: W.siweIssuedAt,
      expiration: W.expiration,
    });
  } catch (e) {
    setupError = e; // each test then fails with this message

  }
});

const need = () => {
  requireCli();
  if (setupError) throw setupError;
};

test('the sessionsig CLI binary is present (build it or set SESSIONSIG_BIN)', () => {
  requireCli();
});

test('keygen: a v7 session key pair tweetnacl agrees with', () => {
  need();
  assert.deepEqual(Object.keys(sk).sort(), ['publicKey', 'secretKey']);
  assert.match(sk.publicKey, /^[0-9a-f]{64}$/);
  assert.match(sk.secretKey, /^[0-9a-f]{128}$/, 'v7 layout: 128 hex (seed || public key)');
  const kp = nacl.sign.keyPair.fromSecretKey(fromHex(sk.secretKey));
  assert.equal(toHex(kp.publicKey), sk.publicKey);
  assert.deepEqual(sessionKeyFromSeed(sk.secretKey.slice(0, 64)), sk);
  const other = keygen();
  assert.notEqual(other.publicKey, sk.publicKey, 'two keygens, two keys');
  // the SDK signs with it as it would with its own generateSessionKeyPair() output
  const m = new TextEncoder().encode('hello');
  assert.ok(nacl.sign.detached.verify(m, nacl.sign.detached(m, fromHex(sk.secretKey)), fromHex(sk.publicKey)));
});

test('auth-sig: siwe 2.3.2 and ethers 5 verify it; it delegates to lit:session:<pub>', async () => {
  need();
  assert.deepEqual(Object.keys(authSig), AUTH_SIG_KEYS, 'AuthSig key order');
  assert.equal(authSig.derivedVia, 'web3.eth.personal.sign');
  assert.equal(authSig.address, owner, 'EIP-55 wallet address');
  assert.match(authSig.sig, /^0x[0-9a-f]{130}$/);
  const res = await new SiweMessage(authSig.signedMessage).verify({ signature: authSig.sig }, { suppressExceptions: true });
  assert.ok(res.success, `siwe verify: ${res.error?.type} ${res.error?.received ?? ''}`);
  assert.equal(res.data.address, owner);
  assert.equal(res.data.uri, `lit:session:${sk.publicKey}`);
  assert.equal(res.data.nonce, TEST_NONCE);
  assert.equal(res.data.issuedAt, W.siweIssuedAt);
  assert.equal(res.data.expirationTime, W.expiration);
  assert.equal(res.data.domain, 'localhost', 'default --domain');
  assert.equal(res.data.chainId, 1, 'default --chain-id');
  // exactly what siwe itself prints for these fields (round trip of the exact bytes)
  assert.equal(new SiweMessage(authSig.signedMessage).prepareMessage(), authSig.signedMessage);
  assert.equal(ethers.utils.verifyMessage(authSig.signedMessage, authSig.sig), owner);
  // the ReCap decodes with the SDK and grants what was asked
  const { obj } = recapOf(authSig.signedMessage);
  assert.deepEqual(obj, {
    att: { 'lit-litaction://*': { 'Threshold/Execution': [{}] }, 'lit-pkp://*': { 'Threshold/Signing': [{}] } },
    prf: [],
  });
  const cap = recapDecodeV7(recapOf(authSig.signedMessage).urn);
  for (const r of REQS.map(parseRequest)) assert.ok(cap.verifyCapabilitiesForResource(r.resource, r.ability), r.ability);
  assert.ok(authSig.signedMessage.includes(cap.statement), 'statement carries the ReCap text');
});

test('auth-sig: the SDK client does not ask to re-sign (checkNeedToResignSessionKey = false)', async () => {
  need();
  const client = makeOfflineClient();
  const uri = client.getSessionKeyUri(sk.publicKey);
  for (const reqs of [REQS, [REQS[0]], [REQS[1]], [`lit-pkp://${PKP_ID}=pkp-signing`]]) {
    const again = await client.checkNeedToResignSessionKey({ authSig, sessionKeyUri: uri, resourceAbilityRequests: reqs.map(parseRequest) });
    assert.equal(again, false, `checkNeedToResignSessionKey for ${reqs.join(', ')}`);
  }
  // and it does ask when the AuthSig is for another key or does not cover the request
  const otherUri = client.getSessionKeyUri(sessionKeyFromSeed(SEED_B).publicKey);
  assert.equal(await client.checkNeedToResignSessionKey({ authSig, sessionKeyUri: otherUri, resourceAbilityRequests: REQS.map(parseRequest) }), true);
  assert.equal(
    await client.checkNeedToResignSessionKey({
      authSig,
      sessionKeyUri: uri,
      resourceAbilityRequests: [parseRequest('lit-accesscontrolcondition://*=access-control-condition-decryption')],
    }),
    true,
  );
});

test('auth-sig: wallet key from SESSIONSIG_WALLET_KEY gives the same AuthSig as --wallet-key-file', () => {
  need();
  const args = authSigArgs({ sessionKey: sk, requests: REQS, nonce: TEST_NONCE, issuedAt: W.siweIssuedAt, expiration: W.expiration });
  const fromEnv = runJson(args, { env: { SESSIONSIG_WALLET_KEY: TEST_WALLET_KEY } });
  assert.equal(JSON.stringify(fromEnv), JSON.stringify(authSig));
});

test('session-sigs (v7): tweetnacl verifies every SessionSig; validateSessionSigs reports valid', async () => {
  need();
  const ss = cliSessionSigs({ sessionKey: sk, authSig, nodes: NODE_URLS, requests: REQS, issuedAt: W.issuedAt, expiration: W.expiration });
  assert.deepEqual(Object.keys(ss), NODE_URLS, 'map keyed by node URL, in --node order');
  for (const [url, s] of Object.entries(ss)) {
    assert.deepEqual(Object.keys(s), SESSION_SIG_KEYS, 'SessionSig key order');
    assert.equal(s.derivedVia, 'litSessionSignViaNacl');
    assert.equal(s.algo, 'ed25519');
    assert.equal(s.address, sk.publicKey);
    assert.match(s.sig, /^[0-9a-f]{128}$/);
    assert.ok(nacl.sign.detached.verify(new TextEncoder().encode(s.signedMessage), fromHex(s.sig), fromHex(s.address)), `tweetnacl: ${url}`);
    const m = JSON.parse(s.signedMessage);
    assert.deepEqual(Object.keys(m), V7_SIGNED_KEYS);
    assert.equal(JSON.stringify(m), s.signedMessage, 'compact JSON, SDK key order');
    assert.equal(m.nodeAddress, url);
    assert.equal(m.sessionKey, sk.publicKey);
    assert.equal(m.issuedAt, W.issuedAt);
    assert.equal(m.expiration, W.expiration);
    assert.equal(JSON.stringify(m.capabilities), JSON.stringify([authSig]), 'capabilities = [the AuthSig], byte for byte');
    assert.deepEqual(m.resourceAbilityRequests, [
      { resource: { resource: '*', resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' },
      { resource: { resource: '*', resourcePrefix: 'lit-litaction' }, ability: 'lit-action-execution' },
    ]);
  }
  assert.deepEqual(await sdkValidate(ss), { isValid: true, errors: [] });
  // and our own verifier agrees, per node
  for (const url of NODE_URLS) {
    const r = verify(ss, { node: url, requests: [REQS[0]] });
    assert.deepEqual(r.results.map((x) => x.valid), [true], show(r.run));
  }
});

test('session-sigs (v8 --max-price): the Naga wire form; tweetnacl and validateSessionSigs accept it', async () => {
  need();
  const wei = '100000000000000000';
  const ss = cliSessionSigs({
    sessionKey: sk,
    authSig,
    nodes: NODE_URLS,
    requests: REQS,
    issuedAt: W.issuedAt,
    expiration: W.expiration,
    format: 'v8',
    maxPrice: wei,
  });
  assert.deepEqual(Object.keys(ss), NODE_URLS);
  for (const [url, s] of Object.entries(ss)) {
    assert.deepEqual(Object.keys(s), SESSION_SIG_KEYS);
    assert.ok(naclVerify(s), `tweetnacl: ${url}`);
    const m = JSON.parse(s.signedMessage);
    assert.deepEqual(Object.keys(m), V8_SIGNED_KEYS, 'v8 appends maxPrice last');
    assert.equal(JSON.stringify(m), s.signedMessage);
    assert.equal(m.maxPrice, '0x' + BigInt(wei).toString(16));
    assert.deepEqual(m.resourceAbilityRequests, [
      { resource: { resourcePrefix: 'lit-pkp', resource: '*' }, ability: 'pkp-signing' },
      { resource: { resourcePrefix: 'lit-litaction', resource: '*' }, ability: 'lit-action-execution' },
    ]);
    assert.equal(m.nodeAddress, url);
  }
  assert.ok((await sdkValidate(ss)).isValid);
});

test('v8: auth-sig with an empty statement equals auth-helpers 8.2.1 createSiweMessageWithResources + generateAuthSig', async () => {
  need();
  const v8sk = sessionKeyFromSeed(SEED_B);
  const ours = cliAuthSig({
    walletKey: TEST_WALLET_KEY,
    sessionKey: v8sk,
    requests: REQS,
    statement: '',
    nonce: TEST_NONCE,
    issuedAt: W.siweIssuedAt,
    expiration: W.expiration,
  });
  const wallet = new ethers.Wallet(TEST_WALLET_KEY);
  const text = await withClock(W.siweIssuedAt, () =>
    v8.createSiweMessageWithResources({
      walletAddress: wallet.address,
      nonce: TEST_NONCE,
      expiration: W.expiration,
      statement: '',
      uri: `lit:session:${v8sk.publicKey}`,
      resources: [
        { resource: new v8.LitPKPResource('*'), ability: 'pkp-signing' },
        { resource: new v8.LitActionResource('*'), ability: 'lit-action-execution' },
      ],
    }),
  );
  assert.equal(ours.signedMessage, text);
  const theirs = await v8.generateAuthSig({ signer: wallet, toSign: text });
  assert.equal(JSON.stringify(ours), JSON.stringify(theirs));
  // and auth-helpers 8.2.1's decoder reads our ReCap
  const cap = v8.decode(recapOf(ours.signedMessage).urn);
  assert.ok(cap.verifyCapabilitiesForResource(new v8.LitPKPResource('*'), 'pkp-signing'));
});

test('the real getSessionSigs takes our AuthSig as its wallet signature (no re-sign) and we verify the result', async () => {
  need();
  let calls = 0;
  const client = makeOfflineClient();
  const ss = await quietly(() =>
    client.getSessionSigs({
      chain: 'ethereum',
      sessionKey: sk,
      expiration: W.expiration,
      resourceAbilityRequests: REQS.map(parseRequest),
      authNeededCallback: async () => {
        calls += 1;
        return authSig;
      },
    }),
  );
  assert.equal(calls, 1, 'the SDK asked for the wallet signature twice: it rejected our AuthSig');
  for (const url of NODE_URLS) {
    assert.deepEqual(JSON.parse(ss[url].signedMessage).capabilities, [authSig]);
    const r = verify(ss[url], { node: url, requests: REQS });
    assert.deepEqual(r.results.map((x) => x.valid), [true], show(r.run));
  }
});

test('siwe verify: accepts an SDK-made SIWE, refuses a changed one', async () => {
  need();
  const sdk = await sdkSessionSigs({ sessionKey: sk, siweIssuedAt: W.siweIssuedAt, expiration: W.expiration });
  const file = writeText('siwe.txt', sdk.authSig.signedMessage);
  const ok = runCli(['siwe', 'verify', '--signature', sdk.authSig.sig, file]);
  assert.equal(ok.code, 0, show(ok));
  const withChecks = runCli(['siwe', 'verify', '--signature', sdk.authSig.sig, '--domain', 'localhost', '--nonce', TEST_NONCE, '--at', W.issuedAt], {
    input: sdk.authSig.signedMessage,
  });
  assert.equal(withChecks.code, 0, show(withChecks));
  const changed = writeText('siwe-changed.txt', sdk.authSig.signedMessage.replace('Chain ID: 1', 'Chain ID: 5'));
  const bad = runCli(['siwe', 'verify', '--signature', sdk.authSig.sig, changed]);
  assert.equal(bad.code, 1, show(bad));
  const badSig = runCli(['siwe', 'verify', '--signature', flipChar(sdk.authSig.sig, 30), file]);
  assert.equal(badSig.code, 1, show(badSig));
  const wrongNonce = runCli(['siwe', 'verify', '--signature', sdk.authSig.sig, '--nonce', 'abcdefgh1234', file]);
  assert.equal(wrongNonce.code, 1, show(wrongNonce));
  const expired = runCli(['siwe', 'verify', '--signature', sdk.authSig.sig, '--at', '2099-01-01T00:00:00.000Z', file]);
  assert.equal(expired.code, 1, show(expired));
});

test('recap decode / encode agree with the SDK ReCap', async () => {
  need();
  const sdk = await sdkSessionSigs({
    sessionKey: sk,
    requests: [...REQS, `lit-pkp://${PKP_ID}=pkp-signing`, 'lit-accesscontrolcondition://*=access-control-condition-decryption'],
    siweIssuedAt: W.siweIssuedAt,
    expiration: W.expiration,
  });
  const { urn, json, obj } = recapOf(sdk.authSig.signedMessage);
  const decoded = runJson(['recap', 'decode', urn]);
  assert.deepEqual({ att: decoded.att, prf: decoded.prf }, obj, 'recap decode prints the capability object (att, prf at top level)');
  if (decoded.statement !== undefined) {
    assert.equal(decoded.statement, recapDecodeV7(urn).statement, 'the ReCap statement text, as the SDK generates it');
  }
  const enc = runCli(['recap', 'encode', writeText('recap.json', JSON.stringify(obj, null, 2))]);
  assert.equal(enc.code, 0, show(enc));
  const out = enc.stdout.trim();
  const got = out.startsWith('"') ? JSON.parse(out) : out;
  assert.equal(got, urn, `recap encode of ${json}`);
  const encStdin = runCli(['recap', 'encode'], { input: json });
  assert.equal(encStdin.code, 0, show(encStdin));
});

test('usage errors exit 2', () => {
  need();
  for (const args of [['no-such-command'], ['verify'], ['session-sigs', '--format', 'v9']]) {
    const r = runCli(args);
    assert.equal(r.code, 2, show(r));
  }
});
