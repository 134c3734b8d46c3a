// Principals and write caps entirely in JavaScript, through @polkadot/api on a running dev node:
// Alice and Bob each make a principal from a random 32-byte seed (an sr25519 signing key and an
// X25519 encryption key, derived as blocktree_primitives::crypto::PrincipalKeys::from_seed
// does), compute its id, prove possession of its key and register it from their accounts;
// Alice claims her tree, Bob asks for write access below `/<Alice>/photos`, and Alice approves
// with a write cap she builds and signs here. The chain then answers, through its runtime API,
// that Bob may write `/<Alice>/photos/a.jpg` with that cap and not `/<Alice>/docs/a.txt`.
//
// The signed messages follow docs/rpc.md ("Signed messages a client builds"): the SCALE
// encoding of a tuple whose first element is a domain tag as a byte string (compact length,
// then the bytes). That the tag and the chain tag matter is tested too: a registration proof
// over the tag without its length prefix is refused (`principals.InvalidProofOfPossession`), and
// so are caps signed under such a tag or for another genesis hash (`principals.CapWrongSigner`).
// A wrong principal id or cap id fails the script: both are compared with what the chain
// computes in Rust (events, storage, runtime API).
//
// The types (Principal, Signature, BlockPath, WriteCap, SignedWriteCap) come from the metadata:
// they are the arguments of `principals.register`, `principals.requestWriteAccess` and
// `principals.approveWriteRequest`.
//
//   node principal.mjs ws://127.0.0.1:9944
//
// Prints one JSON line `{"ok":true,...}` and exits 0, or the reason and exits 1.
import { createPrivateKey, createPublicKey, hkdfSync, randomBytes } from 'node:crypto';
import { blake2AsU8a, sr25519PairFromSeed, sr25519Sign } from '@polkadot/util-crypto';
import { check, connect, eventsOf, fail, send } from './lib.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const { api, keyring } = await connect(url, Number(process.env.PRINCIPAL_TIMEOUT_MS ?? 180_000));
const alice = keyring.addFromUri('//Alice');
const bob = keyring.addFromUri('//Bob');

const hex = (u8) => '0x' + Buffer.from(u8).toString('hex');
const utf8 = (text) => new TextEncoder().encode(text);
const concat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
/// The pallet error that refused `tx`, or 'accepted'.
const refusal = (tx, signer) => send(api, tx, signer).then(() => 'accepted', (e) => e.message);

// ---- The runtime's types, from the metadata. ----

/// The name polkadot.js registered for metadata type `id` (e.g. `BlocktreePrimitivesCapWriteCap`).
const typeName = (id) => api.registry.lookup.getTypeDef(id).lookupName ?? api.registry.createLookupType(id);
/// The type of argument `arg` of `principals.<call>`.
function argType(call, arg) {
  const field = api.tx.principals[call].meta.fields.find((f) => f.name.toString() === arg);
  check(field !== undefined, `principals.${call} has no argument ${arg}`);
  return field.type;
}
/// The type of field `name` of the struct with type id `id`.
function fieldType(id, name) {
  const { def } = api.registry.lookup.getSiType(id);
  check(def.isComposite, `type ${typeName(id)} is not a struct`);
  const field = def.asComposite.fields.find((f) => f.name.isSome && f.name.unwrap().toString() === name);
  check(field !== undefined, `type ${typeName(id)} has no field ${name}`);
  return field.type;
}
const signedCapId = argType('approveWriteRequest', 'cap');
const T = {
  principal: typeName(argType('register', 'keys')),
  signature: typeName(argType('register', 'proof')),
  path: typeName(argType('requestWriteAccess', 'prefix')),
  signedCap: typeName(signedCapId),
  writeCap: typeName(fieldType(signedCapId, 'cap')),
};

// ---- Domain tags and signed messages (docs/rpc.md, "Signed messages a client builds"). ----

/// Rust encodes a `&[u8]` domain tag, alone or in a tuple, as a byte vector: compact length,
/// then the bytes (`blocktree:principal:v1`, 22 bytes, starts with 0x58 = 22 << 2). The tag goes
/// into `Bytes` as hex: a Uint8Array would be read as already length-prefixed.
const tag = (text) => api.createType('Bytes', hex(utf8(text))).toU8a();
const PRINCIPAL_ID = tag('blocktree:principal:v1');
const REGISTRATION_PROOF = tag('blocktree:register-principal:v1');
const WRITE_CAP = tag('blocktree:write-cap:v1');
check(PRINCIPAL_ID[0] === 22 << 2 && PRINCIPAL_ID.length === 23, `tag encoding ${hex(PRINCIPAL_ID)}`);

/// The X25519 public key of a 32-byte secret (clamped, as x25519-dalek and RFC 7748 do): Node's
/// crypto takes the secret as PKCS#8 DER, the fixed X25519 prefix and the 32 bytes.
function x25519Public(secret) {
  const der = concat(Buffer.from('302e020100300506032b656e04220420', 'hex'), secret);
  const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  return new Uint8Array(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x, 'base64url'));
}

