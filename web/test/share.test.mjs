// Sharing in two browser contexts against real nodes: Alice shares /photos/ read-only with
// Bob (her wallet signs the delegation: her second and last prompt), Bob opens it and reads
// byte-identical, his upload is refused with the node's reason, Alice revokes, Bob is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { SiweMessage } from 'siwe';
import nacl from 'tweetnacl';
import { KEYS, GUARD_MS, cli, installWallet, launchBrowser, litAuthHelpers, screenshot, startNetwork, waitView } from './harness.mjs';

let net;
let browser;
let alice;
let bob;

before(async () => {
  net = await startNetwork(2);
  browser = await launchBrowser();
  const actx = await browser.newContext({ acceptDownloads: true });
  const bctx = await browser.newContext({ acceptDownloads: true });
  alice = { wallet: await installWallet(actx, KEYS.alice), page: await actx.newPage() };
  bob = { wallet: await installWallet(bctx, KEYS.bob), page: await bctx.newPage() };
});

after(async () => {
  await browser?.close();
  await net?.stop();
});

const photo = { name: 'cat.jpg', mimeType: 'image/jpeg', buffer: crypto.randomBytes(50_000) };
const secret = { name: 'diary.txt', mimeType: 'text/plain', buffer: Buffer.from('not for Bob\n') };
let shareText;

async function signIn(who, url) {
  await who.page.goto(url + '/');
  await waitView(who.page, 'signin');
  await who.page.click('#signin-button');
  await waitView(who.page, 'files');
}

async function errorCode(page) {
  await page.waitForSelector('#error:not([hidden])', { timeout: GUARD_MS });
  return { code: await page.evaluate(() => document.body.dataset.error), text: await page.textContent('#error') };
}

test('Alice uploads a photo and shares /photos/ with Bob: her second and last prompt', async () => {
  const p = alice.page;
  await signIn(alice, net.urls[0]);
  await p.setInputFiles('#upload', [secret]);
  await p.waitForSelector('tr[data-name="diary.txt"]', { timeout: GUARD_MS });
  await p.fill('#newfolder', 'photos');
  await p.click('#mkdir');
  await p.waitForFunction(() => document.querySelector('#crumbs')?.textContent?.includes('photos'), null, { timeout: GUARD_MS });
  await p.setInputFiles('#upload', [photo]);
  await p.waitForSelector('tr[data-name="cat.jpg"]', { timeout: GUARD_MS });
  await p.click('#share-box summary');
  await p.fill('#share-to', bob.wallet.address);
  await p.fill('#share-mb', '1');
  await p.click('#share-button');
  await p.waitForSelector('#share-out:not([hidden])', { timeout: GUARD_MS });
  shareText = await p.inputValue('#share-out');
  assert.equal(alice.wallet.prompts, 2);
  await p.click('#shares-box summary');
  await p.waitForSelector('#shares li button.revoke', { timeout: GUARD_MS });
  await screenshot(p, 'share');
  const d = JSON.parse(shareText);
  const m = new SiweMessage(d.signedMessage);
  assert.equal(m.uri, 'lit:capability:delegation');
  assert.equal((await m.verify({ signature: d.sig })).success, true, 'siwe verifies the delegation');
  // Byte-identical to what the Rust CLI signs with the same inputs.
  const owner = alice.wallet.address.toLowerCase();
  const bobHex = bob.wallet.address.slice(2).toLowerCase();
  const rust = cli(
    ['auth-sig', '--uri', 'lit:capability:delegation', '--request', `backpack://${owner}/photos/=backpack/list`,
      '--request', `backpack://${owner}/photos/=backpack/read`, '--caveat', `delegate_to=["${bobHex}"]`, '--caveat', 'max_bytes="1000000"',
      '--domain', m.domain, '--nonce', m.nonce, '--issued-at', m.issuedAt, '--expiration', m.expirationTime],
    { env: { SESSIONSIG_WALLET_KEY: KEYS.alice } },
  );
  assert.equal(rust.status, 0, rust.stderr);
  assert.equal(rust.stdout.trim(), shareText);
});

test('Bob opens the share (one prompt to sign in, one to add the share) and reads the photo byte-identical', async () => {
  const p = bob.page;
  await signIn(bob, net.urls[1]);
  assert.equal(bob.wallet.prompts, 1);
  await p.click('#open-box summary');
  await p.fill('#open-in', shareText);
  await p.click('#open-button');
  await p.waitForSelector('tr[data-name="cat.jpg"]', { timeout: GUARD_MS });
  assert.equal(bob.wallet.prompts, 2);
  assert.match(await p.textContent('#grants'), /Shared with you by .*: read-only, 1\.0 MB of traffic in total/);
  const [dl] = await Promise.all([p.waitForEvent('download', { timeout: GUARD_MS }), p.click('tr[data-name="cat.jpg"] a.download')]);
  assert.ok(fs.readFileSync(await dl.path()).equals(photo.buffer), 'byte-identical');
  assert.equal(await p.$('tr[data-name="diary.txt"]'), null, 'nothing outside /photos/ is shown');
  await screenshot(p, 'shared-with-bob');
});

