// Proof of storage end to end through @polkadot/api on a running dev node: Bob, Charlie and
// Dave sell Alice storage; Alice registers a principal (its sr25519 signing key with its proof
// of possession), asks the runtime for the erasure parameters and records a block under a
// header signed by that principal, with the roots of its fragments; the providers place them,
// and when the runtime challenges a fragment its holder answers with the chunk and its merkle
// proof, built here in JavaScript (blake2-256 with the leaf/node domain bytes of
// blocktree_primitives::merkle). Bob's copy of Alice's signed header is refused with
// `principals.NotWritersController`, a forged answer with `fragments.InvalidProof`.
//
// The principal, its proof, the header and what the writer signs are SCALE-encoded with the
// runtime's own types, found from the metadata (the arguments of `principals.register` and
// `fragments.recordBlock`), so they follow blocktree_primitives::{principal, block}.
//
//   node proofs.mjs ws://127.0.0.1:9944
//
// Prints one JSON line `{"ok":true,...}` and exits 0, or the reason and exits 1.
import { blake2AsU8a } from '@polkadot/util-crypto';
import { check, connect, eventsOf, fail, send } from './lib.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const { api, keyring } = await connect(url, Number(process.env.PROOFS_TIMEOUT_MS ?? 240_000));
const [alice, bob, charlie, dave] = ['//Alice', '//Bob', '//Charlie', '//Dave'].map((s) => keyring.addFromUri(s));
const providers = [bob, charlie, dave];
const CHUNK = 1024;

const hex = (u8) => '0x' + Buffer.from(u8).toString('hex');
/// The pallet error that refused `tx`, or 'accepted'.
const refusal = (tx, signer) => send(api, tx, signer).then(() => 'accepted', (e) => e.message);
const concat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
const leafHash = (data) => blake2AsU8a(concat([0], data), 256);
const nodeHash = (l, r) => blake2AsU8a(concat([1], l, r), 256);

function chunksOf(fragment) {
  const out = [];
  for (let i = 0; i < fragment.length; i += CHUNK) out.push(fragment.subarray(i, i + CHUNK));
  return out.length ? out : [new Uint8Array()];
}

/// One level up: pairs hashed, an odd last node carried up unchanged.
function parents(level) {
  const next = [];
  for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i]);
  return next;
}

function root(leaves) {
  let level = leaves;
  while (level.length > 1) level = parents(level);
  return level[0];
}

function prove(leaves, index) {
  const siblings = [];
  let level = leaves;
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < level.length) siblings.push(hex(level[sibling]));
    level = parents(level);
    i = Math.floor(i / 2);
  }
  return { index, leafCount: leaves.length, siblings };
}

// ---- Principals and signed block headers, in the runtime's SCALE encoding. ----

const utf8 = (text) => new TextEncoder().encode(text);
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/// A `&[u8]` as SCALE encodes it (compact length, then the bytes), as the runtime encodes its
/// domain tags. The bytes go in as hex: a Uint8Array for `Bytes` would be read as already
/// length-prefixed.
const scaleBytes = (bytes) => api.createType('Bytes', hex(bytes)).toU8a();

/// The metadata's name for type `id` (what `api.createType` takes).
const lookupType = (id) => api.registry.createLookupType(id);

/// The type id of field `name` of the struct with type id `id`.
function fieldTypeId(id, name) {
  const { def } = api.registry.lookup.getSiType(id);
  check(def.isComposite, `type ${lookupType(id)} is not a struct`);
  const field = def.asComposite.fields.find((f) => f.name.isSome && f.name.unwrap().toString() === name);
  check(field !== undefined, `type ${lookupType(id)} has no field ${name}`);
  return field.type;
}

/// The runtime's types: `Principal` and `Signature` (the arguments of `principals.register`),
/// `SignedBlockHeader` (the first argument of `fragments.recordBlock`; a `Box` is transparent in
/// the metadata) and its `BlockHeader`.
function runtimeTypes() {
  const [keys, proof] = api.tx.principals.register.meta.fields.map((f) => f.type);
  const signedHeader = api.tx.fragments.recordBlock.meta.fields[0].type;
  return {
    principal: lookupType(keys),
    signature: lookupType(proof),
    signedHeader: lookupType(signedHeader),
    header: lookupType(fieldTypeId(signedHeader, 'header')),
  };
}

