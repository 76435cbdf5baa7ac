// D. The session store, shared with the real Lit SDK 7.4.0 through node-localstorage.
//
// Our `sessionsig session … --store DIR --lit-layout` keeps the session exactly where and how the
// SDK's Node.js setup keeps it: `storageProvider: { provider: new LocalStorage(DIR) }` makes the
// SDK read and write `localStorage.getItem/setItem('lit-session-key' | 'lit-wallet-sig')`, and
// node-localstorage keeps each key in the file DIR/encodeURIComponent(key), value = the raw string
// (the SDK stores JSON.stringify(sessionKeyPair) and JSON.stringify(authSig)). (When it writes,
// node-localstorage also %-escapes ! ' ( ) *, which encodeURIComponent leaves alone; no key of ours
// has them, see the last test.)
//
//   1. ours → SDK: what `session login` stores passes the SDK's checkNeedToResignSessionKey (false),
//      which says true for every re-sign reason it knows; the real getSessionSigs takes our store
//      as its own (no wallet prompt).
//   2. SDK → ours: a store the real getSessionSigs wrote is read by `session status` and
//      `session sigs` (no wallet key); `verify` and tweetnacl accept the SessionSigs.
//   3. Second runs, both directions, and both writers on one directory: nothing gets corrupted.
//
// Real clock (with times relative to now) wherever the SDK or our CLI checks the wall clock; the
// SDK side runs in its own processes (lib/sdk-store-run.mjs) because it installs the storage
// provider as a non-redefinable global and node-localstorage caches one instance per directory.

import '../lib/quiet.mjs'; // first: keeps the SDK's import-time deprecation notices off stderr
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalStorage } from 'node-localstorage';
import { LOCAL_STORAGE_KEYS } from '@lit-protocol/constants';
import {
  makeOfflineClient,
  parseRequest,
  naclVerify,
  sdkValidate,
  sessionKeyFromSeed,
  walletAddress,
  fromHex,
  toHex,
  nacl,
  ethers,
  SiweMessage,
  DEFAULT_REQUESTS,
  NODE_URLS,
  TEST_WALLET_KEY,
  OTHER_WALLET_KEY,
  SEED_B,
} from '../lib/sdk.mjs';
import { withClock, RealDate } from '../lib/clock.mjs';
import { requireCli, runCli, jsonDoc, show, walletKeyFile, verify } from '../lib/cli.mjs';
import { AUTH_SIG_KEYS, SESSION_SIG_KEYS, recapOf } from '../lib/fixtures.mjs';
import { sdkStoreRun, LIT_SESSION_KEY, LIT_WALLET_SIG } from '../lib/sdk-store.mjs';

const REQS = DEFAULT_REQUESTS; // lit-pkp://*=pkp-signing, lit-litaction://*=lit-action-execution
const PKP = 'lit-pkp://*=pkp-signing';
const ACC = 'lit-accesscontrolcondition://*=access-control-condition-decryption';
const OWNER = walletAddress(TEST_WALLET_KEY);
const LIT_FILES = [LIT_SESSION_KEY, LIT_WALLET_SIG];

// No wallet key or store from the caller's environment may leak into the CLI runs.
const CLEAN_ENV = { SESSIONSIG_WALLET_KEY: undefined, SESSIONSIG_STORE: undefined };

/**
 * An ISO time `ms` from the real now, whole seconds (`.000Z`). RealDate, because the two directions
 * run side by side and withClock swaps the global Date (today the SDK checks run under it settle
 * in microtasks, so the other direction never runs meanwhile; this does not depend on that).
 */
const isoIn = (ms) => new RealDate(Math.floor((RealDate.now() + ms) / 1000) * 1000).toISOString();

let root;
let walletKeyPath;
const storeDir = (name) => path.join(root, name); // not created: the first writer creates it

before(() => {
  requireCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionsig-store-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  walletKeyPath = walletKeyFile(TEST_WALLET_KEY);
});

// ------------------------------------------------------------------------------------ helpers

function cli(args) {
  const r = runCli(args, { env: CLEAN_ENV });
  assert.equal(r.code, 0, `expected exit 0${show(r)}`);
  return { json: jsonDoc(r.stdout, args.slice(0, 2).join(' ')), run: r };
}

