// The storage market through @polkadot/api, as an explorer or wallet sees it: the Blocktree
// pallets and runtime APIs come from the metadata alone. Bob registers his node's endpoint (with
// his node key's proof of the peer id) and lists an offer; Alice gets a quote, opens a contract
// and ends it early; bad input (a malformed peer id, a proof by the wrong key, Bob's copied
// proof) is refused with the pallet's error name; the redundancy rule answers through the
// runtime API.
//
//   node storage.mjs ws://127.0.0.1:9944
//
// Prints one JSON line `{"ok":true,...}` and exits 0, or the reason and exits 1.
import { ed25519PairFromSeed, ed25519Sign } from '@polkadot/util-crypto';
import { check, connect, eventsOf, fail, send } from './lib.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const { api, keyring } = await connect(url, Number(process.env.STORAGE_TIMEOUT_MS ?? 180_000));
const alice = keyring.addFromUri('//Alice');
const bob = keyring.addFromUri('//Bob');

for (const pallet of ['principals', 'endpoints', 'storageContracts', 'fragments']) {
  check(api.tx[pallet] !== undefined, `no ${pallet} pallet in the metadata`);
}
for (const runtimeApi of ['principalsApi', 'endpointsApi', 'storageContractsApi', 'fragmentsApi']) {
  check(api.call[runtimeApi] !== undefined, `no ${runtimeApi} runtime API in the metadata`);
}

const hex = (bytes) => '0x' + Buffer.from(bytes).toString('hex');

/// A node's network key: an ed25519 pair from a 32-byte seed.
function nodeKey(seedByte) {
  return ed25519PairFromSeed(new Uint8Array(32).fill(seedByte));
}

/// The node's libp2p peer id, as Substrate nodes write it: identity multihash (0x00, length 36)
/// of the protobuf-encoded ed25519 key (0x08 0x01 0x12 0x20 and the 32-byte public key).
function peerIdOf(key) {
  return '0x002408011220' + Buffer.from(key.publicKey).toString('hex');
}

/// The node key's proof that `account` may announce its peer id on this chain: a signature
/// over the SCALE encoding of (domain as a byte vector, the genesis hash, the account id), as
/// `pallet_endpoints::peer_proof_message` builds it. The domain goes in as hex: a Uint8Array
/// for `Bytes` would be read as already length-prefixed.
function peerProof(key, account) {
  const domain = hex(new TextEncoder().encode('blocktree:endpoint-peer:v1'));
  const message = api.createType('(Bytes, H256, AccountId32)', [domain, api.genesisHash, account]).toU8a();
  return hex(ed25519Sign(message, key));
}

const loopback = (port) => [{ Ip4: { ip: [127, 0, 0, 1], port } }];
const refusal = (tx, signer) => send(api, tx, signer).then(() => 'accepted', (e) => e.message);