/// A principal with `pair`'s sr25519 signing key and `encryption` as its X25519 key, and its
/// id: blake2-256 of SCALE (b"blocktree:principal:v1" as bytes, principal), as
/// `Principal::id` computes it.
function principalOf(types, pair, encryption) {
  const keys = api.createType(types.principal, { signing: { Sr25519: hex(pair.publicKey) }, encryption: hex(encryption) });
  const id = blake2AsU8a(concat(scaleBytes(utf8('blocktree:principal:v1')), keys.toU8a()), 256);
  return { keys, id: hex(id), idHex: Buffer.from(id).toString('hex') };
}

/// The principal's proof that `account` (its 32-byte id) may register `keys`: `pair`'s
/// signature over SCALE (b"blocktree:register-principal:v1" as bytes, account, keys), as
/// `pallet_principals::possession_message` builds it.
function possessionProof(types, pair, account, keys) {
  const message = concat(scaleBytes(utf8('blocktree:register-principal:v1')), account, keys.toU8a());
  return api.createType(types.signature, { Sr25519: hex(pair.sign(message)) });
}

/// A block path as the runtime's `BlockPath`: its components (the first the root principal's
/// id, 64 lower-case hex digits), each as bytes.
const blockPath = (text) => ({ components: text.split('/').slice(1).map((c) => hex(utf8(c))) });

/// `fields` (a `BlockHeader`) signed by `pair` for the chain `genesis`: the signature is over
/// SCALE (b"blocktree:block-header:v1" as bytes, genesis hash, header), as
/// `BlockHeader::signing_payload` builds it. Returns the `SignedBlockHeader` and the block's id,
/// blake2-256 of the encoded signed header (`SignedBlockHeader::id`).
function signHeader(types, pair, genesis, fields) {
  const header = api.createType(types.header, fields).toU8a();
  const payload = concat(scaleBytes(utf8('blocktree:block-header:v1')), genesis, header);
  const signature = api.createType(types.signature, { Sr25519: hex(pair.sign(payload)) }).toU8a();
  // A struct encodes as its fields in order: the header, then the signature.
  const encoded = concat(header, signature);
  const signed = api.createType(types.signedHeader, encoded);
  check(same(signed.toU8a(), encoded), `the signed header does not decode as the runtime's type: ${signed}`);
  return { signed, id: hex(blake2AsU8a(encoded, 256)), payload };
}

