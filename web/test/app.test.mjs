// The backpack web app in Chromium against real nodes, one user (Alice): sign in with one
// prompt, upload / list / download byte-identical, reload without a prompt, a key that cannot
// be exported and no secret in web storage, browser-made SessionSigs and AuthSigs accepted by
// the Rust verifier and by siwe / tweetnacl, an account switch, an expired session, a
// tab-only session, sign out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { SiweMessage } from 'siwe';
import nacl from 'tweetnacl';
import { ethers } from 'ethers';
import { KEYS, GUARD_MS, cli, installWallet, launchBrowser, screenshot, startNetwork, waitView } from './harness.mjs';

let net;
let browser;
let context;
let page;
let wallet;

before(async () => {
  net = await startNetwork(2);
  browser = await launchBrowser();
  context = await browser.newContext({ acceptDownloads: true });
  wallet = await installWallet(context, KEYS.alice);
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await net?.stop();
});

/** Wait until the app has decided what to show. */
async function settled(p) {
  await p.waitForFunction(() => ['signin', 'files'].includes(document.body.dataset.view), null, { timeout: GUARD_MS });
}

/** SessionSigs made by the page's library with the stored session. */
async function pageSessionSigs(p, urls, requests, delegations = []) {
  return p.evaluate(
    async ([u, r, d]) => {
      const lib = await import('/lib/index.js');
      const session = await lib.Session.open({ wallet: new lib.Wallet(window.ethereum) });
      return session.sessionSigs(u, r, d);
    },
    [urls, requests, delegations],
  );
}

/** The stored session AuthSig, as the page's library reads it. */
async function pageAuthSig(p) {
  return p.evaluate(async () => {
    const lib = await import('/lib/index.js');
    const session = await lib.Session.open({ wallet: new lib.Wallet(window.ethereum) });
    return session.authSigInfo();
  });
}

test('sign in: exactly one wallet prompt, the grants shown in words', async () => {
  await page.goto(net.urls[0] + '/');
  await waitView(page, 'signin');
  await screenshot(page, 'sign-in');
  assert.equal(wallet.prompts, 0, 'opening the app asks nothing');
  await page.click('#signin-button');
  await waitView(page, 'files');
  assert.equal(wallet.prompts, 1);
  const grants = await page.textContent('#grants');
  const owner = wallet.address.toLowerCase();
  assert.match(grants, new RegExp(`'backpack': '\\*' for 'backpack://${owner}/'`));
  assert.match(grants, /Expires:/);
  const siwe = wallet.signed[0];
  assert.match(siwe, new RegExp(`^${net.urls[0].slice(7)} wants you to sign in with your Ethereum account:\n${wallet.address}\n`));
});

const files = [
  { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, backpack\n') },
  { name: 'random.bin', mimeType: 'application/octet-stream', buffer: crypto.randomBytes(300_000) },
];

test('upload several files, list them, download each byte-identical', async () => {
  await page.setInputFiles('#upload', files);
  await page.waitForFunction((n) => document.querySelectorAll('#progress li[data-done]').length === n, files.length, { timeout: GUARD_MS });
  for (const f of files) {
    await page.waitForSelector(`tr[data-name="${f.name}"]`, { timeout: GUARD_MS });
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: GUARD_MS }), page.click(`tr[data-name="${f.name}"] a.download`)]);
    const got = fs.readFileSync(await dl.path());
    assert.ok(got.equals(f.buffer), `${f.name} downloads byte-identical`);
  }
  assert.equal(wallet.prompts, 1, 'no prompt for uploads and downloads');
  await screenshot(page, 'files');
});

test('reload: still signed in, no new prompt', async () => {
  await page.reload();
  await waitView(page, 'files');
  await page.waitForSelector('tr[data-name="hello.txt"]', { timeout: GUARD_MS });
  assert.equal(wallet.prompts, 1);
});