test("Bob's SessionSig carrying Alice's delegation verifies with the Rust verifier; outside the share it does not", async () => {
  const owner = alice.wallet.address.toLowerCase();
  const d = JSON.parse(shareText);
  const req = { resource: `backpack://${owner}/photos/`, ability: 'backpack/read' };
  const sigs = await bob.page.evaluate(
    async ([u, r, dd]) => {
      const lib = await import('/lib/index.js');
      const session = await lib.Session.open({ wallet: new lib.Wallet(window.ethereum) });
      return session.sessionSigs(u, r, dd);
    },
    [[net.urls[1]], [req], [d]],
  );
  const s = sigs[net.urls[1]];
  const caps = JSON.parse(s.signedMessage).capabilities;
  assert.equal(caps.length, 2);
  assert.deepEqual(caps[0], d, 'the delegation first, the session AuthSig last');
  assert.ok(nacl.sign.detached.verify(Buffer.from(s.signedMessage), Buffer.from(s.sig, 'hex'), Buffer.from(s.address, 'hex')));
  const ok = cli(['verify', '--node', net.urls[1], '--request', `backpack://${owner}/photos/cat.jpg=backpack/read`], { input: JSON.stringify(s) });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const out = cli(['verify', '--node', net.urls[1], '--request', `backpack://${owner}/diary.txt=backpack/read`], { input: JSON.stringify(s) });
  assert.equal(out.status, 1);
  assert.equal(JSON.parse(out.stdout).valid, false);
});

test("Bob's upload into the share is refused with the node's reason, and nothing is stored", async () => {
  const p = bob.page;
  await p.setInputFiles('#upload', [{ name: 'dog.jpg', mimeType: 'image/jpeg', buffer: crypto.randomBytes(1000) }]);
  const e = await errorCode(p);
  assert.match(e.code, /^[a-z_]+$/);
  assert.notEqual(e.code, 'unexpected');
  assert.ok(e.text.includes(`(${e.code})`), e.text);
  await screenshot(p, 'refused');
  await alice.page.click('#refresh');
  await alice.page.waitForSelector('tr[data-name="cat.jpg"]', { timeout: GUARD_MS });
  assert.equal(await alice.page.$('tr[data-name="dog.jpg"]'), null);
  console.log(`# Bob's upload refused: ${e.text}`);
});

test('Alice revokes at one node (one prompt); Bob is refused at his next request at another', async () => {
  const before = alice.wallet.prompts;
  await alice.page.click('#shares li button.revoke');
  await alice.page.waitForFunction(() => !!document.body.dataset.revoked, null, { timeout: GUARD_MS });
  assert.equal(alice.wallet.prompts, before + 1);
  assert.match(await alice.page.textContent('#shares'), /revoked/);
  const p = bob.page;
  await p.evaluate(() => {
    document.getElementById('error').hidden = true;
  });
  await p.click('#refresh');
  const e = await errorCode(p);
  assert.match(e.code, /revoked/);
  console.log(`# Bob after the revocation: ${e.text}`);
  assert.equal(await p.$('tr[data-name="cat.jpg"]'), null, 'nothing listed after the revocation');
  await screenshot(p, 'revoked');
});

test("the Lit SDK decodes the browser's ReCaps: the same capabilities, the statement it generates", async () => {
  const { decode } = await litAuthHelpers();
  const bobSession = await bob.page.evaluate(async () => {
    const lib = await import('/lib/index.js');
    const session = await lib.Session.open({ wallet: new lib.Wallet(window.ethereum) });
    return session.authSigInfo().authSig;
  });
  for (const a of [JSON.parse(shareText), bobSession]) {
    const urn = a.signedMessage.split('\n').pop().slice(2);
    const ours = JSON.parse(Buffer.from(urn.slice('urn:recap:'.length), 'base64url').toString('utf8'));
    const cap = decode(urn);
    assert.deepEqual(cap.attenuations, ours.att);
    assert.deepEqual(cap.proofs.map(String), ours.prf);
    assert.ok(a.signedMessage.includes(cap.statement), 'the SIWE statement carries the SDK-generated ReCap text');
  }
});
