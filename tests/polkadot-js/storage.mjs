// The storage market through @polkadot/api, as an explorer or wallet sees it: the Blocktree
// pallets and runtime APIs come from the metadata alone. Bob registers his node's endpoint and
// lists an offer; Alice gets a quote, opens a contract and ends it early; bad input is refused
// with the pallet's error name; the redundancy rule answers through the runtime API.
//
//   node storage.mjs ws://127.0.0.1:9944
//
// Prints one JSON line `{"ok":true,...}` and exits 0, or the reason and exits 1.
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

try {
  // Bob's endpoint: an ed25519 peer id (identity multihash) on loopback, which dev allows.
  // Bytes go in as hex: polkadot.js reads a Uint8Array for a `Vec<u8>` as already
  // length-prefixed.
  const peerId = '0x002408011220' + '07'.repeat(32);
  await send(api, api.tx.endpoints.register(peerId, [{ Ip4: { ip: [127, 0, 0, 1], port: 30333 } }]), bob);
  const endpoint = await api.call.endpointsApi.endpointOfAccount(bob.address);
  check(endpoint.isSome, 'Bob has no endpoint after registering');
  check(endpoint.unwrap().addresses.length === 1, `Bob's endpoint: ${endpoint.toString()}`);

  // Malformed peer id: refused with the pallet's reason.
  const refused = await send(api, api.tx.endpoints.register('0x010203', [{ Ip4: { ip: [127, 0, 0, 1], port: 1 } }]), alice)
    .then(() => 'accepted', (e) => e.message);
  check(refused === 'endpoints.MalformedPeerId', `a malformed peer id gave ${refused}`);

  // Bob's offer: 1 MiB at 1000 per byte per hour, 2000 per byte collateral, at least 1 hour.
  const offered = await send(api, api.tx.storageContracts.createOffer(1_048_576, 1000, 2000, 1), bob);
  const offer = eventsOf(offered.events, 'storageContracts', 'OfferCreated')[0].data.offer.toNumber();
  const quote = await api.call.storageContractsApi.quote(offer, 1024, 2);
  check(quote.isSome, 'no quote');
  const [perPeriod, escrow, collateral] = quote.unwrap().map((x) => x.toBigInt());
  check(perPeriod === 1_024_000n && escrow === 2_048_000n && collateral === 2_048_000n, `quote ${quote}`);

  // Alice opens a contract; the escrow is held from her.
  const opened = await send(api, api.tx.storageContracts.openContract(offer, 1024, 2, 1000), alice);
  const event = eventsOf(opened.events, 'storageContracts', 'ContractOpened')[0];
  const contract = event.data.contract.toNumber();
  check(event.data.escrow.toBigInt() === escrow, `escrow ${event.data.escrow} != quote ${escrow}`);
  const stored = await api.query.storageContracts.contracts(contract);
  check(stored.isSome && stored.unwrap().client.toString() === alice.address, `stored contract ${stored}`);
  const mine = await api.call.storageContractsApi.contractsOf(alice.address);
  check(mine.length === 1, `Alice's contracts: ${mine}`);

  // A price above her limit is refused by name.
  const tooDear = await send(api, api.tx.storageContracts.openContract(offer, 1024, 2, 999), alice)
    .then(() => 'accepted', (e) => e.message);
  check(tooDear === 'storageContracts.PriceAboveLimit', `a price above the limit gave ${tooDear}`);

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