try {
  // Bob's endpoint: his node's ed25519 peer id with its proof, on loopback, which dev allows.
  // Bytes go in as hex: polkadot.js reads a Uint8Array for a `Vec<u8>` as already
  // length-prefixed.
  const bobNode = nodeKey(7);
  const peerId = peerIdOf(bobNode);
  const bobProof = peerProof(bobNode, bob.address);
  await send(api, api.tx.endpoints.register(peerId, bobProof, loopback(30333)), bob);
  const endpoint = await api.call.endpointsApi.endpointOfAccount(bob.address);
  check(endpoint.isSome, 'Bob has no endpoint after registering');
  check(endpoint.unwrap().addresses.length === 1, `Bob's endpoint: ${endpoint.toString()}`);
  check(endpoint.unwrap().peerId.toHex() === peerId, `Bob's peer id: ${endpoint.unwrap().peerId.toHex()}`);

  // Malformed peer id: refused with the pallet's reason.
  const refused = await refusal(api.tx.endpoints.register('0x010203', hex(new Uint8Array(64)), loopback(1)), alice);
  check(refused === 'endpoints.MalformedPeerId', `a malformed peer id gave ${refused}`);

  // Alice's peer id with a proof by another key: refused.
  const aliceNode = nodeKey(8);
  const wrongKey = await refusal(
    api.tx.endpoints.register(peerIdOf(aliceNode), peerProof(nodeKey(9), alice.address), loopback(2)),
    alice,
  );
  check(wrongKey === 'endpoints.InvalidPeerProof', `a proof by the wrong key gave ${wrongKey}`);

  // Alice copies Bob's peer id and proof from his transaction: the proof names Bob, refused.
  const copied = await refusal(api.tx.endpoints.register(peerId, bobProof, loopback(3)), alice);
  check(copied === 'endpoints.InvalidPeerProof', `Bob's copied peer id and proof gave ${copied}`);

  // Bob's offer: 1 MiB at 1000 per byte per hour, 2000 per byte collateral, at least 1 hour,
  // contracts of at least 512 bytes.
  const offered = await send(api, api.tx.storageContracts.createOffer(1_048_576, 1000, 2000, 1, 512), bob);
  const offer = eventsOf(offered.events, 'storageContracts', 'OfferCreated')[0].data.offer.toNumber();
  const quote = await api.call.storageContractsApi.quote(offer, 1024, 2);
  check(quote.isSome, 'no quote');
  const [perPeriod, escrow, collateral] = quote.unwrap().map((x) => x.toBigInt());
  check(perPeriod === 1_024_000n && escrow === 2_048_000n && collateral === 2_048_000n, `quote ${quote}`);

  // Alice opens a contract; the escrow is held from her.
  const opened = await send(api, api.tx.storageContracts.openContract(offer, 1024, 2, 1000, 2000), alice);
  const event = eventsOf(opened.events, 'storageContracts', 'ContractOpened')[0];
  const contract = event.data.contract.toNumber();
  check(event.data.escrow.toBigInt() === escrow, `escrow ${event.data.escrow} != quote ${escrow}`);
  const stored = await api.query.storageContracts.contracts(contract);
  check(stored.isSome && stored.unwrap().client.toString() === alice.address, `stored contract ${stored}`);
  const mine = await api.call.storageContractsApi.contractsOf(alice.address);
  check(mine.length === 1, `Alice's contracts: ${mine}`);

  // A price above her limit is refused by name.
  const tooDear = await send(api, api.tx.storageContracts.openContract(offer, 1024, 2, 999, 2000), alice)
    .then(() => 'accepted', (e) => e.message);
  check(tooDear === 'storageContracts.PriceAboveLimit', `a price above the limit gave ${tooDear}`);
  // So is a collateral below what she expects, and a contract below the offer's minimum size.
  const thin = await send(api, api.tx.storageContracts.openContract(offer, 1024, 2, 1000, 2001), alice)
    .then(() => 'accepted', (e) => e.message);
  check(thin === 'storageContracts.CollateralBelowLimit', `a collateral below the limit gave ${thin}`);
  const tiny = await send(api, api.tx.storageContracts.openContract(offer, 100, 2, 1000, 2000), alice)
    .then(() => 'accepted', (e) => e.message);
  check(tiny === 'storageContracts.BelowMinimumSize', `a contract below the minimum size gave ${tiny}`);

  // The redundancy rule: one provider is not enough for any tolerance.
  const params = await api.call.fragmentsApi.erasureParams(alice.address, 1_048_576, 1);
  check(params.isErr, `erasure params with one provider: ${params}`);

  // Alice ends it early: Bob gets the running hour as notice, Alice the rest back.
  const ended = await send(api, api.tx.storageContracts.endContract(contract), alice);
  const end = eventsOf(ended.events, 'storageContracts', 'ContractEnded')[0];
  check(end.data.how.toString() === 'EndedByClient', `ended: ${end.data.how}`);
  check(end.data.paid.toBigInt() + end.data.refunded.toBigInt() === escrow, `paid + refunded != escrow: ${end}`);
  check((await api.query.storageContracts.contracts(contract)).isNone, 'the contract is still stored');

  console.log(JSON.stringify({ ok: true, offer, contract, escrow: escrow.toString(), paid: end.data.paid.toString() }));
} catch (e) {
  fail(e.message);
}
await api.disconnect();
process.exit(0);
