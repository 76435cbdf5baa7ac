// Run the Rust `sessionsig` CLI.
//
// Binary: $SESSIONSIG_BIN (resolved against the current directory), else ../target/debug/sessionsig
// relative to interop/. Tests that need it call requireCli() (or any run helper, which calls it),
// so a missing binary is a clear FAILURE, never a skip.
//
// Contract relied on (from the issue): JSON on stdout, diagnostics on stderr; exit 0 success,
// 1 invalid input / failed verification, 2 usage error. `verify` prints one JSON line per input.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const INTEROP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = process.env.SESSIONSIG_BIN
  ? path.resolve(process.env.SESSIONSIG_BIN)
  : path.resolve(INTEROP_DIR, '../target/debug/sessionsig');

export function requireCli() {
  let st;
  try {
    st = fs.statSync(BIN);
  } catch {
    throw new Error(
      `sessionsig CLI binary not found at ${BIN}\n` +
        `  build it first (cargo build -p sessionsig-cli, from the repo root)\n` +
        `  or point SESSIONSIG_BIN at it: SESSIONSIG_BIN=/path/to/sessionsig node --test`,
    );
  }
  if (!st.isFile()) throw new Error(`SESSIONSIG_BIN is not a file: ${BIN}`);
  try {
    fs.accessSync(BIN, fs.constants.X_OK);
  } catch {
    throw new Error(`sessionsig CLI at ${BIN} is not executable`);
  }
}

/** Parse stdout as JSON Lines (blank lines ignored). Throws with the raw text on bad JSON. */
export function jsonLines(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`sessionsig printed a non-JSON line on stdout: ${JSON.stringify(l)}`);
      }
    });
}

/** Parse the whole stdout as one JSON document (pretty-printed or compact). */
export function jsonDoc(stdout, what = 'output') {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`sessionsig ${what} is not one JSON document:\n${stdout}`);
  }
}

/**
 * Run `sessionsig ...args`. Returns { code, stdout, stderr, cmd }.
 * opts.input: written to stdin. opts.env: extra environment variables.
 */
