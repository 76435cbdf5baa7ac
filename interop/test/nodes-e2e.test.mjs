// E. SDK -> real nodes over HTTP. `sessionsig network up` starts three nodes on free loopback
// ports (one shared SQLite store); the real Lit SDK 7.4.0, offline with `connectedNodes` set to
// those three URLs, makes SessionSigs with the real clock; each node must accept the one made
// for it and refuse its neighbour's (replay across nodes), over HTTP, with the verifier's codes.
//
// Binary: $SESSIONSIG_NODE_BIN, else the `sessionsig` CLI ($SESSIONSIG_BIN, see lib/cli.mjs) when
// it has the `network` command, else ../target/debug/sessionsig-node (the node crate's own
// binary, same commands). A missing binary FAILS these tests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SiweMessage } from 'siwe';
import {
  ethers,
  sdkSessionSigs,
  sdkCapacityDelegation,
  makeOfflineClient,
  walletAddress,
  TEST_WALLET_KEY,
  OTHER_WALLET_KEY,
} from '../lib/sdk.mjs';
import { BIN as CLI_BIN, INTEROP_DIR } from '../lib/cli.mjs';

const NODE_COUNT = 3;

function pickBinary() {
  if (process.env.SESSIONSIG_NODE_BIN) return path.resolve(process.env.SESSIONSIG_NODE_BIN);
  if (fs.existsSync(CLI_BIN)) {
    const r = spawnSync(CLI_BIN, ['network', 'up', '--help'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return CLI_BIN;
  }
  return path.resolve(INTEROP_DIR, '../target/debug/sessionsig-node');
}

const BIN = pickBinary();

/** A port p such that p .. p+n-1 are all free on 127.0.0.1 right now. */
async function freeConsecutivePorts(n) {
  const tryBind = (port) =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await tryBind(base + i);
    if (ok) return base;
  }
  throw new Error('no free consecutive ports');
}

/** Start `network up`; resolve with the URLs it prints once every node answers /healthz. */
async function networkUp(dataDir) {
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const base = await freeConsecutivePorts(NODE_COUNT);
    const child = spawn(
      BIN,
      ['network', 'up', '--nodes', String(NODE_COUNT), '--base-port', String(base), '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const urls = await new Promise((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(null), 30_000);
      child.stdout.on('data', (d) => {
        out += d;
        const lines = out.split('\n').filter((l) => l.trim() !== '');
        if (lines.length >= NODE_COUNT) {
          clearTimeout(timer);
          resolve(lines.slice(0, NODE_COUNT));
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
    if (urls) return { child, urls, stderr: () => stderr };
    child.kill('SIGKILL');
    lastErr = stderr;
  }
  throw new Error(`${BIN} network up did not start:\n${lastErr}`);
}

let net3; // { child, urls, stderr }
let tmp;

before(async () => {
  assert.ok(fs.existsSync(BIN), `node binary not found at ${BIN}: cargo build -p sessionsig-node (or set SESSIONSIG_NODE_BIN)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionsig-nodes-e2e-'));
  net3 = await networkUp(tmp);
});

after(async () => {
  if (net3 && net3.child.exitCode === null) net3.child.kill('SIGKILL');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function call(method, url, { body, headers = {} } = {}) {
  const r = await fetch(url, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, json, text };
}

const authorize = (node, sessionSig, resource, ability) =>
  call('POST', `${node}/v1/authorize`, {
    body: { sessionSig, ...(resource && { resource, ability }) },
  });

const b64url = (s) => Buffer.from(s, 'utf8').toString('base64url');
const authHeader = (sessionSig) => ({ authorization: `SessionSig ${b64url(JSON.stringify(sessionSig))}` });

test('network up prints three URLs, each node healthy and listing the network', { timeout: 30_000 }, async () => {
  assert.equal(net3.urls.length, NODE_COUNT);
  for (const u of net3.urls) {
    assert.match(u, /^http:\/\/127\.0\.0\.1:\d+$/);
    const h = await call('GET', `${u}/healthz`);
    assert.equal(h.status, 200, h.text);
    const hs = await call('GET', `${u}/v1/handshake`);
    assert.equal(hs.status, 200);
    assert.equal(hs.json.nodeUrl, u);
    assert.deepEqual(hs.json.nodes, net3.urls);
    assert.match(hs.json.nonce, /^[0-9a-f]{64}$/);
  }
});

test('each node accepts the SDK SessionSig made for it and refuses its neighbour\'s', { timeout: 60_000 }, async () => {
  const urls = net3.urls;
  // The SDK signs with the handshake's nonce as its "latest block hash".
  const hs = await call('GET', `${urls[0]}/v1/handshake`);
  const sdk = await sdkSessionSigs({ client: makeOfflineClient({ nodeUrls: urls, nonce: hs.json.nonce }) });
  assert.deepEqual(Object.keys(sdk.sessionSigs), urls, 'one SessionSig per connected node');
  const owner = walletAddress(TEST_WALLET_KEY).toLowerCase();
  for (const [i, url] of urls.entries()) {
    const mine = sdk.sessionSigs[url];
    const neighbour = sdk.sessionSigs[urls[(i + 1) % urls.length]];
    for (const [resource, ability] of [
      ['lit-pkp://*', 'pkp-signing'],
      ['lit-litaction://*', 'lit-action-execution'],
      [undefined, undefined],
    ]) {
      const r = await authorize(url, mine, resource, ability);
      assert.equal(r.status, 200, `${url} ${resource}: ${r.text}`);
      assert.equal(r.json.owner.toLowerCase(), owner);
      assert.equal(r.json.sessionKey, mine.address);
      assert.equal(r.json.nodeAddress, url);
    }
    // Replay of the neighbour's signature.
    const replay = await authorize(url, neighbour, 'lit-pkp://*', 'pkp-signing');
    assert.equal(replay.status, 401, replay.text);
    assert.equal(replay.json.code, 'wrong_node');
    assert.equal(typeof replay.json.error, 'string');
    // Something the session never asked for.
    const other = await authorize(url, mine, 'lit-accesscontrolcondition://*', 'access-control-condition-decryption');
    assert.equal(other.status, 403, other.text);
    assert.equal(other.json.code, 'operation_not_requested');
    // The same SessionSig in the Authorization header.
    const whoami = await call('GET', `${url}/v1/session`, { headers: authHeader(mine) });
    assert.equal(whoami.status, 200, whoami.text);
    assert.equal(whoami.json.sessionKey, mine.address);
    const whoNot = await call('GET', `${url}/v1/session`, { headers: authHeader(neighbour) });
    assert.equal(whoNot.status, 401);
    assert.equal(whoNot.json.code, 'wrong_node');
    const anonymous = await call('GET', `${url}/v1/session`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.code, 'missing_authorization');
  }
});

test('a tampered SDK SessionSig is refused by its own node', { timeout: 60_000 }, async () => {
  const url = net3.urls[1];
  const sdk = await sdkSessionSigs({ nodeUrls: net3.urls });
  const mine = structuredClone(sdk.sessionSigs[url]);
  mine.signedMessage = mine.signedMessage.replace('"pkp-signing"', '"pkp-signinG"');
  const r = await authorize(url, mine);
  assert.equal(r.status, 401, r.text);
  assert.equal(r.json.code, 'bad_session_signature');
});

test('a revocation (SIWE signed with ethers) posted to one node is enforced by all', { timeout: 60_000 }, async () => {
  const urls = net3.urls;
  const wallet = new ethers.Wallet(OTHER_WALLET_KEY);
  const sdk = await sdkSessionSigs({ nodeUrls: urls, walletKey: OTHER_WALLET_KEY });
  for (const url of urls) {
    assert.equal((await authorize(url, sdk.sessionSigs[url])).status, 200);
  }
  const target = `session-key:${sdk.sessionKey.publicKey}`;
  const message = new SiweMessage({
    domain: 'localhost',
    address: wallet.address,
    statement: `I revoke ${target}.`,
    uri: `lit:revocation:${target}`,
    version: '1',
    chainId: 1,
    nonce: 'revoke0123456789',
    issuedAt: new Date(Date.now() - 1000).toISOString(),
  }).prepareMessage();
  const revocation = {
    sig: await wallet.signMessage(message),
    derivedVia: 'web3.eth.personal.sign',
    signedMessage: message,
    address: wallet.address,
  };
  const posted = await call('POST', `${urls[0]}/v1/revocations`, { body: revocation });
  assert.equal(posted.status, 201, posted.text);
  assert.equal(posted.json.id, target);
  for (const url of urls) {
    const r = await authorize(url, sdk.sessionSigs[url]);
    assert.equal(r.status, 403, `${url}: ${r.text}`);
    assert.equal(r.json.code, 'revoked');
  }
  const shown = await call('GET', `${urls[2]}/v1/revocations/${target}`);
  assert.equal(shown.status, 200, shown.text);
  assert.equal(shown.json.revocations[0].issuer, wallet.address);
  assert.deepEqual(shown.json.revocations[0].revocation, revocation);
});

test('an SDK capacity delegation with uses: 2 admits exactly two requests across the nodes', { timeout: 60_000 }, async () => {
  const urls = net3.urls;
  const client = makeOfflineClient({ nodeUrls: urls });
  const delegate = walletAddress(TEST_WALLET_KEY);
  const capacityDelegationAuthSig = await sdkCapacityDelegation({
    client,
    delegateeAddresses: [delegate],
    uses: '2',
    capacityTokenId: '42',
  });
  const sdk = await sdkSessionSigs({ client, capacityDelegationAuthSig });
  const answers = await Promise.all(urls.map((u) => authorize(u, sdk.sessionSigs[u])));
  const ok = answers.filter((a) => a.status === 200).length;
  const exhausted = answers.filter((a) => a.status === 403 && a.json?.code === 'uses_exhausted').length;
  assert.deepEqual({ ok, exhausted }, { ok: 2, exhausted: 1 }, answers.map((a) => a.text).join('\n'));
});

test('SIGTERM stops every node cleanly (exit 0)', { timeout: 30_000 }, async () => {
  const exited = new Promise((resolve) => net3.child.once('exit', (code, signal) => resolve({ code, signal })));
  net3.child.kill('SIGTERM');
  const r = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 15_000))]);
  assert.deepEqual(r, { code: 0, signal: null }, net3.stderr());
  for (const u of net3.urls) {
    await assert.rejects(fetch(`${u}/healthz`, { signal: AbortSignal.timeout(2_000) }));
  }
});