test('the stored session key cannot be exported; no 64/128-hex secret in web storage, cookies or the URL', async () => {
  const r = await page.evaluate(async () => {
    const rec = await new Promise((resolve, reject) => {
      const o = indexedDB.open('sessionsig');
      o.onsuccess = () => {
        const g = o.result.transaction('session').objectStore('session').get('current');
        g.onsuccess = () => resolve(g.result);
        g.onerror = () => reject(g.error);
      };
      o.onerror = () => reject(o.error);
    });
    const out = { isCryptoKey: rec.privateKey instanceof CryptoKey, extractable: rec.privateKey.extractable, exports: [] };
    for (const format of ['pkcs8', 'jwk', 'raw']) {
      try {
        await crypto.subtle.exportKey(format, rec.privateKey);
        out.exports.push(`${format}: exported`);
      } catch (e) {
        out.exports.push(`${format}: ${e.name}`);
      }
    }
    const dump = (s) => Array.from({ length: s.length }, (_, i) => s.key(i) + '=' + s.getItem(s.key(i))).join('\n');
    out.storage = dump(localStorage) + '\n' + dump(sessionStorage);
    out.url = location.href;
    out.cookie = document.cookie;
    return out;
  });
  assert.equal(r.isCryptoKey, true);
  assert.equal(r.extractable, false);
  for (const e of r.exports) assert.doesNotMatch(e, /exported/, e);
  assert.ok(r.exports.every((e) => /InvalidAccessError|NotSupportedError/.test(e)), r.exports.join(', '));
  assert.doesNotMatch(r.storage, /[0-9a-fA-F]{64}/);
  assert.doesNotMatch(r.url, /[0-9a-fA-F]{64}/);
  assert.equal(r.cookie, '');
  assert.deepEqual(await context.cookies(), []);
});

test('browser SessionSigs verify with the Rust verifier at each node, and only there', async () => {
  const owner = wallet.address.toLowerCase();
  const sigs = await pageSessionSigs(page, net.urls, [{ resource: `backpack://${owner}/`, ability: 'backpack/*' }]);
  assert.deepEqual(Object.keys(sigs), net.urls);
  for (const url of net.urls) {
    const ok = cli(['verify', '--node', url, '--request', `backpack://${owner}/photos/a.jpg=backpack/read`], { input: JSON.stringify(sigs[url]) });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const v = JSON.parse(ok.stdout);
    assert.equal(v.valid, true);
    assert.equal(v.owner.toLowerCase(), owner);
    const s = sigs[url];
    assert.ok(nacl.sign.detached.verify(Buffer.from(s.signedMessage), Buffer.from(s.sig, 'hex'), Buffer.from(s.address, 'hex')), 'tweetnacl');
    assert.deepEqual(Object.keys(s), ['sig', 'derivedVia', 'signedMessage', 'address', 'algo']);
    assert.deepEqual(Object.keys(JSON.parse(s.signedMessage)), ['sessionKey', 'resourceAbilityRequests', 'capabilities', 'issuedAt', 'expiration', 'nodeAddress']);
  }
  const other = cli(['verify', '--node', net.urls[1]], { input: JSON.stringify(sigs[net.urls[0]]) });
  assert.equal(other.status, 1);
  assert.equal(JSON.parse(other.stdout).code, 'wrong_node');
});

test('the browser AuthSig is byte-identical to the Rust CLI one; siwe and ethers verify it', async () => {
  const a = (await pageAuthSig(page)).authSig;
  const msg = new SiweMessage(a.signedMessage);
  assert.equal(msg.prepareMessage(), a.signedMessage, 'siwe re-serialises the same bytes');
  const res = await msg.verify({ signature: a.sig });
  assert.equal(res.success, true);
  assert.equal(ethers.utils.verifyMessage(a.signedMessage, a.sig), wallet.address);
  const owner = wallet.address.toLowerCase();
  const rust = cli(
    ['auth-sig', '--uri', msg.uri, '--request', `backpack://${owner}/=backpack/*`, '--domain', msg.domain, '--nonce', msg.nonce,
      '--issued-at', msg.issuedAt, '--expiration', msg.expirationTime, '--chain-id', String(msg.chainId)],
    { env: { SESSIONSIG_WALLET_KEY: KEYS.alice } },
  );
  assert.equal(rust.status, 0, rust.stderr);
  assert.equal(rust.stdout.trim(), JSON.stringify(a), 'same bytes, same key order, same signature');
});

test('switching the wallet account asks exactly once more', async () => {
  const before = wallet.prompts;
  await wallet.switchTo(KEYS.alice2);
  await waitView(page, 'signin');
  assert.match(await page.textContent('#signin-reason'), /another account/);
  assert.equal(wallet.prompts, before, 'the switch itself asks nothing');
  await page.click('#signin-button');
  await waitView(page, 'files');
  assert.equal(wallet.prompts, before + 1);
  assert.equal(await page.textContent('#who'), wallet.address);
  // The new account's backpack is its own: empty.
  await page.waitForSelector('#empty:not([hidden])', { timeout: GUARD_MS });
  await wallet.switchTo(KEYS.alice);
  await waitView(page, 'signin');
  await page.click('#signin-button');
  await waitView(page, 'files');
  assert.equal(wallet.prompts, before + 2);
  await page.waitForSelector('tr[data-name="hello.txt"]', { timeout: GUARD_MS });
});

