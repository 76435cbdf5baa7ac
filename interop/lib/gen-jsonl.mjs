// Print N SessionSigs (JSON Lines) from ONE session for one node: the session key signs N
// messages that differ only in issuedAt (one millisecond apart), all carrying the same AuthSig.
// Usage: node lib/gen-jsonl.mjs SESSION_KEY_JSON AUTH_SIG_JSON NODE_URL N ISSUED_AT EXPIRATION
import fs from 'node:fs';
import nacl from 'tweetnacl';

const [keyFile, authFile, node, n, issuedAt, expiration] = process.argv.slice(2);
const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
const auth = JSON.parse(fs.readFileSync(authFile, 'utf8'));
const secret = Uint8Array.from(Buffer.from(key.secretKey, 'hex'));
const start = Date.parse(issuedAt);
const out = [];
for (let i = 0; i < Number(n); i++) {
  const msg = JSON.stringify({
    sessionKey: key.publicKey,
    resourceAbilityRequests: [{ resource: { resource: '*', resourcePrefix: 'lit-pkp' }, ability: 'pkp-signing' }],
    capabilities: [auth],
    issuedAt: new Date(start + i).toISOString(),
    expiration,
    nodeAddress: node,
  });
  const sig = nacl.sign.detached(Buffer.from(msg, 'utf8'), secret);
  out.push(JSON.stringify({ sig: Buffer.from(sig).toString('hex'), derivedVia: 'litSessionSignViaNacl', signedMessage: msg, address: key.publicKey, algo: 'ed25519' }));
}
process.stdout.write(out.join('\n') + '\n');
