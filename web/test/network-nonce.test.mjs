// On a network that requires its own nonces — on sessions (`--require-network-nonce`) and on
// delegations and revocations (`--network-nonce-for-delegations`) — the app asks the node it
// was served from for the network's nonce (`GET /v1/handshake`), so Alice's sign-in, her share
// and her revocation are all taken, and Bob reads through the share until it is revoked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { SiweMessage } from 'siwe';
import { KEYS, GUARD_MS, installWallet, launchBrowser, startNetwork, waitView } from './harness.mjs';

let net;
let browser;
let alice;
let bob;

before(async () => {
  net = await startNetwork(2, ['--require-network-nonce', '--network-nonce-for-delegations']);
  browser = await launchBrowser();
  const actx = await browser.newContext({ acceptDownloads: true });
  const bctx = await browser.newContext({ acceptDownloads: true });
  alice = { wallet: await installWallet(actx, KEYS.alice2), page: await actx.newPage() };
  bob = { wallet: await installWallet(bctx, KEYS.bob), page: await bctx.newPage() };
});

after(async () => {
  await browser?.close();
  await net?.stop();
});

const photo = { name: 'bird.jpg', mimeType: 'image/jpeg', buffer: crypto.randomBytes(20_000) };

async function signIn(who, url) {
  await who.page.goto(url + '/');
  await waitView(who.page, 'signin');
  await who.page.click('#signin-button');
  await waitView(who.page, 'files');
}

/** The error the page shows, or null. */
async function shownError(page) {
  return page.evaluate(() => (document.getElementById('error')?.hidden ? null : document.body.dataset.error ?? null));
}

/**
 * Whether `nonce` has the layout of a nonce the network at `url` hands out (64 hex digits, the
 * first 16 its issue time, within the last ten minutes); the app's own random nonces are 32 hex.
 */
async function isNetworkNonce(url, nonce) {
  const h = await (await fetch(url + '/v1/handshake')).json();
  assert.equal(h.requireNetworkNonce, true);
  if (!/^[0-9a-f]{64}$/.test(nonce)) return false;
  const issued = Number(BigInt('0x' + nonce.slice(0, 16)));
  return Math.abs(Date.now() / 1000 - issued) < 600;
}

test('Alice signs in, uploads and shares with the network nonce; Bob reads; her revocation is taken', async () => {
  const p = alice.page;
  await signIn(alice, net.urls[0]);
  await p.fill('#newfolder', 'birds');
  await p.click('#mkdir');
  await p.waitForFunction(() => document.querySelector('#crumbs')?.textContent?.includes('birds'), null, { timeout: GUARD_MS });
  await p.setInputFiles('#upload', [photo]);
  await p.waitForSelector('tr[data-name="bird.jpg"]', { timeout: GUARD_MS });
  assert.equal(await shownError(p), null);
  const session = await p.evaluate(async () => {
    const lib = await import('/lib/index.js');
    const s = await lib.Session.open({ wallet: new lib.Wallet(window.ethereum) });
    return s.authSigInfo().authSig;
  });
  assert.ok(await isNetworkNonce(net.urls[0], new SiweMessage(session.signedMessage).nonce), 'the session AuthSig carries a network nonce');

  await p.click('#share-box summary');
  await p.fill('#share-to', bob.wallet.address);
  await p.click('#share-button');
  await p.waitForSelector('#share-out:not([hidden])', { timeout: GUARD_MS });
  const shareText = await p.inputValue('#share-out');
  const d = JSON.parse(shareText);
  assert.ok(await isNetworkNonce(net.urls[0], new SiweMessage(d.signedMessage).nonce), 'the delegation carries a network nonce');

  const b = bob.page;
  await signIn(bob, net.urls[1]);
  await b.click('#open-box summary');
  await b.fill('#open-in', shareText);
  await b.click('#open-button');
  await b.waitForSelector('tr[data-name="bird.jpg"]', { timeout: GUARD_MS });
  const [dl] = await Promise.all([b.waitForEvent('download', { timeout: GUARD_MS }), b.click('tr[data-name="bird.jpg"] a.download')]);
  assert.ok(fs.readFileSync(await dl.path()).equals(photo.buffer), 'byte-identical through the share');

  await p.click('#shares-box summary');
  await p.waitForSelector('#shares li button.revoke', { timeout: GUARD_MS });
  await p.click('#shares li button.revoke');
  await p.waitForFunction(() => !!document.body.dataset.revoked, null, { timeout: GUARD_MS });
  assert.equal(await shownError(p), null, 'the revocation was taken');
  await b.click('#refresh');
  await b.waitForSelector('#error:not([hidden])', { timeout: GUARD_MS });
  assert.match(await b.evaluate(() => document.body.dataset.error), /revoked/);
});
