// Run a Lit SDK 7.4.0 "application" whose session lives in a node-localstorage directory, in its own
// process (see sdk-store-run.mjs for why a separate process), and return what it did.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { INTEROP_DIR } from './cli.mjs';

const SCRIPT = path.join(INTEROP_DIR, 'lib', 'sdk-store-run.mjs');

/** The SDK's storage keys (LOCAL_STORAGE_KEYS.SESSION_KEY / .WALLET_SIGNATURE in 7.4.0). */
export const LIT_SESSION_KEY = 'lit-session-key';
export const LIT_WALLET_SIG = 'lit-wallet-sig';

/**
 * `new LitNodeClientNodeJs({ storageProvider: { provider: new LocalStorage(store) } })` +
 * `getSessionSigs` (no sessionKey: the SDK uses / creates the stored one), in a fresh process.
 *
 * o: store (dir), requests ['RES=ABILITY'…], expiration (ISO), nodes [URL…], walletKey, nonce
 * Resolves to { prompts, sessionPublicKey, sessionSigs, walletSig, stored: {key: raw value} }.
 */
export function sdkStoreRun(o) {
  const args = [SCRIPT, '--store', o.store];
  for (const r of o.requests ?? []) args.push('--request', r);
  for (const n of o.nodes ?? []) args.push('--node', n);
  if (o.expiration) args.push('--expiration', o.expiration);
  if (o.walletKey) args.push('--wallet-key', o.walletKey);
  if (o.nonce) args.push('--nonce', o.nonce);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: INTEROP_DIR, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`SDK run failed (${err.message})\n--- stdout\n${stdout}--- stderr\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`SDK run printed no JSON\n--- stdout\n${stdout}--- stderr\n${stderr}`));
        }
      },
    );
  });
}