const many = (flag, xs) => xs.flatMap((x) => [flag, x]);

function login(dir, { requests = REQS, expiration, litLayout = true } = {}) {
  return cli([
    'session', 'login', '--store', dir, ...(litLayout ? ['--lit-layout'] : []),
    '--wallet-key-file', walletKeyPath,
    ...many('--request', requests),
    ...(expiration ? ['--expiration', expiration] : []),
  ]).json;
}

function status(dir) {
  const s = cli(['session', 'status', '--store', dir, '--lit-layout', '--json']).json;
  assert.equal(s.sessions.length, 1, JSON.stringify(s));
  return s.sessions[0];
}

/** `session sigs` with no wallet key anywhere. */
function sessionSigs(dir, { requests = [PKP], nodes = NODE_URLS } = {}) {
  return cli([
    'session', 'sigs', '--store', dir, '--lit-layout',
    ...many('--request', requests),
    ...many('--node', nodes),
  ]).json;
}

/** The directory's files: name -> { content, mode }. */
function snapshot(dir) {
  const out = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    out[name] = { content: fs.readFileSync(p, 'utf8'), mode: fs.statSync(p).mode & 0o777 };
  }
  return out;
}

/** Exactly the SDK's two files: no temporary file left by either writer, no other name. */
function assertLitFilesOnly(dir) {
  assert.deepEqual(fs.readdirSync(dir).sort(), LIT_FILES);
}

/** Parse and shape-check the two stored values (the forms the SDK writes and reads). */
function parseStored(rawSessionKey, rawWalletSig) {
  const sk = JSON.parse(rawSessionKey);
  assert.deepEqual(Object.keys(sk), ['publicKey', 'secretKey']);
  assert.match(sk.publicKey, /^[0-9a-f]{64}$/);
  assert.match(sk.secretKey, /^[0-9a-f]{128}$/);
  // the SDK's layout: tweetnacl secret key = seed || public key
  assert.equal(toHex(nacl.sign.keyPair.fromSecretKey(fromHex(sk.secretKey)).publicKey), sk.publicKey);
  const authSig = JSON.parse(rawWalletSig);
  assert.deepEqual(Object.keys(authSig), AUTH_SIG_KEYS);
  assert.equal(authSig.derivedVia, 'web3.eth.personal.sign');
  assert.equal(authSig.address, OWNER); // EIP-55, as generateAuthSig writes it
  assert.match(authSig.sig, /^0x[0-9a-f]{130}$/);
  return { sk, authSig };
}

/** The SDK's own check, on a fresh offline client (no storage involved). */
function needResign(authSig, sessionKeyUri, requests) {
  return makeOfflineClient().checkNeedToResignSessionKey({
    authSig,
    sessionKeyUri,
    resourceAbilityRequests: requests.map(parseRequest),
  });
}

/** SessionSigs made from a stored session: one per node, by that session key, carrying `authSig`. */
function assertSessionSigs(sigs, { sessionPublicKey, authSig, nodes = NODE_URLS }) {
  assert.deepEqual(Object.keys(sigs), nodes);
  for (const [node, ss] of Object.entries(sigs)) {
    assert.deepEqual(Object.keys(ss), SESSION_SIG_KEYS);
    assert.equal(ss.address, sessionPublicKey);
    assert.ok(naclVerify(ss), `tweetnacl rejects the SessionSig for ${node}`);
    const m = JSON.parse(ss.signedMessage);
    assert.equal(m.sessionKey, sessionPublicKey);
    assert.equal(m.nodeAddress, node);
    assert.deepEqual(m.capabilities.at(-1), authSig);
  }
}

function assertVerifies(sigs, { sessionPublicKey, requests = [] }) {
  for (const node of Object.keys(sigs)) {
    const v = verify(sigs, { node, requests });
    assert.equal(v.code, 0, show(v.run));
    assert.equal(v.results.length, 1);
    assert.equal(v.results[0].valid, true, show(v.run));
    assert.equal(v.results[0].owner.toLowerCase(), OWNER.toLowerCase());
    assert.equal(v.results[0].sessionKey, sessionPublicKey);
  }
}

const resourcesOf = (grants) => grants.map((g) => g.resource).sort();