/// A principal from a 32-byte seed, as `PrincipalKeys::from_seed(KeyScheme::Sr25519, seed)`:
/// the sr25519 pair of the seed (a mini secret key, ed25519-expanded), and the X25519 secret
/// HKDF-SHA256(salt "blocktree:x25519", seed, info "encryption key v1"). Its id is
/// blake2_256(SCALE(tag "blocktree:principal:v1", Principal)).
function principalFromSeed(seed) {
  const pair = sr25519PairFromSeed(seed);
  const secret = new Uint8Array(hkdfSync('sha256', seed, utf8('blocktree:x25519'), utf8('encryption key v1'), 32));
  const keys = api.createType(T.principal, { signing: { Sr25519: hex(pair.publicKey) }, encryption: hex(x25519Public(secret)) });
  const id = hex(blake2AsU8a(concat(PRINCIPAL_ID, keys.toU8a()), 256));
  return { pair, keys, id, idHex: id.slice(2) };
}

/// What `pair` signs, as a runtime `Signature` (enum: 0x00 = Sr25519, then 64 bytes).
const signature = (pair, message) => api.createType(T.signature, { Sr25519: hex(sr25519Sign(message, pair)) });

/// The proof that `account` may register `principal`: its signature over
/// SCALE(tag "blocktree:register-principal:v1", account id (32 bytes), Principal), as
/// `pallet_principals::possession_message` builds it. No genesis hash: the message names the
/// account, which must sign the transaction itself.
const possessionMessage = (account, principal) => concat(REGISTRATION_PROOF, account, principal.keys.toU8a());

/// A block path as the runtime's `BlockPath`: its components (the first the tree owner's id in
/// 64 lower-case hex digits, no 0x), each as bytes.
const blockPath = (text) => api.createType(T.path, { components: text.split('/').slice(1).map((c) => hex(utf8(c))) });

/// `fields` (a `WriteCap`) signed by `issuer` for the chain `genesis`: the signature is over
/// SCALE(tag "blocktree:write-cap:v1", genesis hash (32 bytes), WriteCap), as
/// `WriteCap::signing_payload` builds it; `domain` replaces the encoded tag (to test that a
/// wrong one is refused). The cap's id is blake2_256 of the encoded `WriteCap`.
function signCap(issuer, genesis, fields, domain = WRITE_CAP) {
  const cap = api.createType(T.writeCap, fields);
  const payload = concat(domain, genesis, cap.toU8a());
  // The same bytes, encoded as a tuple by polkadot.js: what Rust's `(tag, chain, cap).encode()` is.
  const tuple = api.createType(`(Bytes, H256, ${T.writeCap})`, [hex(utf8('blocktree:write-cap:v1')), hex(genesis), cap]).toU8a();
  check(domain !== WRITE_CAP || same(payload, tuple), 'the cap payload differs from the tuple encoding');
  const signed = api.createType(T.signedCap, { cap, signature: signature(issuer.pair, payload) });
  return { signed, id: hex(blake2AsU8a(cap.toU8a(), 256)) };
}

/// Registers the principal of a fresh random seed for `account`; checks the chain agrees on its
/// id (event, the account's principal in storage, the keys the runtime API returns for the id).
async function register(account) {
  const principal = principalFromSeed(new Uint8Array(randomBytes(32)));
  const proof = signature(principal.pair, possessionMessage(account.publicKey, principal));
  const { events } = await send(api, api.tx.principals.register(principal.keys, proof), account);
  const registered = eventsOf(events, 'principals', 'PrincipalRegistered')[0];
  check(registered !== undefined, 'no PrincipalRegistered event');
  const onChain = registered.data.principal.toHex();
  check(onChain === principal.id, `the chain registered ${onChain}, the script computed ${principal.id}`);
  const controlled = await api.query.principals.controlledPrincipal(account.address);
  check(controlled.isSome && controlled.unwrap().toHex() === principal.id, `controlled principal ${controlled}`);
  const keys = await api.call.principalsApi.principal(principal.id);
  check(keys.isSome && same(keys.unwrap().toU8a(), principal.keys.toU8a()), `keys of ${principal.id}: ${keys}`);
  return principal;
}

/// The chain's verdict on `writer` writing `path` with `chain`: 'allowed' or the broken rule.
async function mayWrite(writer, path, chain) {
  const verdict = await api.call.principalsApi.mayWrite(writer.id, blockPath(path), chain);
  return verdict.isOk ? 'allowed' : verdict.asErr.type;
}

