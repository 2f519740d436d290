// The relay in front of a real (local) Mainline DHT: a swarm of our nodes on 127.0.0.1, two relays
// each with its own DHT node, and pkarr's RelayClient talking to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { startLocalSwarm } from '@pubky-ts/dht';
import { PkarrError, RelayClient, SignedPacket } from '@pubky-ts/pkarr';
import { startPkarrRelay } from '../src/pkarr-relay.ts';
import { makePacket } from './helpers.ts';

test('PUT through one relay, GET from a second relay with an empty cache (goes to the DHT)', async () => {
  const swarm = await startLocalSwarm(8, { requestTimeoutMs: 1000 });
  const dht = { bootstrap: swarm.bootstrap, requestTimeoutMs: 1000 };
  const a = await startPkarrRelay({ dht });
  const b = await startPkarrRelay({ dht });
  try {
    const kp = Keypair.random();
    const first = SignedPacket.fromBytes(makePacket(kp).canonical);
    const clientA = new RelayClient(a.url);
    const clientB = new RelayClient(b.url);

    const stored = await clientA.publish(first);
    assert.ok(stored >= 5, `stored at ${stored} nodes`);

    assert.equal(b.cache.storedCount, 0);
    const got = await clientB.resolve(kp.publicKey);
    assert.ok(got.isSameAs(first));
    assert.equal(b.cache.storedCount, 1, 'the second relay cached what the DHT gave it');

    // Unknown key: the DHT is reachable but has nothing ⇒ 404 (not 503).
    const unknown = Keypair.random().publicKey;
    await assert.rejects(clientB.resolve(unknown), (e: unknown) => e instanceof PkarrError && e.code === 'not_found');

    // A newer packet through A: B's cached copy is still fresh, so CacheFirst keeps it and
    // NetworkOnly finds the newer one on the DHT.
    const second = SignedPacket.fromBytes(makePacket(kp).canonical);
    assert.ok((await clientA.publish(second)) >= 5);
    assert.ok((await clientB.resolve(kp.publicKey)).isSameAs(first));
    assert.ok((await clientB.resolve(kp.publicKey, { policy: 'NetworkOnly' })).isSameAs(second));
    assert.ok((await clientB.resolve(kp.publicKey, { policy: 'CacheOnly' })).isSameAs(second));

    // Republishing the same packet is accepted (equal seq overwrites on the DHT) …
    assert.ok((await clientB.publish(second)) >= 1);
    // … an older one is refused by the relay's cache (409) …
    await assert.rejects(clientB.publish(first), (e: unknown) => e instanceof PkarrError && e.code === 'not_most_recent');
    // … and by the DHT's majority when the relay itself has not seen the newer packet.
    const c = await startPkarrRelay({ dht });
    try {
      await assert.rejects(new RelayClient(c.url).publish(first), (e: unknown) => e instanceof PkarrError && e.code === 'not_most_recent');
      // Compare-and-swap through the relay: matches the DHT's current seq ⇒ stored.
      await new RelayClient(c.url).resolve(kp.publicKey);
      const third = SignedPacket.fromBytes(makePacket(kp).canonical);
      assert.ok((await new RelayClient(c.url).publish(third, { cas: second.timestamp })) >= 1);
      const fourth = SignedPacket.fromBytes(makePacket(kp).canonical);
      await assert.rejects(
        new RelayClient(c.url).publish(fourth, { cas: second.timestamp }),
        (e: unknown) => e instanceof PkarrError && e.code === 'cas_failed',
      );
    } finally {
      await c.close();
    }
  } finally {
    await a.close();
    await b.close();
    await swarm.close();
  }
});

test('a relay whose DHT reaches nobody answers 503 with the reference text', async () => {
  // Bootstrap toward a port where nothing listens.
  const r = await startPkarrRelay({ dht: { bootstrap: ['127.0.0.1:9'], requestTimeoutMs: 50 } });
  try {
    const res = await fetch(`${r.url}/${Keypair.random().publicKey.z32}`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /^No (DHT nodes were queried|queried DHT nodes responded)$/);
  } finally {
    await r.close();
  }
});
