// What the @polkadot/api test scripts share: connecting, failing with a reason, and sending a
// transaction until it is in a block (or finalized), turning a dispatch error into its pallet
// error name.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

export function fail(message) {
  console.error(`test failed: ${message}`);
  process.exit(1);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

/// Connects to `url`, with a watchdog that fails the script after `timeoutMs`.
export async function connect(url, timeoutMs) {
  setTimeout(() => fail(`not done within ${timeoutMs} ms`), timeoutMs).unref();
  await cryptoWaitReady();
  const api = await ApiPromise.create({ provider: new WsProvider(url, 1000), throwOnConnect: true, noInitWarn: true });
  const ss58 = (await api.rpc.system.properties()).ss58Format.unwrap().toNumber();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: ss58 });
  return { api, keyring };
}

/// The `Pallet.Error` name of a dispatch error.
export function errorName(api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}`;
  }
  return dispatchError.toString();
}

/// The events of `section.method` among a transaction's `events`, as `event` objects.
export function eventsOf(events, section, method) {
  return events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);
}

/// Signs and sends `tx`; resolves `{ blockHash, events }` once in a block (or finalized with
/// `{ finalized: true }`), rejects with the pallet error name if it failed.
export function send(api, tx, signer, { finalized = false } = {}) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        reject(new Error(errorName(api, dispatchError)));
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        reject(new Error(`transaction ${status.type}`));
      } else if (finalized ? status.isFinalized : status.isInBlock) {
        resolve({ blockHash: finalized ? status.asFinalized : status.asInBlock, events });
      }
    }).catch(reject);
  });
}
