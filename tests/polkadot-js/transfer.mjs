// A third-party client against a running blocktree-node: @polkadot/api reads the chain's
// properties, sends a balances.transferKeepAlive from //Alice to //Bob, waits for finality and
// checks both balances against the fee the runtime reports.
//
//   node transfer.mjs ws://127.0.0.1:9944
//
// Prints one JSON line `{"ok":true,...}` and exits 0 on success; prints the reason and exits 1
// on any mismatch or timeout.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const TIMEOUT_MS = Number(process.env.TRANSFER_TIMEOUT_MS ?? 120_000);
const AMOUNT = 1_234_567_890_000n; // 1.23456789 BKT at 12 decimals

function fail(message) {
  console.error(`transfer test failed: ${message}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) fail(message);
}

const timer = setTimeout(() => fail(`no finalized transfer within ${TIMEOUT_MS} ms`), TIMEOUT_MS);

await cryptoWaitReady();
const provider = new WsProvider(url, 1000);
const api = await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });

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

const keyring = new Keyring({ type: 'sr25519', ss58Format: ss58 });
const alice = keyring.addFromUri('//Alice');
const bob = keyring.addFromUri('//Bob');

const free = async (at, who) => (await (await api.at(at)).query.system.account(who)).data.free.toBigInt();
const startHash = await api.rpc.chain.getFinalizedHead();
const aliceBefore = await free(startHash, alice.address);
const bobBefore = await free(startHash, bob.address);

const { blockHash, fee } = await new Promise((resolve, reject) => {
  api.tx.balances
    .transferKeepAlive(bob.address, AMOUNT)
    .signAndSend(alice, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        reject(new Error(`dispatch error: ${dispatchError.toString()}`));
        return;
      }
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        reject(new Error(`transaction ${status.type}`));
        return;
      }
      if (status.isFinalized) {
        const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
        if (!paid) {
          reject(new Error('no TransactionFeePaid event in the finalized block'));
          return;
        }
        resolve({ blockHash: status.asFinalized, fee: paid.event.data.actualFee.toBigInt() });
      }
    })
    .catch(reject);
}).catch((e) => fail(e.message));

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
clearTimeout(timer);
await api.disconnect();
process.exit(0);
