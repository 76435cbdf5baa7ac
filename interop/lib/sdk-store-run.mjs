#!/usr/bin/env node
// One run of a Lit SDK 7.4.0 application that keeps its session in a node-localstorage directory,
// the way Lit's docs set it up in Node.js:
//
//   new LitNodeClientNodeJs({ ..., storageProvider: { provider: new LocalStorage(DIR) } })
//
// then the real `getSessionSigs` (no `sessionKey` parameter: the SDK takes `lit-session-key` from
// the store, or generates and stores one; it takes `lit-wallet-sig` from the store and re-asks the
// wallet only when its own checkNeedToResignSessionKey says so). The wallet side is the documented
// authNeededCallback (createSiweMessageWithRecaps + generateAuthSig with an ethers 5 Wallet); we
// only count how often the SDK calls it.
//
// It is a separate process on purpose (lib/sdk-store.mjs spawns it):
//   * the SDK installs the provider with Object.defineProperty(globalThis, 'localStorage', {value}),
//     a non-writable, non-configurable global: a second client with another directory in the same
//     process throws "Cannot redefine property: localStorage";
//   * node-localstorage caches one instance per directory and lists the directory only when that
//     instance is created; a fresh process is what a restarted application sees.
// The client is "connected" offline exactly like lib/sdk.mjs's makeOfflineClient. Real clock: the
// Rust CLI that reads the same store checks the AuthSig against the wall clock.
//
// Usage: node lib/sdk-store-run.mjs --store DIR [--request RES=ABILITY]... [--expiration ISO]
//                                   [--node URL]... [--wallet-key 0x..] [--nonce 0x..]
// Prints one JSON object:
//   { prompts, sessionPublicKey, sessionSigs, walletSig, stored: { "<key>": "<raw value>" } }
// `walletSig` is the AuthSig the SessionSigs carry; `stored` is what the directory holds afterwards,
// read back through the same LocalStorage instance.

import './quiet.mjs';
import { LocalStorage } from 'node-localstorage';
import { LitNodeClientNodeJs } from '@lit-protocol/lit-node-client-nodejs';
import { LOCAL_STORAGE_KEYS } from '@lit-protocol/constants';
import { createSiweMessageWithRecaps, generateAuthSig } from '@lit-protocol/auth-helpers';
import {
  ethers,
  parseRequest,
  quietly,
  DEFAULT_REQUESTS,
  NODE_URLS,
  TEST_NONCE,
  TEST_WALLET_KEY,
} from './sdk.mjs';

function parseArgs(argv) {
  const o = { requests: [], nodes: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--store') o.store = val();
    else if (a === '--request') o.requests.push(val());
    else if (a === '--node') o.nodes.push(val());
    else if (a === '--expiration') o.expiration = val();
    else if (a === '--wallet-key') o.walletKey = val();
    else if (a === '--nonce') o.nonce = val();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.store) throw new Error('--store DIR is required');
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const nodeUrls = o.nodes.length ? o.nodes : NODE_URLS;
  const storage = new LocalStorage(o.store);

  const client = new LitNodeClientNodeJs({
    litNetwork: 'custom',
    bootstrapUrls: [...nodeUrls],
    minNodeCount: nodeUrls.length,
    checkNodeAttestation: false,
    debug: false,
    storageProvider: { provider: storage },
  });
  client.connectedNodes = new Set(nodeUrls);
  client.ready = true;
  client.latestBlockhash = o.nonce ?? TEST_NONCE;
  client.lastBlockHashRetrieved = Number.MAX_SAFE_INTEGER;

  const wallet = new ethers.Wallet(o.walletKey ?? TEST_WALLET_KEY);
  let prompts = 0;
  const sessionSigs = await quietly(() =>
    client.getSessionSigs({
      chain: 'ethereum',
      resourceAbilityRequests: (o.requests.length ? o.requests : DEFAULT_REQUESTS).map(parseRequest),
      ...(o.expiration && { expiration: o.expiration }),
      authNeededCallback: async ({ uri, expiration, resourceAbilityRequests, nonce }) => {
        prompts += 1;
        const toSign = await createSiweMessageWithRecaps({
          uri,
          expiration,
          resources: resourceAbilityRequests,
          walletAddress: wallet.address,
          nonce,
          litNodeClient: client,
        });
        return generateAuthSig({ signer: wallet, toSign });
      },
    }),
  );

  const first = Object.values(sessionSigs)[0];
  const caps = JSON.parse(first.signedMessage).capabilities;
  const stored = {};
  for (const k of [LOCAL_STORAGE_KEYS.SESSION_KEY, LOCAL_STORAGE_KEYS.WALLET_SIGNATURE]) {
    stored[k] = storage.getItem(k);
  }
  process.stdout.write(
    JSON.stringify({
      prompts,
      sessionPublicKey: first.address,
      sessionSigs,
      walletSig: caps[caps.length - 1],
      stored,
    }) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`sdk-store-run: ${e?.stack ?? e}\n`);
  process.exit(1);
});