test('an expired session asks again', async () => {
  // Its own context: a page clock is the context's, and the other tests need the real time.
  const ctx = await browser.newContext();
  const w = await installWallet(ctx, KEYS.alice);
  const p = await ctx.newPage();
  await p.goto(net.urls[0] + '/');
  await waitView(p, 'signin');
  await p.selectOption('#ttl', '3600000');
  await p.click('#signin-button');
  await waitView(p, 'files');
  assert.equal(w.prompts, 1);
  const exp = Date.parse((await pageAuthSig(p)).expiration);
  await ctx.clock.setFixedTime(new Date(exp + 60_000));
  await p.reload();
  await waitView(p, 'signin');
  assert.match(await p.textContent('#signin-reason'), /expired/);
  assert.equal(w.prompts, 1, 'showing the expiry asks nothing');
  await screenshot(p, 'expired');
  await p.click('#signin-button');
  await p.waitForFunction(() => document.body.dataset.view === 'files', null, { timeout: GUARD_MS });
  assert.equal(w.prompts, 2);
  const newest = new SiweMessage(w.signed[w.signed.length - 1]);
  assert.ok(Date.parse(newest.issuedAt) >= exp, 'the new AuthSig is issued after the old one expired');
  await ctx.close();
});

test('sign out erases the key and the AuthSig', async () => {
  const p = await context.newPage();
  await p.goto(net.urls[0] + '/');
  await settled(p);
  if ((await p.evaluate(() => document.body.dataset.view)) !== 'files') {
    await p.click('#signin-button');
    await waitView(p, 'files');
  }
  await p.click('#signout');
  await waitView(p, 'signin');
  const left = await p.evaluate(
    () =>
      new Promise((resolve) => {
        const o = indexedDB.open('sessionsig');
        o.onsuccess = () => {
          const g = o.result.transaction('session').objectStore('session').count();
          g.onsuccess = () => resolve(g.result);
        };
      }),
  );
  assert.equal(left, 0);
  await p.close();
});

test('a "this tab only" session: one prompt, nothing in IndexedDB, gone after the tab closes', async () => {
  const ctx = await browser.newContext();
  const w = await installWallet(ctx, KEYS.bob);
  const p = await ctx.newPage();
  await p.goto(net.urls[1] + '/');
  await waitView(p, 'signin');
  await p.check('#tabonly');
  await p.click('#signin-button');
  await waitView(p, 'files');
  assert.equal(w.prompts, 1);
  assert.match(await p.textContent('#grants'), /this tab only/);
  await p.setInputFiles('#upload', [files[0]]);
  await p.waitForSelector('tr[data-name="hello.txt"]', { timeout: GUARD_MS });
  const stored = await p.evaluate(async () => (await import('/lib/index.js')).hasPersistentSession());
  assert.equal(stored, false, 'no key in IndexedDB');
  await p.close();
  const again = await ctx.newPage();
  await again.goto(net.urls[1] + '/');
  await waitView(again, 'signin');
  assert.equal(w.prompts, 1, 'nothing signed since');
  await ctx.close();
});

test('phone-sized screen', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await installWallet(ctx, KEYS.alice);
  const p = await ctx.newPage();
  await p.goto(net.urls[0] + '/');
  await waitView(p, 'signin');
  await p.click('#signin-button');
  await waitView(p, 'files');
  await p.waitForSelector('tr[data-name="hello.txt"]', { timeout: GUARD_MS });
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
  await screenshot(p, 'phone');
  await ctx.close();
});

test('delete: a signed DELETE removes the object, a reload no longer lists it', async () => {
  await page.goto(net.urls[1] + '/');
  await settled(page);
  if ((await page.evaluate(() => document.body.dataset.view)) !== 'files') {
    await page.click('#signin-button');
    await waitView(page, 'files');
  }
  await page.waitForSelector('tr[data-name="random.bin"]', { timeout: GUARD_MS });
  await page.click('tr[data-name="random.bin"] button.delete');
  await page.click('tr[data-name="random.bin"] button.delete');
  await page.waitForSelector('tr[data-name="random.bin"]', { state: 'detached', timeout: GUARD_MS });
  await page.reload();
  await waitView(page, 'files');
  await page.waitForSelector('tr[data-name="hello.txt"]', { timeout: GUARD_MS });
  assert.equal(await page.$('tr[data-name="random.bin"]'), null);
});