// The two directions are independent stores, run side by side (each SDK run is a fresh Node.js
// process); inside a direction the steps run in order.

let dirA; // written by our CLI
let expA;
let loginA;
let storedA; // { sk, authSig } as node-localstorage reads them
let lsA; // the node-localstorage instance on dirA (kept: node-localstorage caches it per directory)

let dirB; // written by the SDK
let expB;
let sdkB;
let storedB;

describe('the session store, shared with the Lit SDK through node-localstorage', { concurrency: true }, () => {
  // =========================================================== 1. our store -> the SDK, run twice
  describe('ours → SDK', { concurrency: false }, () => {
    test('1. our `session login --lit-layout` writes the SDK\'s two keys, in files node-localstorage reads', () => {
      // The SDK's constant names are the ones our store uses.
      assert.equal(LOCAL_STORAGE_KEYS.SESSION_KEY, LIT_SESSION_KEY);
      assert.equal(LOCAL_STORAGE_KEYS.WALLET_SIGNATURE, LIT_WALLET_SIG);

      dirA = storeDir('ours');
      expA = isoIn(3_600_000);
      loginA = login(dirA, { expiration: expA });
      assert.equal(loginA.signed, 'missing', JSON.stringify(loginA));
      assert.equal(loginA.wallet, OWNER);

      assertLitFilesOnly(dirA);
      const files = snapshot(dirA);
      if (process.platform !== 'win32') {
        assert.equal(fs.statSync(dirA).mode & 0o777, 0o700);
        for (const f of LIT_FILES) assert.equal(files[f].mode, 0o600, f);
      }

      lsA = new LocalStorage(dirA);
      assert.equal(lsA.length, 2);
      assert.deepEqual([lsA.key(0), lsA.key(1)].sort(), LIT_FILES);
      const rawKey = lsA.getItem(LOCAL_STORAGE_KEYS.SESSION_KEY);
      const rawSig = lsA.getItem(LOCAL_STORAGE_KEYS.WALLET_SIGNATURE);
      // the raw values, byte for byte (no trailing newline, no BOM, no wrapper)
      assert.equal(rawKey, files[LIT_SESSION_KEY].content);
      assert.equal(rawSig, files[LIT_WALLET_SIG].content);
      storedA = parseStored(rawKey, rawSig);
      // JSON.stringify of the parsed value gives the stored bytes back: the SDK's own form
      assert.equal(JSON.stringify(storedA.sk), rawKey);
      assert.equal(JSON.stringify(storedA.authSig), rawSig);

      assert.equal(storedA.sk.publicKey, loginA.sessionKey);
      const siwe = new SiweMessage(storedA.authSig.signedMessage);
      assert.equal(siwe.uri, `lit:session:${storedA.sk.publicKey}`);
      assert.equal(siwe.address, OWNER);
      assert.equal(siwe.expirationTime, expA);
      assert.equal(siwe.expirationTime, loginA.expiration);
    });

    test('1. checkNeedToResignSessionKey (real SDK): false for what our store holds', async () => {
      const uri = `lit:session:${storedA.sk.publicKey}`;
      assert.equal(await needResign(storedA.authSig, uri, REQS), false);
      assert.equal(await needResign(storedA.authSig, uri, [PKP]), false);
      // a specific PKP is covered by the lit-pkp://* grant
      assert.equal(await needResign(storedA.authSig, uri, [`lit-pkp://${'ab'.repeat(32)}=pkp-signing`]), false);
      // up to the last millisecond before the SIWE expiration (siwe: expired iff now >= expiration)
      const lastMs = new Date(Date.parse(expA) - 1).toISOString();
      assert.equal(await withClock(lastMs, () => needResign(storedA.authSig, uri, REQS)), false);
    });

    // What 7.4.0's checkNeedToResignSessionKey checks (lit-node-client-nodejs.js), and nothing else:
    //   (a) siwe 2.3.2 `verify({signature})`: the signature recovers the SIWE's address, and the
    //       SIWE is not expired (now >= Expiration Time) nor before its Not Before;
    //   (b) the SIWE URI equals the session key URI asked;
    //   (c) the SIWE has at least one resource;
    //   (d) the ReCap in resources[0] grants every requested resource/ability.
    // Each is a "true" below, made from the AuthSig our store holds.
    test('1. checkNeedToResignSessionKey (real SDK): true for each re-sign reason it knows', async (t) => {
      const { authSig, sk } = storedA;
      const uri = `lit:session:${sk.publicKey}`;

      await t.test('(a) expired: the clock at the SIWE expiration, and after', async () => {
        assert.equal(await withClock(expA, () => needResign(authSig, uri, REQS)), true);
        const later = new Date(Date.parse(expA) + 86_400_000).toISOString();
        assert.equal(await withClock(later, () => needResign(authSig, uri, REQS)), true);
      });

      await t.test('(a) signature mismatch: another wallet\'s signature over the same SIWE', async () => {
        const sig = await new ethers.Wallet(OTHER_WALLET_KEY).signMessage(authSig.signedMessage);
        assert.equal(await needResign({ ...authSig, sig }, uri, REQS), true);
      });

      await t.test('(a) signature mismatch: the SIWE edited under the wallet\'s signature', async () => {
        const signedMessage = authSig.signedMessage.replace(/\nNonce: [^\n]+/, '\nNonce: 0123456789abcdef');
        assert.notEqual(signedMessage, authSig.signedMessage);
        assert.equal(await needResign({ ...authSig, signedMessage }, uri, REQS), true);
      });

      await t.test('(b) another session key URI', async () => {
        const other = sessionKeyFromSeed(SEED_B).publicKey;
        assert.notEqual(other, sk.publicKey);
        assert.equal(await needResign(authSig, `lit:session:${other}`, REQS), true);
      });

      await t.test('(c) no resources: the same SIWE without its ReCap, signed by the wallet', async () => {
        const signedMessage = authSig.signedMessage.replace(/\nResources:\n(- [^\n]*\n?)+$/, '');
        assert.ok(!signedMessage.includes('Resources:'));
        const sig = await new ethers.Wallet(TEST_WALLET_KEY).signMessage(signedMessage);
        const bare = { ...authSig, sig, signedMessage };
        assert.equal((await new SiweMessage(signedMessage).verify({ signature: sig })).success, true);
        assert.equal(await needResign(bare, uri, [PKP]), true);
      });

      await t.test('(d) a resource / ability the ReCap does not grant', async () => {
        assert.equal(await needResign(authSig, uri, [ACC]), true);
        assert.equal(await needResign(authSig, uri, [...REQS, ACC]), true);
        // an ability the SDK does not allow on that resource kind
        assert.equal(await needResign(authSig, uri, ['lit-litaction://*=pkp-signing']), true);
      });
    });

    // Not re-sign reasons for 7.4.0 (it does not look at them), where our client is stricter:
    //   * `authSig.address` is never compared with the SIWE address (siwe recovers against the SIWE's
    //     own address): the SDK reuses such an AuthSig, our store reports it invalid
    //     (auth_sig_address_mismatch) and `session sigs` refuses to use it;
    //   * no re-sign margin: the SDK reuses the AuthSig up to its last millisecond (checked above);
    //     our client re-signs 5 minutes before the expiration (ResignReason::ExpiringSoon);
    //   * the wallet: checkNeedToResignSessionKey has no notion of the current account; our client
    //     re-signs when the stored AuthSig is another wallet's (ResignReason::OtherWallet);
    //   * `Issued At` in the future, domain, nonce, chain id and the ReCap statement are not checked.
    test('1. not checked by the SDK: an AuthSig whose `address` field is not its signer (ours refuses it)', async () => {
      const { authSig, sk } = storedA;
      const tampered = { ...authSig, address: walletAddress(OTHER_WALLET_KEY) };
      assert.equal(await needResign(tampered, `lit:session:${sk.publicKey}`, REQS), false);

      // Ours, on the same store with that AuthSig written the SDK's way (node-localstorage setItem).
      const dir = storeDir('ours-address-mismatch');
      const ls = new LocalStorage(dir);
      ls.setItem(LIT_SESSION_KEY, JSON.stringify(sk));
      ls.setItem(LIT_WALLET_SIG, JSON.stringify(tampered));
      const s = status(dir);
      assert.equal(s.authSig.valid, false);
      assert.equal(s.authSig.error, 'auth_sig_address_mismatch');
      const r = runCli(['session', 'sigs', '--store', dir, '--lit-layout', '--request', PKP, '--node', NODE_URLS[0]], {
        env: CLEAN_ENV,
      });
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /wallet_required/);
    });

    test('1. the real getSessionSigs takes our store as its own: no wallet prompt, our key, our AuthSig', async () => {
      const before = snapshot(dirA);
      const sdk = await sdkStoreRun({ store: dirA, requests: REQS, expiration: expA });
      assert.equal(sdk.prompts, 0, 'the SDK asked the wallet although our stored AuthSig was good');
      assert.equal(sdk.sessionPublicKey, storedA.sk.publicKey);
      assert.deepEqual(sdk.walletSig, storedA.authSig);
      assert.equal(sdk.stored[LIT_SESSION_KEY], before[LIT_SESSION_KEY].content);
      assert.equal(sdk.stored[LIT_WALLET_SIG], before[LIT_WALLET_SIG].content);
      assert.deepEqual(snapshot(dirA), before, 'reusing the store must not rewrite it');
      assertSessionSigs(sdk.sessionSigs, { sessionPublicKey: storedA.sk.publicKey, authSig: storedA.authSig });
      assertVerifies(sdk.sessionSigs, { sessionPublicKey: storedA.sk.publicKey, requests: [PKP] });
      assert.equal((await sdkValidate(sdk.sessionSigs)).isValid, true);
    });

    // ---------------------------------------------------------- 3. the second run
    test('3. ours → SDK again: a reused login leaves the files alone, a re-signed one is read by both', async () => {
      const first = snapshot(dirA);
      // Same login again: the stored AuthSig covers it and lasts: nothing is signed or written.
      const again = login(dirA);
      assert.equal(again.signed, null, JSON.stringify(again));
      assert.equal(again.sessionKey, storedA.sk.publicKey);
      assert.deepEqual(snapshot(dirA), first);

      // A longer session: the wallet signs again, for the same stored session key (atomic replace).
      const expA2 = isoIn(7_200_000);
      const relog = login(dirA, { expiration: expA2 });
      assert.notEqual(relog.signed, null, JSON.stringify(relog));
      assert.equal(relog.sessionKey, storedA.sk.publicKey);
      assertLitFilesOnly(dirA);
      const second = snapshot(dirA);
      assert.equal(second[LIT_SESSION_KEY].content, first[LIT_SESSION_KEY].content);
      assert.notEqual(second[LIT_WALLET_SIG].content, first[LIT_WALLET_SIG].content);

      // node-localstorage, through the instance opened before the rewrite (it reads the file again)
      // and through a fresh process (the SDK run below).
      const stored2 = parseStored(lsA.getItem(LIT_SESSION_KEY), lsA.getItem(LIT_WALLET_SIG));
      assert.equal(JSON.stringify(stored2.authSig), second[LIT_WALLET_SIG].content);
      assert.equal(new SiweMessage(stored2.authSig.signedMessage).expirationTime, expA2);
      const uri = `lit:session:${stored2.sk.publicKey}`;
      assert.equal(await needResign(stored2.authSig, uri, REQS), false);
      assert.equal(await withClock(expA2, () => needResign(stored2.authSig, uri, REQS)), true);

      const sdk = await sdkStoreRun({ store: dirA, requests: REQS, expiration: expA2 });
      assert.equal(sdk.prompts, 0);
      assert.deepEqual(sdk.walletSig, stored2.authSig);
      assertSessionSigs(sdk.sessionSigs, { sessionPublicKey: stored2.sk.publicKey, authSig: stored2.authSig });
      assertVerifies(sdk.sessionSigs, { sessionPublicKey: stored2.sk.publicKey, requests: [PKP] });
      assert.deepEqual(snapshot(dirA), second);

      // and ours still reads its own store
      const sigs = sessionSigs(dirA, { requests: REQS, nodes: [NODE_URLS[1]] });
      assertSessionSigs(sigs, { sessionPublicKey: stored2.sk.publicKey, authSig: stored2.authSig, nodes: [NODE_URLS[1]] });
    });

  });

  // =========================================================== 2. the SDK's store -> ours, run twice
  describe('SDK → ours', { concurrency: false }, () => {
    test('2. the real getSessionSigs with node-localstorage writes a store; `session status` reads it', async () => {
      dirB = storeDir('sdk');
      expB = isoIn(3_600_000);
      sdkB = await sdkStoreRun({ store: dirB, requests: REQS, expiration: expB });
      assert.equal(sdkB.prompts, 1);
      // node-localstorage names the files like ours: the two keys, nothing else
      assertLitFilesOnly(dirB);
      const files = snapshot(dirB);
      assert.equal(files[LIT_SESSION_KEY].content, sdkB.stored[LIT_SESSION_KEY]);
      assert.equal(files[LIT_WALLET_SIG].content, sdkB.stored[LIT_WALLET_SIG]);
      storedB = parseStored(files[LIT_SESSION_KEY].content, files[LIT_WALLET_SIG].content);
      assert.equal(storedB.sk.publicKey, sdkB.sessionPublicKey); // the SDK generated and stored it
      assert.deepEqual(sdkB.walletSig, storedB.authSig);

      const s = status(dirB);
      assert.equal(s.wallet, OWNER);
      assert.equal(s.sessionKeyStorageKey, LIT_SESSION_KEY);
      assert.equal(s.walletSigStorageKey, LIT_WALLET_SIG);
      assert.equal(s.sessionPublicKey, storedB.sk.publicKey);
      assert.equal(s.authSig.valid, true, JSON.stringify(s));
      assert.equal(s.authSig.error, null);
      assert.equal(s.authSig.address, OWNER);
      assert.equal(s.authSig.delegatesTo, storedB.sk.publicKey);
      assert.equal(s.authSig.matchesSessionKey, true);
      assert.equal(s.authSig.expired, false);
      assert.equal(Date.parse(s.authSig.expiration), Date.parse(expB));
      assert.deepEqual(
        s.authSig.grants.map((g) => [g.resource, g.recapAbility, g.litAbilities]).sort(),
        [
          ['lit-litaction://*', 'Threshold/Execution', ['lit-action-execution']],
          ['lit-pkp://*', 'Threshold/Signing', ['pkp-signing']],
        ],
      );
      // the grants are the ReCap the SDK wrote
      assert.deepEqual(resourcesOf(s.authSig.grants), Object.keys(recapOf(storedB.authSig.signedMessage).obj.att).sort());
    });

    test('2. `session sigs` (no wallet key) signs with the SDK\'s stored session key; verify + tweetnacl accept', async () => {
      const before = snapshot(dirB);
      const sigs = sessionSigs(dirB, { requests: [PKP] });
      assertSessionSigs(sigs, { sessionPublicKey: storedB.sk.publicKey, authSig: storedB.authSig });
      // the AuthSig is carried byte for byte as the SDK stored it
      for (const ss of Object.values(sigs)) {
        assert.ok(ss.signedMessage.includes(JSON.stringify(storedB.authSig)));
      }
      assertVerifies(sigs, { sessionPublicKey: storedB.sk.publicKey, requests: [PKP] });
      assert.equal((await sdkValidate(sigs)).isValid, true);
      assert.deepEqual(snapshot(dirB), before, '`session sigs` must not write the store');
    });

    // ---------------------------------------------------------- 3. the second run, both writers
    test('3. SDK → ours again, both writing one store: ours over the SDK\'s file, the SDK over ours', async () => {
      // Our second read of the SDK's store gives the same session (our reads never write).
      assertSessionSigs(sessionSigs(dirB), { sessionPublicKey: storedB.sk.publicKey, authSig: storedB.authSig });

      // We log in on the SDK's store with a longer session: our wallet signs for the SDK's session
      // key (kept), and our atomic write replaces the SDK's lit-wallet-sig.
      const expB2 = isoIn(7_200_000);
      const ours = login(dirB, { expiration: expB2 });
      assert.notEqual(ours.signed, null, JSON.stringify(ours));
      assert.equal(ours.sessionKey, storedB.sk.publicKey);
      assertLitFilesOnly(dirB);
      const afterOurs = snapshot(dirB);
      assert.equal(afterOurs[LIT_SESSION_KEY].content, sdkB.stored[LIT_SESSION_KEY]);
      const oursStored = parseStored(afterOurs[LIT_SESSION_KEY].content, afterOurs[LIT_WALLET_SIG].content);
      if (process.platform !== 'win32') assert.equal(afterOurs[LIT_WALLET_SIG].mode, 0o600);

      // The SDK's second run takes our AuthSig without a prompt.
      const run2 = await sdkStoreRun({ store: dirB, requests: REQS, expiration: expB2 });
      assert.equal(run2.prompts, 0);
      assert.equal(run2.sessionPublicKey, storedB.sk.publicKey);
      assert.deepEqual(run2.walletSig, oursStored.authSig);
      assertVerifies(run2.sessionSigs, { sessionPublicKey: storedB.sk.publicKey, requests: [PKP] });
      assert.deepEqual(snapshot(dirB), afterOurs);

      // Its third run asks for more than our AuthSig grants: it re-asks the wallet and its
      // node-localstorage (write-file-atomic) replaces our file; we read the result.
      const run3 = await sdkStoreRun({ store: dirB, requests: [...REQS, ACC], expiration: expB2 });
      assert.equal(run3.prompts, 1);
      assertLitFilesOnly(dirB);
      const afterSdk = snapshot(dirB);
      assert.equal(afterSdk[LIT_SESSION_KEY].content, afterOurs[LIT_SESSION_KEY].content);
      assert.equal(afterSdk[LIT_WALLET_SIG].content, run3.stored[LIT_WALLET_SIG]);
      const sdkStored = parseStored(afterSdk[LIT_SESSION_KEY].content, afterSdk[LIT_WALLET_SIG].content);
      assert.deepEqual(run3.walletSig, sdkStored.authSig);
      // write-file-atomic keeps the mode of the file it replaces: our 0600 stays
      if (process.platform !== 'win32') assert.equal(afterSdk[LIT_WALLET_SIG].mode, 0o600);

      const s = status(dirB);
      assert.equal(s.authSig.valid, true, JSON.stringify(s));
      assert.equal(s.sessionPublicKey, storedB.sk.publicKey);
      assert.equal(s.authSig.matchesSessionKey, true);
      assert.deepEqual(resourcesOf(s.authSig.grants), ['lit-accesscontrolcondition://*', 'lit-litaction://*', 'lit-pkp://*']);
      const sigs = sessionSigs(dirB, { requests: [ACC] });
      assertSessionSigs(sigs, { sessionPublicKey: storedB.sk.publicKey, authSig: sdkStored.authSig });
      assertVerifies(sigs, { sessionPublicKey: storedB.sk.publicKey, requests: [ACC] });
      assert.deepEqual(snapshot(dirB), afterSdk);
    });

  });

  // =========================================================== file names beyond the two Lit keys
  test('our namespaced keys (no --lit-layout) get the file names node-localstorage gives them', () => {
    const dir = storeDir('ours-app');
    const out = login(dir, { requests: [PKP], litLayout: false }); // namespace `sessionsig-cli`
    const names = fs.readdirSync(dir).sort();
    const keys = [`${LIT_SESSION_KEY}:sessionsig-cli:${OWNER.toLowerCase()}`, `${LIT_WALLET_SIG}:sessionsig-cli:${OWNER.toLowerCase()}`];
    assert.deepEqual(names, keys.map(encodeURIComponent)); // ':' -> %3A, lowercase address

    // node-localstorage lists them under the decoded keys and reads the values …
    const ls = new LocalStorage(dir);
    assert.deepEqual([ls.key(0), ls.key(1)].sort(), keys);
    assert.equal(JSON.parse(ls.getItem(keys[0])).publicKey, out.sessionKey);
    assert.equal(JSON.parse(ls.getItem(keys[1])).address, OWNER);

    // … and names a file the same way when it writes one of these keys itself.
    const scratch = storeDir('nls-names');
    const ls2 = new LocalStorage(scratch);
    for (const k of [...keys, LIT_SESSION_KEY, LIT_WALLET_SIG]) ls2.setItem(k, 'x');
    assert.deepEqual(fs.readdirSync(scratch).sort(), [...keys.map(encodeURIComponent), ...LIT_FILES].sort());
  });
});
