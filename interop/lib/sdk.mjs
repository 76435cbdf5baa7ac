// Drive the REAL Lit JS SDK 7.4.0 offline.
//
// `LitNodeClientNodeJs.getSessionSigs` needs no network once the client believes it is connected.
// `connect()` would handshake with the nodes and fetch a block hash; instead we seed exactly the
// state the handshake would have left behind and that getSessionSigs reads:
//
//   config.litNetwork = 'custom'           no contract / bootstrap lookups in the constructor
//   config.bootstrapUrls, connectedNodes   our node URLs: getSessionSigs signs one SessionSig per
//                                          entry of `connectedNodes`, with it as `nodeAddress`
//   ready = true                           getSessionSigs / createCapacityDelegationAuthSig refuse
//                                          (or try to connect) otherwise
//   latestBlockhash                        the SIWE nonce (getLatestBlockhash())
//   lastBlockHashRetrieved                 "just fetched", so _syncBlockhash() never goes to the
//                                          block indexer (we use a far-future stamp: always fresh)
//
// Nothing else is needed for session signing: serverKeys / networkPubKey are only used by the
// node-calling APIs (BLS combine, encryption), and the storage provider is optional (without
// `localStorage` the SDK just logs that it cannot cache the key / wallet sig and goes on).
// Nothing that signs or verifies is stubbed: the SIWE text comes from auth-helpers'
// createSiweMessageWithRecaps, the wallet signature from generateAuthSig (ethers 5 Wallet),
// the SessionSigs from getSessionSigs' own tweetnacl signing, checkNeedToResignSessionKey runs
// siwe's real verify. Only the clock can be fixed (see clock.mjs) to make the output reproducible.

import './quiet.mjs';
import nacl from 'tweetnacl';
import { ethers } from 'ethers';
import { SiweMessage } from 'siwe';
import { LitNodeClientNodeJs } from '@lit-protocol/lit-node-client-nodejs';
import {
  createSiweMessageWithRecaps,
  generateAuthSig,
  parseLitResource,
  LitAccessControlConditionResource,
} from '@lit-protocol/auth-helpers';
import { validateSessionSigs } from '@lit-protocol/misc';
import { setNow, withClock } from './clock.mjs';

export { nacl, ethers, SiweMessage, validateSessionSigs, LitNodeClientNodeJs };

// ------------------------------------------------------------------------------------ constants

/** Public test key of vectors-v7.json (address 0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A). Tests only. */
export const TEST_WALLET_KEY = '0x' + '11'.repeat(32);
/** A second public test key (a capacity-credit owner / another user). Tests only. */
export const OTHER_WALLET_KEY = '0x' + '33'.repeat(32);
/** Session seed of vectors-v7.json. */
export const SEED_A = '22'.repeat(32);
export const SEED_B = '44'.repeat(32);
/** The nonce of vectors-v7.json (a "block hash"). */
export const TEST_NONCE = '0x' + 'ab'.repeat(32);
/** Our three loopback nodes. */
export const NODE_URLS = ['http://127.0.0.1:7470', 'http://127.0.0.1:7471', 'http://127.0.0.1:7472'];

export const DEFAULT_REQUESTS = ['lit-pkp://*=pkp-signing', 'lit-litaction://*=lit-action-execution'];

// ------------------------------------------------------------------------------------ small utils

export const toHex = (u8) => Buffer.from(u8).toString('hex');
export const fromHex = (h) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));
export const utf8 = (s) => new Uint8Array(Buffer.from(s, 'utf8'));

/** v7 session key layout: publicKey 64 hex, secretKey 128 hex (seed || public key). */
export function sessionKeyFromSeed(seedHex) {
  const kp = nacl.sign.keyPair.fromSeed(fromHex(seedHex));
  return { publicKey: toHex(kp.publicKey), secretKey: toHex(kp.secretKey) };
}

export function walletAddress(privateKey) {
  return new ethers.Wallet(privateKey).address;
}