test('drag and drop uploads', async () => {
  await page.waitForSelector('#drop', { timeout: GUARD_MS });
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array([1, 2, 3, 4, 5])], 'dropped.bin', { type: 'application/octet-stream' }));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForSelector('tr[data-name="dropped.bin"]', { timeout: GUARD_MS });
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: GUARD_MS }), page.click('tr[data-name="dropped.bin"] a.download')]);
  assert.deepEqual([...fs.readFileSync(await dl.path())], [1, 2, 3, 4, 5]);
});

test("the README's library example runs as written in a page of the node: one prompt", async () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## In the browser'));
  const code = /```js\n([\s\S]*?)```/.exec(section)[1];
  // A static import is not allowed in an evaluated script: the same import, dynamically.
  const body = code.replace(/^import \{([^}]*)\} from '([^']*)';/m, 'const {$1} = await import("$2");');
  assert.notEqual(body, code);
  const ctx = await browser.newContext();
  const w = await installWallet(ctx, KEYS.bob);
  const p = await ctx.newPage();
  await p.goto(net.urls[0] + '/');
  await settled(p);
  await p.evaluate(`(async () => {\n${body}\n})()`);
  assert.equal(w.prompts, 1);
  const r = await fetch(`${net.urls[0]}/v1/backpack/${w.address.toLowerCase()}/notes/today.txt`);
  assert.equal(r.status, 401, 'the object exists only behind a SessionSig');
  await p.reload();
  await settled(p);
  const text = await p.evaluate(async () => {
    const { Session, Wallet, BackpackClient, backpackResource } = await import('/lib/index.js');
    const wallet = new Wallet(window.ethereum);
    const session = await Session.open({ wallet });
    const me = await wallet.account();
    const access = { requests: [{ resource: backpackResource(me, '/'), ability: 'backpack/*' }] };
    const blob = await new BackpackClient(session).get(me, '/notes/today.txt', access);
    return blob.text();
  });
  assert.equal(text, 'hi', 'the README example stored it; a reloaded page reads it without a prompt');
  assert.equal(w.prompts, 1);
  await ctx.close();
});

test('several wallets (EIP-6963): the user picks one, and only that one is asked', async () => {
  const ctx = await browser.newContext();
  // Announced first: a wallet that refuses everything.
  await ctx.addInitScript(() => {
    const provider = { request: async () => Promise.reject(Object.assign(new Error('User rejected'), { code: 4001 })) };
    const info = { uuid: '5f1e8c1e-0000-4000-8000-000000000002', name: 'Other wallet', icon: 'data:,', rdns: 'other.example' };
    const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
    window.addEventListener('eip6963:requestProvider', announce);
  });
  const w = await installWallet(ctx, KEYS.bob);
  const p = await ctx.newPage();
  await p.goto(net.urls[0] + '/');
  await waitView(p, 'signin');
  assert.equal(await p.evaluate(() => document.body.dataset.error), 'wallet_rejected', 'the first wallet said no, in words');
  assert.deepEqual(await p.$$eval('#wallets option', (os) => os.map((o) => o.textContent)), ['Other wallet', 'Test wallet']);
  await p.selectOption('#wallets', { label: 'Test wallet' });
  await p.click('#signin-button');
  await waitView(p, 'files');
  assert.equal(w.prompts, 1);
  assert.equal(await p.textContent('#who'), w.address);
  await ctx.close();
});

test('served from the binary with a strict CSP: inline script and other origins are blocked', async () => {
  for (const [path, type] of [['/', 'text/html'], ['/app/app.js', 'text/javascript'], ['/lib/session.js', 'text/javascript'], ['/app/style.css', 'text/css']]) {
    const r = await fetch(net.urls[0] + path);
    assert.equal(r.status, 200, path);
    assert.ok(r.headers.get('content-type').startsWith(type), `${path}: ${r.headers.get('content-type')}`);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, new RegExp(`connect-src 'self' ${net.urls.join(' ')};`));
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  }
  const p = await context.newPage();
  await p.goto(net.urls[0] + '/');
  await settled(p);
  const r = await p.evaluate(async () => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.append(s);
    let fetched = 'no';
    try {
      await fetch('http://127.0.0.2:9/');
      fetched = 'yes';
    } catch {
      fetched = 'blocked';
    }
    await new Promise((r) => setTimeout(r, 0));
    return { inline: window.__inlineRan === true, fetched, violations };
  });
  assert.equal(r.inline, false, 'inline script does not run');
  assert.equal(r.fetched, 'blocked');
  assert.ok(r.violations.some((v) => v.startsWith('script-src')), r.violations.join(','));
  assert.ok(r.violations.some((v) => v.startsWith('connect-src')), r.violations.join(','));
  await p.close();
});
