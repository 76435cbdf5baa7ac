#!/usr/bin/env node
// Print a SessionSigs bundle made by the REAL Lit JS SDK 7.4.0, offline (see sdk.mjs).
//
//   node lib/make-sdk-session-sigs.mjs [--node URL]... [--request RES=ABILITY]... [--grant RES=ABILITY]...
//        [--seed HEX64] [--wallet-key-file F] [--nonce N] [--siwe-issued-at T] [--issued-at T]
//        [--expiration T] [--statement S] [--domain D] [--sessionsigs-only]
//
// Defaults: nodes http://127.0.0.1:7470..7472, requests lit-pkp://*=pkp-signing and
// lit-litaction://*=lit-action-execution, the public test wallet 0x11..11, a session key the SDK
// generates itself (pass --seed for a fixed one), real clock, expiration now + 24 h (SDK default).
// With --siwe-issued-at the clock is fixed and the output is byte-for-byte reproducible.
//
// Output (stdout, JSON): { walletAddress, sessionKey, authSig, sessionSigs, requests }
// (sessionKey.secretKey only when --seed was given), or just the SessionSigs map with --sessionsigs-only.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { sdkSessionSigs, sessionKeyFromSeed, NODE_URLS, DEFAULT_REQUESTS, TEST_WALLET_KEY, TEST_NONCE } from './sdk.mjs';

const { values: o } = parseArgs({
  options: {
    node: { type: 'string', multiple: true },
    request: { type: 'string', multiple: true },
    grant: { type: 'string', multiple: true },
    seed: { type: 'string' },
    'wallet-key-file': { type: 'string' },
    nonce: { type: 'string' },
    'siwe-issued-at': { type: 'string' },
    'issued-at': { type: 'string' },
    expiration: { type: 'string' },
    statement: { type: 'string' },
    domain: { type: 'string' },
    'sessionsigs-only': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (o.help) {
  const src = fs.readFileSync(new URL(import.meta.url), 'utf8');
  process.stdout.write(src.split('\n').slice(1, 15).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}

const sessionKey = o.seed ? sessionKeyFromSeed(o.seed) : undefined;
const walletKey = o['wallet-key-file'] ? fs.readFileSync(o['wallet-key-file'], 'utf8').trim() : TEST_WALLET_KEY;

const out = await sdkSessionSigs({
  nodeUrls: o.node ?? NODE_URLS,
  nonce: o.nonce ?? TEST_NONCE,
  walletKey,
  sessionKey,
  requests: o.request ?? DEFAULT_REQUESTS,
  grants: o.grant,
  siweIssuedAt: o['siwe-issued-at'] ?? null,
  issuedAt: o['issued-at'],
  expiration: o.expiration,
  statement: o.statement,
  domain: o.domain,
});

process.stdout.write(JSON.stringify(o['sessionsigs-only'] ? out.sessionSigs : out, null, 2) + '\n');
