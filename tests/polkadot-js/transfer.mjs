// A third-party client against a running blocktree-node: @polkadot/api reads the chain's
// properties, sends a balances.transferKeepAlive from //Alice to //Bob, waits for finality and
// checks both balances against the fee the runtime reports.
//
//   node transfer.mjs ws://127.0.0.1:9944
//
// Prints one JSON line `{"ok":true,...}` and exits 0 on success; prints the reason and exits 1
// on any mismatch or timeout.
import { check, connect, fail, send } from './lib.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const AMOUNT = 1_234_567_890_000n; // 1.23456789 BKT at 12 decimals
const { api, keyring } = await connect(url, Number(process.env.TRANSFER_TIMEOUT_MS ?? 120_000));

// Chain properties: wallets format balances and addresses from these.
const properties = await api.rpc.system.properties();
const symbol = properties.tokenSymbol.unwrap().toArray().map(String);
const decimals = properties.tokenDecimals.unwrap().toArray().map((d) => d.toNumber());
const ss58 = properties.ss58Format.unwrap().toNumber();
check(symbol[0] === 'BKT', `tokenSymbol is ${symbol}, expected BKT`);
check(decimals[0] === 12, `tokenDecimals is ${decimals}, expected 12`);
check(ss58 === 42, `ss58Format is ${ss58}, expected 42`);
const chain = (await api.rpc.system.chain()).toString();
const runtime = api.runtimeVersion.specName.toString();
check(runtime === 'blocktree', `runtime spec name is ${runtime}, expected blocktree`);

const alice = keyring.addFromUri('//Alice');
const bob = keyring.addFromUri('//Bob');

const free = async (at, who) => (await (await api.at(at)).query.system.account(who)).data.free.toBigInt();
const startHash = await api.rpc.chain.getFinalizedHead();
const aliceBefore = await free(startHash, alice.address);
const bobBefore = await free(startHash, bob.address);

const { blockHash, fee } = await send(api, api.tx.balances.transferKeepAlive(bob.address, AMOUNT), alice, { finalized: true })
  .then(({ blockHash, events }) => {
    const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
    if (!paid) fail('no TransactionFeePaid event in the finalized block');
    return { blockHash, fee: paid.event.data.actualFee.toBigInt() };
  })
  .catch((e) => fail(e.message));

const aliceAfter = await free(blockHash, alice.address);
const bobAfter = await free(blockHash, bob.address);
check(fee > 0n, `fee is ${fee}, expected a positive fee`);
check(bobAfter - bobBefore === AMOUNT, `Bob gained ${bobAfter - bobBefore}, expected ${AMOUNT}`);
check(
  aliceBefore - aliceAfter === AMOUNT + fee,
  `Alice lost ${aliceBefore - aliceAfter}, expected ${AMOUNT} + fee ${fee}`,
);

console.log(JSON.stringify({
  ok: true,
  chain,
  symbol: symbol[0],
  decimals: decimals[0],
  block: blockHash.toHex(),
  amount: AMOUNT.toString(),
  fee: fee.toString(),
}));
await api.disconnect();
process.exit(0);
