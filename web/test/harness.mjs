// Test harness: real `sessionsig network up` processes, Debian's Chromium through
// playwright-core (no browser download), and an EIP-1193 test wallet whose key stays in this
// Node process and which counts every signing prompt.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ethers } from 'ethers';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(WEB_DIR, '..');
export const BIN = process.env.SESSIONSIG_BIN
  ? path.resolve(process.env.SESSIONSIG_BIN)
  : path.resolve(REPO, 'target/debug/sessionsig');
export const CHROMIUM = process.env.SESSIONSIG_CHROMIUM ?? '/usr/bin/chromium';
// Screenshots of every step go under target/ (a test run leaves the working tree as it was);
// SESSIONSIG_SCREENSHOTS=docs/screenshots refreshes the README's pictures.
export const SCREENSHOTS = process.env.SESSIONSIG_SCREENSHOTS
  ? path.resolve(process.env.SESSIONSIG_SCREENSHOTS)
  : path.resolve(REPO, 'target/screenshots');

/** Public test keys: never use them for anything else. */
export const KEYS = {
  alice: '0x' + 'a1'.repeat(32),
  alice2: '0x' + 'a2'.repeat(32),
  bob: '0x' + 'b0'.repeat(32),
};

/** Hang guard: far longer than anything waited for. */
export const GUARD_MS = 120_000;

/** Three free loopback ports in a row. */
async function freeBase(n) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Start `sessionsig network up` with `nodes` nodes on one SQLite store; resolves when every
 * node answers /healthz.
 */
/** `nodes` nodes of one network (`sessionsig network up`), each also given the `extra` flags. */
export async function startNetwork(nodes = 2, extra = []) {
  if (!fs.existsSync(BIN)) throw new Error(`sessionsig binary missing at ${BIN}: cargo build -p sessionsig-cli`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionsig-web-'));
  const base = await freeBase(nodes);
  const child = spawn(BIN, ['network', 'up', '--nodes', String(nodes), '--base-port', String(base), '--data-dir', dir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const urls = Array.from({ length: nodes }, (_, i) => `http://127.0.0.1:${base + i}`);
  const deadline = Date.now() + GUARD_MS;
  for (const u of urls) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`network exited early:\n${log}`);
      try {
        const r = await fetch(u + '/healthz');
        if (r.ok) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`node ${u} not ready:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    urls,
    dir,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * An EIP-1193 wallet for every page of `context`: the page asks, this process signs with an
 * ethers 5 Wallet and counts `personal_sign` prompts. Announced through EIP-6963 and as
 * `window.ethereum`.
 */
export async function installWallet(context, key) {
  const wallet = {
    signer: new ethers.Wallet(key),
    prompts: 0,
    /** every message signed, in order */
    signed: [],
    get address() {
      return this.signer.address;
    },
    /** Switch account and tell every open page (`accountsChanged`). */
    async switchTo(newKey) {
      this.signer = new ethers.Wallet(newKey);
      for (const p of context.pages()) {
        await p.evaluate((a) => window.__testWalletEmit('accountsChanged', [a]), this.signer.address.toLowerCase());
      }
    },
  };
  await context.exposeBinding('__testWalletRequest', async (_source, method, params) => {
    switch (method) {
      case 'eth_accounts':
      case 'eth_requestAccounts':
        return [wallet.signer.address.toLowerCase()];
      case 'eth_chainId':
        return '0x1';
      case 'personal_sign': {
        wallet.prompts++;
        const [hex, addr] = params;
        if (addr.toLowerCase() !== wallet.signer.address.toLowerCase()) throw new Error('personal_sign for another account');
        const bytes = ethers.utils.arrayify(hex);
        wallet.signed.push(ethers.utils.toUtf8String(bytes));
        return wallet.signer.signMessage(bytes);
      }
      default:
        throw new Error(`test wallet: ${method} not supported`);
    }
  });
  await context.addInitScript(() => {
    const listeners = {};
    const provider = {
      request: ({ method, params }) => window.__testWalletRequest(method, params ?? []),
      on: (ev, l) => (listeners[ev] ??= []).push(l),
      removeListener: (ev, l) => (listeners[ev] = (listeners[ev] ?? []).filter((x) => x !== l)),
    };
    window.__testWalletEmit = (ev, arg) => (listeners[ev] ?? []).forEach((l) => l(arg));
    window.ethereum = provider;
    const info = { uuid: '5f1e8c1e-0000-4000-8000-000000000001', name: 'Test wallet', icon: 'data:,', rdns: 'test.sessionsig' };
    const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
    window.addEventListener('eip6963:requestProvider', announce);
    announce();
  });
  return wallet;
}

/** Wait until the app shows `view` (`signin` / `files`). */
export async function waitView(page, view) {
  await page.waitForFunction((v) => document.body.dataset.view === v, view, { timeout: GUARD_MS });
}

export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Run the CLI; returns {status, stdout, stderr}. */
export function cli(args, { input, env } = {}) {
  const r = spawnSync(BIN, args, { input, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The real Lit SDK's ReCap decoder (`@lit-protocol/auth-helpers` 7.4.0), from the interop
 * suite's pinned install (`npm ci` in interop/, which scripts/test runs before this suite).
 */
export async function litAuthHelpers() {
  const { createRequire } = await import('node:module');
  const require = createRequire(path.join(REPO, 'interop/package.json'));
  try {
    return require('@lit-protocol/auth-helpers');
  } catch (e) {
    throw new Error(`the Lit SDK is not installed: run npm ci in interop/ first (${e.message})`);
  }
}
