import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { startLocalSwarm } from '@pubky-ts/dht';
import { Pkarr, SignedPacket, withHomeserver } from '@pubky-ts/pkarr';
import { HTTP_PORT_PARAM, pkarrPublisher, type PkarrPublisherHandle } from '../src/pkarr/index.ts';
import { startTestServer } from './helpers.ts';

test('the homeserver publishes its packet, republishes users pointing to it, and keeps custody', async (t) => {
  const swarm = await startLocalSwarm(8, { requestTimeoutMs: 1000 });
  t.after(() => swarm.close());
  let handle: PkarrPublisherHandle | undefined;
  const hs = await startTestServer(
    { pkdns: { dht_bootstrap_nodes: swarm.bootstrap, dht_relay_nodes: [], dht_request_timeout_ms: 1000 } },
    {
      publisher: async (info) => {
        handle = await pkarrPublisher({ relays: [], userRepublishIntervalMs: 3600_000, userRepublishInitialDelayMs: 3600_000 })(info);
        return handle;
      },
    },
  );
  t.after(() => hs.stop());
  assert.ok(handle);

  const reader = new Pkarr({ dht: swarm.nodes[3], relays: [] });
  t.after(() => reader.close());
  const own = await reader.resolve(hs.publicKey, { policy: 'NetworkOnly' });
  assert.ok(own, 'the homeserver packet is on the DHT');
  const https = own.resourceRecords('.').filter((r) => r.type === 'HTTPS');
  const icann = https.find((r) => r.type === 'HTTPS' && r.priority === 10);
  assert.ok(icann && icann.type === 'HTTPS');
  assert.equal(icann.target, 'localhost');
  const portParam = icann.params.other?.find((p) => p.key === HTTP_PORT_PARAM);
  assert.equal(new DataView(portParam!.value.buffer, portParam!.value.byteOffset).getUint16(0), Number(new URL(hs.url).port));
  assert.ok(https.some((r) => r.type === 'HTTPS' && r.priority === 1 && r.target === '.'));

  // A user who points here is republished; one who points elsewhere is skipped; custody holds the packet.
  const writer = new Pkarr({ dht: swarm.nodes[5], relays: [] });
  t.after(() => writer.close());
  const alice = Keypair.random();
  const bob = Keypair.random();
  await hs.store.users.create(alice.publicKey.z32);
  await hs.store.users.create(bob.publicKey.z32);
  await writer.publish(withHomeserver(alice, hs.publicKey, null));
  await writer.publish(withHomeserver(bob, Keypair.random().publicKey, null));
  const summary = await handle.users!.runOnce();
  assert.deepEqual(summary, { published: 1, skipped: 1, missing: 0, failed: 0 });
  const custody = await hs.store.packets.get(alice.publicKey.z32);
  assert.ok(custody && custody.lastStoredAt! > 0 && custody.visibleDht === true);
  // The admin API reports it.
  const report = await (await hs.admin(`/users/${alice.publicKey.z32}/pkarr`)).json();
  assert.equal(report.held, true);
  assert.equal(report.visible_on_network, true);
  assert.equal(report.last_stored_on_nodes, custody.lastStoredAt);
  assert.equal(report.packet_timestamp, new Date(custody.timestamp / 1000).toISOString());
  assert.equal((await hs.admin(`/users/${Keypair.random().publicKey.z32}/pkarr`)).status, 404);

  // A packet the network has never seen, held only in custody, is published from the copy.
  const carol = Keypair.random();
  await hs.store.users.create(carol.publicKey.z32);
  const carolPacket = withHomeserver(carol, hs.publicKey, null);
  await hs.store.packets.save(carol.publicKey.z32, carolPacket.bytes, carolPacket.timestamp);
  const outcome = await handle.users!.republishUser(carol.publicKey.z32);
  assert.equal(outcome.kind, 'published');
  assert.equal(outcome.kind === 'published' && outcome.fromCustody, true);
  const fresh = new Pkarr({ dht: swarm.nodes[6], relays: [] });
  t.after(() => fresh.close());
  const seen = await fresh.resolve(carol.publicKey, { policy: 'NetworkOnly' });
  assert.ok(seen && SignedPacket.fromBytes(seen.bytes).isSameAs(carolPacket));
  assert.equal((await hs.store.packets.get(carol.publicKey.z32))?.visibleDht, false, 'it was not visible before the republish');
});