export function runCli(args, { input, env } = {}) {
  requireCli();
  const r = spawnSync(BIN, args, {
    input: input ?? '',
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`running ${BIN}: ${r.error.message}`);
  const cmd = `sessionsig ${args.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, cmd };
}

/** A readable dump of a run, for assertion messages. */
export const show = (r) =>
  `\n$ ${r.cmd}\nexit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

/** Run and require exit 0 and a JSON document on stdout. */
export function runJson(args, opts) {
  const r = runCli(args, opts);
  if (r.code !== 0) throw new Error(`expected exit 0${show(r)}`);
  return jsonDoc(r.stdout, args[0]);
}

// ------------------------------------------------------------------------------------ temp files

let dir = null;
function tmpDir() {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionsig-interop-'));
    fs.chmodSync(dir, 0o700);
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return dir;
}
let counter = 0;
const uniq = (name) => path.join(tmpDir(), `${++counter}-${name}`);

/** A file readable by the owner only (keys). */
export function writeSecret(name, content) {
  const p = uniq(name);
  fs.writeFileSync(p, content, { mode: 0o600 });
  fs.chmodSync(p, 0o600); // in case of an unusual umask
  return p;
}

/** A JSON file (AuthSigs, SessionSigs). */
export function writeJson(name, obj) {
  const p = uniq(name);
  fs.writeFileSync(p, JSON.stringify(obj), { mode: 0o600 });
  return p;
}

export function writeText(name, text) {
  const p = uniq(name);
  fs.writeFileSync(p, text, { mode: 0o600 });
  return p;
}

// ------------------------------------------------------------------------------------ commands

const many = (flag, xs) => (xs ?? []).flatMap((x) => [flag, String(x)]);

/** `sessionsig keygen` -> { publicKey, secretKey } */
export function keygen() {
  return runJson(['keygen']);
}

/** Write a wallet key file (0x-hex private key, newline-terminated like `echo` writes it). */
export const walletKeyFile = (key) => writeSecret('wallet.key', `${key}\n`);
/** Write a session key file in the keygen / SDK JSON form. */
export const sessionKeyFile = (sk) => writeSecret('session.json', JSON.stringify(sk));

/**
 * `sessionsig auth-sig ...` -> AuthSig. o: walletKey | walletKeyFile, sessionKey | sessionKeyFile |
 * uri, requests[], nonce, issuedAt, expiration, statement, domain, chainId, delegateTo[], uses, nftId
 */
export function authSigArgs(o) {
  const args = ['auth-sig'];
  if (o.walletKeyFile ?? o.walletKey) args.push('--wallet-key-file', o.walletKeyFile ?? walletKeyFile(o.walletKey));
  if (o.uri) args.push('--uri', o.uri);
  else if (o.sessionKeyFile ?? o.sessionKey) args.push('--session-key-file', o.sessionKeyFile ?? sessionKeyFile(o.sessionKey));
  args.push(...many('--request', o.requests));
  if (o.domain !== undefined) args.push('--domain', o.domain);
  if (o.statement !== undefined) args.push('--statement', o.statement);
  if (o.nonce !== undefined) args.push('--nonce', o.nonce);
  if (o.chainId !== undefined) args.push('--chain-id', String(o.chainId));
  if (o.issuedAt !== undefined) args.push('--issued-at', o.issuedAt);
  if (o.expiration !== undefined) args.push('--expiration', o.expiration);
  args.push(...many('--delegate-to', o.delegateTo));
  if (o.uses !== undefined) args.push('--uses', String(o.uses));
  if (o.nftId !== undefined) args.push('--nft-id', String(o.nftId));
  return args;
}
export const cliAuthSig = (o, opts) => runJson(authSigArgs(o), opts);

/**
 * `sessionsig session-sigs ...` -> SessionSigs map. o: sessionKey | sessionKeyFile, authSig |
 * authSigFile, capabilities[] (AuthSigs, --capability-file each), nodes[], requests[], issuedAt,
 * expiration, format, maxPrice
 */
export function sessionSigsArgs(o) {
  const args = ['session-sigs'];
  args.push('--session-key-file', o.sessionKeyFile ?? sessionKeyFile(o.sessionKey));
  args.push('--auth-sig-file', o.authSigFile ?? writeJson('authsig.json', o.authSig));
  for (const c of o.capabilities ?? []) args.push('--capability-file', writeJson('capability.json', c));
  args.push(...many('--node', o.nodes));
  args.push(...many('--request', o.requests));
  if (o.issuedAt !== undefined) args.push('--issued-at', o.issuedAt);
  if (o.expiration !== undefined) args.push('--expiration', o.expiration);
  if (o.format !== undefined) args.push('--format', o.format);
  if (o.maxPrice !== undefined) args.push('--max-price', String(o.maxPrice));
  return args;
}
export const cliSessionSigs = (o, opts) => runJson(sessionSigsArgs(o), opts);

/**
 * `sessionsig verify --node URL [--at T] [--request R=A]... [FILE]`.
 * input: an object (one SessionSig or a map), an array (sent as JSON Lines) or a raw string.
 * o.file: pass the input as a FILE argument instead of stdin.
 * Returns { code, results (one parsed JSON line per input), run }.
 */
export function verify(input, { node, at, requests, file = false } = {}) {
  const text =
    typeof input === 'string'
      ? input
      : Array.isArray(input)
        ? input.map((x) => JSON.stringify(x)).join('\n') + '\n'
        : JSON.stringify(input);
  const args = ['verify', '--node', node];
  if (at) args.push('--at', at);
  args.push(...many('--request', requests));
  let run;
  if (file) {
    args.push(writeText('input.json', text));
    run = runCli(args);
  } else {
    run = runCli(args, { input: text });
  }
  let results;
  try {
    results = jsonLines(run.stdout);
  } catch (e) {
    throw new Error(`${e.message}${show(run)}`);
  }
  return { code: run.code, results, run };
}