try {
  const genesis = api.genesisHash.toU8a();
  check(same(genesis, (await api.rpc.chain.getBlockHash(0)).toU8a()), 'genesisHash is not block 0');

  // Alice's principal, registered and its tree claimed. Meanwhile Bob tries with a proof over
  // the tag without its length prefix (the raw string, a common slip): refused.
  const bobTry = principalFromSeed(new Uint8Array(randomBytes(32)));
  const unprefixed = concat(utf8('blocktree:register-principal:v1'), bob.publicKey, bobTry.keys.toU8a());
  const [aliceP, wrongProof] = await Promise.all([
    register(alice),
    refusal(api.tx.principals.register(bobTry.keys, signature(bobTry.pair, unprefixed)), bob),
  ]);
  check(wrongProof === 'principals.InvalidProofOfPossession', `a proof over an unprefixed tag gave ${wrongProof}`);
  const [claimed, bobP] = await Promise.all([send(api, api.tx.principals.claimRoot(), alice), register(bob)]);
  const root = eventsOf(claimed.events, 'principals', 'RootClaimed')[0];
  check(root !== undefined && root.data.owner.toHex() === aliceP.id, 'no RootClaimed event for Alice');
  check((await api.query.principals.roots(aliceP.id)).isSome, 'Alice has no root in storage');

  // Bob asks for write access below /<Alice>/photos.
  const prefix = `/${aliceP.idHex}/photos`;
  const requested = await send(api, api.tx.principals.requestWriteAccess(blockPath(prefix)), bob);
  const ask = eventsOf(requested.events, 'principals', 'WriteAccessRequested')[0];
  check(ask !== undefined, 'no WriteAccessRequested event');
  check(ask.data.owner.toHex() === aliceP.id && ask.data.requester.toHex() === bobP.id, `request ${ask.data}`);
  const request = ask.data.request.toNumber();
  const pending = await api.call.principalsApi.pendingRequests(aliceP.id);
  check(
    pending.some(([id, r]) => id.toNumber() === request && same(r.prefix.toU8a(), blockPath(prefix).toU8a())),
    `Alice's pending requests: ${pending}`,
  );

  // Alice's cap for it: Bob may write below the prefix for a day. Unix milliseconds, against
  // the chain's timestamp; a random u64 nonce.
  const capFields = (nonce) => ({
    issuer: aliceP.id,
    subject: bobP.id,
    prefix: blockPath(prefix),
    expiresAt: BigInt(Date.now() + 86_400_000),
    nonce,
  });
  const nonce = () => Buffer.from(randomBytes(8)).readBigUInt64LE();
  const approve = (cap) => api.tx.principals.approveWriteRequest(aliceP.id, request, cap.signed, []);

  // Signed under the tag without its length prefix, or for another chain: not Alice's
  // signature as far as the chain can tell. The request stays pending.
  const rawTag = signCap(aliceP, genesis, capFields(nonce()), utf8('blocktree:write-cap:v1'));
  const wrongDomain = await refusal(approve(rawTag), alice);
  check(wrongDomain === 'principals.CapWrongSigner', `a cap signed under an unprefixed tag gave ${wrongDomain}`);
  const otherChain = signCap(aliceP, blake2AsU8a(utf8('another network'), 256), capFields(nonce()));
  const wrongGenesis = await refusal(approve(otherChain), alice);
  check(wrongGenesis === 'principals.CapWrongSigner', `a cap signed for another genesis gave ${wrongGenesis}`);

  // The right one is published, under the id computed here.
  const cap = signCap(aliceP, genesis, capFields(nonce()));
  const approved = await send(api, approve(cap), alice);
  const granted = eventsOf(approved.events, 'principals', 'WriteAccessGranted')[0];
  check(granted !== undefined, 'no WriteAccessGranted event');
  check(granted.data.cap.toHex() === cap.id, `the chain's cap id ${granted.data.cap.toHex()}, computed ${cap.id}`);
  check(granted.data.subject.toHex() === bobP.id, `granted to ${granted.data.subject.toHex()}`);
  const published = await api.query.principals.publishedCaps(bobP.id, cap.id);
  check(published.isSome && same(published.unwrap().toU8a(), cap.signed.toU8a()), `published cap ${published}`);

  // What the chain now says about Bob's writes in Alice's tree.
  const allowed = await mayWrite(bobP, `/${aliceP.idHex}/photos/a.jpg`, [cap.signed]);
  check(allowed === 'allowed', `Bob may not write /<Alice>/photos/a.jpg with the cap: ${allowed}`);
  const refused = await mayWrite(bobP, `/${aliceP.idHex}/docs/a.txt`, [cap.signed]);
  check(refused === 'PathOutsideScope', `Bob writing /<Alice>/docs/a.txt with the cap: ${refused}`);
  const withoutCap = await mayWrite(bobP, `/${aliceP.idHex}/photos/a.jpg`, []);
  check(withoutCap === 'NoCapability', `Bob writing without a cap: ${withoutCap}`);
  const foreignCap = await mayWrite(bobP, `/${aliceP.idHex}/photos/a.jpg`, [otherChain.signed]);
  check(foreignCap === 'WrongSigner', `Bob writing with the cap for another genesis: ${foreignCap}`);

  console.log(JSON.stringify({
    ok: true,
    alice: aliceP.id,
    bob: bobP.id,
    request,
    cap: cap.id,
    allowed: allowed === 'allowed',
    refused,
    withoutCap,
    foreignCap,
    wrongProof,
    wrongDomain,
    wrongGenesis,
  }));
} catch (e) {
  fail(e.message);
}
await api.disconnect();
process.exit(0);
