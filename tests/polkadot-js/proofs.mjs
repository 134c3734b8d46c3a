// Proof of storage end to end through @polkadot/api on a running dev node: Bob, Charlie and
// Dave sell Alice storage; she asks the runtime for the erasure parameters, records a block
// with the roots of its fragments, the providers place them, and when the runtime challenges a
// fragment its holder answers with the chunk and its merkle proof, built here in JavaScript
// (blake2-256 with the leaf/node domain bytes of blocktree_primitives::merkle). A forged
// answer is refused with `fragments.InvalidProof`.
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

try {
  // Offers and contracts.
  // Different signers send in parallel; Alice's transactions go one after another (nonces).
  const offered = await Promise.all(providers.map((p) => send(api, api.tx.storageContracts.createOffer(1_048_576, 1, 1, 1), p)));
  const offers = offered.map((o) => eventsOf(o.events, 'storageContracts', 'OfferCreated')[0].data.offer.toNumber());
  const contracts = [];
  for (const offer of offers) {
    const opened = await send(api, api.tx.storageContracts.openContract(offer, 65_536, 2, 1), alice);
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
  const block = hex(blake2AsU8a(concat(...fragments), 256));
  await send(api, api.tx.fragments.recordBlock(block, hex(blake2AsU8a(new TextEncoder().encode('/alice/notes.txt'), 256)), 8192, 1, roots), alice);
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
        const result = await send(api, api.tx.fragments.submitProof(block, first.index, hex(forged), first.proof), first.holder)
          .then(() => 'accepted', (e) => e.message);
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