try {
  const types = runtimeTypes();
  const genesis = api.genesisHash.toU8a();

  // Alice's principal: an sr25519 signing key of its own (not her account's), registered from
  // her account with its proof of possession (1 BKT deposit). Meanwhile the providers' offers:
  // 1 MiB at 1 per byte per period, 1 per byte collateral, at least 1 period and 4 KiB.
  // Different signers send in parallel; Alice's transactions go one after another (nonces).
  const principalKey = keyring.createFromUri('//AlicePrincipal', {}, 'sr25519');
  const writer = principalOf(types, principalKey, blake2AsU8a(utf8('alice encryption key'), 256));
  const possession = possessionProof(types, principalKey, alice.publicKey, writer.keys);
  const [registered, ...offered] = await Promise.all([
    send(api, api.tx.principals.register(writer.keys, possession), alice),
    ...providers.map((p) => send(api, api.tx.storageContracts.createOffer(1_048_576, 1, 1, 1, 4096), p)),
  ]);
  const principalEvent = eventsOf(registered.events, 'principals', 'PrincipalRegistered')[0];
  check(principalEvent !== undefined, 'no PrincipalRegistered event');
  check(principalEvent.data.principal.toHex() === writer.id, `principal id ${principalEvent.data.principal.toHex()}, computed ${writer.id}`);

  // Contracts.
  const offers = offered.map((o) => eventsOf(o.events, 'storageContracts', 'OfferCreated')[0].data.offer.toNumber());
  const contracts = [];
  for (const offer of offers) {
    // 64 KiB for 2 periods, at most 1 per byte, at least the offer's 1 per byte collateral.
    const opened = await send(api, api.tx.storageContracts.openContract(offer, 65_536, 2, 1, 1), alice);
    contracts.push(eventsOf(opened.events, 'storageContracts', 'ContractOpened')[0].data.contract.toNumber());
  }

  // The redundancy rule for 8 KiB with tolerance 1 and three providers.
  const params = await api.call.fragmentsApi.erasureParams(alice.address, 8192, 1);
  check(params.isOk, `erasure params: ${params}`);
  const [k, n, size] = params.asOk.map((x) => x.toNumber());
  check(k === 2 && n === 3 && size === 4096, `k, n, fragment size = ${k}, ${n}, ${size}`);

  // Fragments (stand-ins for erasure-coded ciphertext) and their roots.
  const fragments = [...Array(n).keys()].map((i) => Uint8Array.from({ length: size }, (_, j) => (j * 31 + i * 7) & 0xff));
  const leaves = fragments.map((f) => chunksOf(f).map(leafHash));
  const roots = leaves.map((l) => hex(root(l)));

  // The block's header at /<Alice's principal>/notes.txt, in her own tree (no write caps), no
  // readers; two sectors of 4080 plaintext bytes (8 KiB of ciphertext with their tags), and a
  // stand-in for the merkle root over the ciphertext sectors. Signed by her principal for this
  // chain; the block's id is the hash of the signed header.
  const path = `/${writer.idHex}/notes.txt`;
  const { signed, id: block } = signHeader(types, principalKey, genesis, {
    path: blockPath(path),
    version: 1,
    writer: writer.id,
    writeCaps: [],
    readCaps: [],
    sectorSize: 4080,
    plaintextLen: 8160,
    noncePrefix: hex(new Uint8Array(16).fill(7)),
    merkleRoot: hex(blake2AsU8a(concat(...fragments), 256)),
  });
  const mayWrite = await api.call.principalsApi.mayWrite(writer.id, blockPath(path), []);
  check(mayWrite.isOk, `Alice's principal may not write ${path}: ${mayWrite}`);
  const recorded = await send(api, api.tx.fragments.recordBlock(signed, 8192, 1, roots), alice);
  const blockEvent = eventsOf(recorded.events, 'fragments', 'BlockRecorded')[0];
  check(blockEvent !== undefined, 'no BlockRecorded event');
  check(blockEvent.data.block.toHex() === block, `recorded block ${blockEvent.data.block.toHex()}, computed id ${block}`);
  check(blockEvent.data.writer.toHex() === writer.id, `recorded writer ${blockEvent.data.writer.toHex()}`);

  // Bob copies Alice's signed header from her transaction: he does not control her principal.
  const copied = await refusal(api.tx.fragments.recordBlock(signed, 8192, 1, roots), bob);
  check(copied === 'principals.NotWritersController', `Bob's copy of Alice's signed header gave ${copied}`);

  await Promise.all(providers.map((p, i) => send(api, api.tx.fragments.placeFragment(block, i, contracts[i]), p)));
  const record = await api.call.fragmentsApi.block(block);
  check(record.isSome && record.unwrap().fragments.every((f) => f.holder.isSome), `placements: ${record}`);
  check((await api.call.fragmentsApi.belowTarget(10)).length === 0, 'the block is still below target');

  // Wait for a challenge round, answer every challenge on our block (one forged first).
  const answered = await new Promise((resolve, reject) => {
    let done = false;
    api.query.system.events(async (records) => {
      if (done) return;
      const issued = records
        .filter(({ event }) => api.events.fragments.ChallengeIssued.is(event))
        .map(({ event }) => event.data)
        .filter((d) => d.block.toHex() === block);
      if (issued.length === 0) return;
      done = true;
      try {
        const answers = issued.map((d) => {
          const index = d.index.toNumber();
          const chunkIndex = d.chunk.toNumber();
          return {
            index,
            holder: providers.find((p) => p.address === d.provider.toString()),
            chunk: chunksOf(fragments[index])[chunkIndex],
            proof: prove(leaves[index], chunkIndex),
          };
        });
        // A forged chunk for the first challenge is refused and leaves it open.
        const first = answers[0];
        const forged = Uint8Array.from(first.chunk);
        forged[0] ^= 1;
        const result = await refusal(api.tx.fragments.submitProof(block, first.index, hex(forged), first.proof), first.holder);
        if (result !== 'fragments.InvalidProof') throw new Error(`a forged proof gave ${result}`);
        // Each holder answers its own challenge (distinct providers: in parallel).
        const oks = await Promise.all(
          answers.map((a) => send(api, api.tx.fragments.submitProof(block, a.index, hex(a.chunk), a.proof), a.holder)),
        );
        if (oks.some((ok) => eventsOf(ok.events, 'fragments', 'ProofAccepted').length !== 1)) {
          throw new Error('an answer had no ProofAccepted event');
        }
        resolve(answers.length);
      } catch (e) {
        reject(e);
      }
    });
  });
  check((await api.call.fragmentsApi.belowTarget(10)).length === 0, 'an answered challenge left the block below target');
  console.log(JSON.stringify({ ok: true, block, k, n, fragmentSize: size, answered }));
} catch (e) {
  fail(e.message);
}
await api.disconnect();
process.exit(0);
