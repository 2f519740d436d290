// `npm start` once printed a MaxListenersExceededWarning: every resolve in flight hung a listener
// on one signal shared by the whole Pkarr client, so the eleventh concurrent resolve tripped
// Node's leak detector. Many resolves at once are normal for a homeserver or a relay.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { DhtNode } from '@pubky-ts/dht';
import { Pkarr } from '@pubky-ts/pkarr';
import { startTestnet, type Testnet } from '../src/index.ts';

let net: Testnet;
before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
});
after(async () => {
  await net.close();
});

test('40 concurrent resolves through relay and DHT raise no listener-leak warning', async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  const dht = await DhtNode.start({ port: 0, host: '127.0.0.1', bootstrap: net.bootstrap, requestTimeoutMs: 1000 });
  const pkarr = new Pkarr({ relays: [net.pkarrRelay.url], dht, requestTimeoutMs: 1000 });
  try {
    const keys = [...Array.from({ length: 20 }, () => Keypair.random().publicKey), ...Array(20).fill(net.homeserver.publicKey)];
    // Unknown keys find nothing (null, or an error when a loaded machine's DHT times out); the
    // homeserver's packet comes from the relay every time.
    const results = await Promise.allSettled(keys.map((k) => pkarr.resolve(k)));
    const found = results.filter((r) => r.status === 'fulfilled' && r.value !== null).length;
    assert.equal(found, 20, 'the homeserver resolves, random keys do not');
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.deepEqual(
      warnings.map((w) => `${w.name}: ${w.message}`),
      [],
    );
  } finally {
    process.off('warning', onWarning);
    await pkarr.close();
    await dht.close();
  }
});