/** Drop the SDK's "Storage key ... is missing. Not a problem." chatter while fn runs. */
export async function quietly(fn) {
  const warn = console.warn;
  console.warn = (...a) => {
    const s = a.map(String).join(' ');
    if (/Not a problem|local storage|localStorage/i.test(s)) return;
    warn(...a);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

// ------------------------------------------------------------------------------------ client

/** A LitNodeClientNodeJs that is "connected" to `nodeUrls` without any network. */
export function makeOfflineClient({ nodeUrls = NODE_URLS, nonce = TEST_NONCE } = {}) {
  const client = new LitNodeClientNodeJs({
    litNetwork: 'custom',
    bootstrapUrls: [...nodeUrls],
    minNodeCount: nodeUrls.length,
    checkNodeAttestation: false,
    debug: false,
  });
  client.connectedNodes = new Set(nodeUrls);
  client.ready = true;
  client.latestBlockhash = nonce;
  client.lastBlockHashRetrieved = Number.MAX_SAFE_INTEGER; // never stale => no fetch
  return client;
}

// ------------------------------------------------------------------------------------ requests

/**
 * 'lit-pkp://*=pkp-signing' -> { resource: LitPKPResource('*'), ability: 'pkp-signing' }
 * (the same RESOURCE=ABILITY syntax as the sessionsig CLI's --request). Objects pass through.
 */
export function parseRequest(r) {
  if (typeof r !== 'string') return r;
  const i = r.lastIndexOf('=');
  if (i < 0) throw new Error(`request must be RESOURCE=ABILITY: ${r}`);
  return { resource: parseLitResource(r.slice(0, i)), ability: r.slice(i + 1) };
}

export const requestString = (req) => `${req.resource.getResourceKey()}=${req.ability}`;

/** The ACC decryption resource key the SDK uses for `accs` + sha256(data) hex. */
export async function accResourceKey(accs, dataToEncryptHash) {
  const id = await LitAccessControlConditionResource.generateResourceString(accs, dataToEncryptHash);
  return `lit-accesscontrolcondition://${id}`;
}

// ------------------------------------------------------------------------------------ signing

/**
 * SessionSigs from the real `getSessionSigs`.
 *
 * opts:
 *   client            an offline client (default: makeOfflineClient({nodeUrls, nonce}))
 *   nodeUrls, nonce   used when no client is given
 *   walletKey         0x-hex private key of the user's wallet (default TEST_WALLET_KEY)
 *   sessionKey        {publicKey, secretKey}; omitted => the SDK generates one itself
 *                     (getSessionKey -> generateSessionKeyPair), returned in `sessionKey.publicKey`
 *   requests          resourceAbilityRequests (strings 'RES=ABILITY' or SDK objects)
 *   grants            what the wallet signs in its ReCap (default: the requests the SDK passes to
 *                     authNeededCallback). A narrower grant makes the SDK re-ask once and then sign
 *                     anyway: the SessionSig then requests more than it was granted.
 *   sessionUri        overrides the SIWE URI the wallet signs (default the SDK's lit:session:<pub>)
 *   statement, domain passed to createSiweMessageWithRecaps (undefined => SDK defaults)
 *   expiration        ISO; used for the AuthSig and the SessionSigs (the SDK uses one value)
 *   siweIssuedAt      fixes the clock while the SIWE is made (null => real clock, or `issuedAt`)
 *   issuedAt          fixes the clock for the SessionSig issuedAt (default siweIssuedAt + 1 s)
 *   capabilityAuthSigs, capacityDelegationAuthSig   passed through to getSessionSigs
 *
 * Returns { walletAddress, sessionKey, authSig, sessionSigs, requests }.
 */
export async function sdkSessionSigs(opts = {}) {
  const nodeUrls = opts.nodeUrls ?? NODE_URLS;
  const client = opts.client ?? makeOfflineClient({ nodeUrls, nonce: opts.nonce ?? TEST_NONCE });
  const wallet = new ethers.Wallet(opts.walletKey ?? TEST_WALLET_KEY);
  const requests = (opts.requests ?? DEFAULT_REQUESTS).map(parseRequest);
  const grants = opts.grants ? opts.grants.map(parseRequest) : null;
  const siweAt = opts.siweIssuedAt ?? null;
  const sessionAt =
    opts.issuedAt ?? (siweAt !== null ? new Date(Date.parse(siweAt) + 1000).toISOString() : null);
  let authSig;

  const sessionSigs = await quietly(() =>
    withClock(siweAt ?? sessionAt, () =>
      client.getSessionSigs({
        chain: 'ethereum',
        resourceAbilityRequests: requests,
        ...(opts.sessionKey && { sessionKey: opts.sessionKey }),
        ...(opts.expiration && { expiration: opts.expiration }),
        ...(opts.capabilityAuthSigs && { capabilityAuthSigs: opts.capabilityAuthSigs }),
        ...(opts.capacityDelegationAuthSig && {
          capacityDelegationAuthSig: opts.capacityDelegationAuthSig,
        }),
        // The wallet side, as in Lit's own docs: a SIWE with recaps, signed by the wallet.
        authNeededCallback: async ({ uri, expiration, resourceAbilityRequests, nonce }) => {
          if (siweAt !== null) setNow(siweAt);
          const toSign = await createSiweMessageWithRecaps({
            uri: opts.sessionUri ?? uri,
            expiration,
            resources: grants ?? resourceAbilityRequests,
            walletAddress: wallet.address,
            nonce,
            litNodeClient: client,
            ...(opts.statement !== undefined && { statement: opts.statement }),
            ...(opts.domain !== undefined && { domain: opts.domain }),
          });
          authSig = await generateAuthSig({ signer: wallet, toSign });
          if (sessionAt !== null) setNow(sessionAt);
          return authSig;
        },
      }),
    ),
  );
  const first = Object.values(sessionSigs)[0];
  return {
    walletAddress: wallet.address,
    sessionKey: opts.sessionKey ?? { publicKey: first.address },
    authSig,
    sessionSigs,
    requests: requests.map(requestString),
  };
}

/**
 * A capacity-delegation AuthSig from the real client.createCapacityDelegationAuthSig (offline: it
 * only needs `ready` and the block hash). `issuedAt` fixes the clock (null => real clock).
 */
export async function sdkCapacityDelegation({
  client = makeOfflineClient(),
  ownerKey = OTHER_WALLET_KEY,
  delegateeAddresses,
  uses,
  capacityTokenId,
  expiration,
  statement,
  domain,
  issuedAt = null,
} = {}) {
  const dAppOwnerWallet = new ethers.Wallet(ownerKey);
  const { capacityDelegationAuthSig } = await quietly(() =>
    withClock(issuedAt, () =>
      client.createCapacityDelegationAuthSig({
        dAppOwnerWallet,
        ...(delegateeAddresses !== undefined && { delegateeAddresses }),
        ...(uses !== undefined && { uses }),
        ...(capacityTokenId !== undefined && { capacityTokenId }),
        ...(expiration !== undefined && { expiration }),
        ...(statement !== undefined && { statement }),
        ...(domain !== undefined && { domain }),
      }),
    ),
  );
  return capacityDelegationAuthSig;
}

// ------------------------------------------------------------------------------------ checking

/** tweetnacl check of one SessionSig: sig over utf8(signedMessage) with key hex(address). */
export function naclVerify(sessionSig) {
  return nacl.sign.detached.verify(
    utf8(sessionSig.signedMessage),
    fromHex(sessionSig.sig),
    fromHex(sessionSig.address),
  );
}

/** siwe 2.3.2 verification of a wallet AuthSig, as of `time` (ISO; default now). */
export async function siweVerify(authSig, { time, domain, nonce } = {}) {
  const msg = new SiweMessage(authSig.signedMessage);
  return msg.verify(
    { signature: authSig.sig, ...(time && { time }), ...(domain && { domain }), ...(nonce && { nonce }) },
    { suppressExceptions: true },
  );
}

/** The SDK's own validateSessionSigs, as of `time` (ISO; default now). */
export async function sdkValidate(sessionSigs, time = null) {
  return withClock(time, () => validateSessionSigs(structuredClone(sessionSigs)));
}

/**
 * A new SessionSig over `signedMessage` signed with the session secret key (128 hex), as the SDK
 * does it (tweetnacl detached). For realistic tampering: whoever holds the session key can sign
 * anything; only what the wallet signed limits them.
 */
export function signSessionSig(signedMessage, secretKeyHex) {
  const sk = fromHex(secretKeyHex);
  const kp = nacl.sign.keyPair.fromSecretKey(sk);
  return {
    sig: toHex(nacl.sign.detached(utf8(signedMessage), sk)),
    derivedVia: 'litSessionSignViaNacl',
    signedMessage,
    address: toHex(kp.publicKey),
    algo: 'ed25519',
  };
}

/** Apply `edit(obj)` to the parsed signedMessage, re-serialise like the SDK, re-sign. */
export function resign(sessionSig, secretKeyHex, edit) {
  const m = JSON.parse(sessionSig.signedMessage);
  const out = edit(m) ?? m;
  return signSessionSig(JSON.stringify(out), secretKeyHex);
}
