// A swarm of 20 of our nodes on 127.0.0.1: join, put/get of every kind, error outcomes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Keypair } from '@pubky-ts/common';
import { DhtNode, type MutableItem } from '../src/node.ts';
import { startLocalSwarm, type LocalSwarm } from '../src/swarm.ts';
import { encodeSignable, immutableTarget } from '../src/bep44.ts';
import { DhtError } from '../src/errors.ts';
import { compareDistance } from '../src/node-id.ts';
import { bencode } from '../src/bencode.ts';
import { decodeMessage } from '../src/krpc.ts';
import { RawPeer } from './raw-peer.ts';

// Live nodes answer in microseconds on loopback, but a loaded machine can stall one for hundreds of ms:
// requests to live nodes get a generous timeout; the tests of dead or lying peers use the short one.
const LIVE_TIMEOUT = 1000;
const TIMEOUT = 150;
let swarm: LocalSwarm;
let client: DhtNode;

before(async () => {
  swarm = await startLocalSwarm(20, { seeded: false, requestTimeoutMs: LIVE_TIMEOUT });
  client = await DhtNode.start({
    host: '127.0.0.1',
    port: 0,
    bootstrap: swarm.bootstrap,
    serverMode: false,
    requestTimeoutMs: LIVE_TIMEOUT,
  });
});
after(async () => {
  await client.close();
  await swarm.close();
});

function item(kp: Keypair, seq: number, value: Uint8Array, salt?: Uint8Array) {
  return { key: kp.publicKey.bytes, seq, value, signature: kp.sign(encodeSignable(seq, value, salt)), salt };
}

async function collect(it: AsyncIterable<MutableItem>): Promise<MutableItem[]> {
  const out: MutableItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (err: unknown) => err instanceof DhtError && err.code === code);
}

test('nodes joined through node 0 know most of the swarm', () => {
  const sizes = swarm.nodes.map((n) => n.routingTableSize());
  assert.ok(
    sizes.every((s) => s >= 10),
    `routing table sizes ${sizes}`,
  );
  assert.ok(client.routingTableSize() >= 15);
});

test('mutable put from one node, streamed get from another and from a read-only client', async () => {
  const kp = Keypair.random();
  const value = new Uint8Array(randomBytes(200));
  const res = await swarm.nodes[5].putMutable(item(kp, 1_700_000_000_000_000, value));
  assert.ok(res.storedAt >= 15, `stored at ${res.storedAt} of ${res.sentTo}`);
  for (const getter of [swarm.nodes[12], client]) {
    const items = await collect(getter.getMutable(kp.publicKey.bytes));
    assert.ok(items.length >= 15, `got ${items.length}`);
    for (const x of items) {
      assert.deepEqual(x.value, value);
      assert.equal(x.seq, 1_700_000_000_000_000);
      assert.deepEqual(x.key, kp.publicKey.bytes);
    }
  }
  const latest = await client.getMutableLatest(kp.publicKey.bytes);
  assert.deepEqual(latest?.value, value);
});

test('republish with the same seq succeeds; lower seq is not_most_recent; wrong cas is cas_failed', async () => {
  const kp = Keypair.random();
  const v = new TextEncoder().encode('v1');
  await client.putMutable(item(kp, 10, v));
  const again = await client.putMutable(item(kp, 10, v));
  assert.ok(again.storedAt >= 15);
  await rejectsWith(client.putMutable(item(kp, 9, v)), 'not_most_recent');
  await rejectsWith(client.putMutable({ ...item(kp, 11, v), cas: 3 }), 'cas_failed');
  const ok = await client.putMutable({ ...item(kp, 11, new TextEncoder().encode('v2')), cas: 10 });
  assert.ok(ok.storedAt >= 15);
  const latest = await swarm.nodes[0].getMutableLatest(kp.publicKey.bytes);
  assert.equal(latest?.seq, 11);
});

test('get with seq only streams newer items', async () => {
  const kp = Keypair.random();
  await client.putMutable(item(kp, 50, new TextEncoder().encode('x')));
  assert.equal((await collect(swarm.nodes[3].getMutable(kp.publicKey.bytes, { seq: 50 }))).length, 0);
  assert.ok((await collect(swarm.nodes[3].getMutable(kp.publicKey.bytes, { seq: 49 }))).length >= 15);
});

test('salted items live under sha1(k ‖ salt)', async () => {
  const kp = Keypair.random();
  const salt = new TextEncoder().encode('profile');
  await client.putMutable(item(kp, 1, new TextEncoder().encode('salted'), salt));
  const withSalt = await swarm.nodes[7].getMutableLatest(kp.publicKey.bytes, { salt });
  assert.equal(new TextDecoder().decode(withSalt!.value), 'salted');
  assert.deepEqual(withSalt!.salt, salt);
  assert.equal(await swarm.nodes[7].getMutableLatest(kp.publicKey.bytes), null);
});

test('immutable put and get', async () => {
  const v = new Uint8Array(randomBytes(300));
  const res = await swarm.nodes[2].putImmutable(v);
  assert.deepEqual(res.target, immutableTarget(v));
  assert.ok(res.storedAt >= 15);
  assert.deepEqual(await client.getImmutable(res.target), v);
  assert.equal(await client.getImmutable(new Uint8Array(randomBytes(20))), null);
});

test('announce_peer and get_peers', async () => {
  const infoHash = new Uint8Array(randomBytes(20));
  const res = await swarm.nodes[1].announcePeer(infoHash, 5555);
  assert.ok(res.storedAt >= 15);
  await swarm.nodes[4].announcePeer(infoHash); // implied port
  const peers = await client.getPeers(infoHash);
  const ports = peers.map((p) => p.port).sort((a, b) => a - b);
  assert.deepEqual(
    ports,
    [5555, swarm.nodes[4].address().port].sort((a, b) => a - b),
  );
});

test('findNode returns the closest answering nodes, sorted', async () => {
  const target = new Uint8Array(randomBytes(20));
  const found = await client.findNode(target);
  assert.equal(found.length, 20);
  for (let i = 1; i < found.length; i++) assert.ok(compareDistance(target, found[i - 1].id, found[i].id) < 0);
  const all = swarm.nodes.map((n) => n.id).sort((a, b) => compareDistance(target, a, b));
  assert.deepEqual(found[0].id, all[0]);
});

test('breaking out of a stream stops the lookup', async () => {
  const kp = Keypair.random();
  await client.putMutable(item(kp, 1, new TextEncoder().encode('first')));
  const t0 = Date.now();
  for await (const x of swarm.nodes[9].getMutable(kp.publicKey.bytes)) {
    assert.equal(x.seq, 1);
    break;
  }
  assert.ok(Date.now() - t0 < 1000);
});

test('invalid arguments are refused before any traffic', async () => {
  const kp = Keypair.random();
  const good = item(kp, 1, new TextEncoder().encode('x'));
  await rejectsWith(client.putMutable({ ...good, signature: new Uint8Array(64) }), 'invalid_argument');
  await rejectsWith(client.putMutable({ ...good, key: new Uint8Array(31) }), 'invalid_argument');
  await rejectsWith(client.putMutable(item(kp, 1, new Uint8Array(1001))), 'invalid_argument');
  await rejectsWith(client.putImmutable(new Uint8Array(1001)), 'invalid_argument');
  await assert.rejects(async () => {
    for await (const _ of client.getMutable(new Uint8Array(5))) void _;
  }, DhtError);
});

test('a lone node has nobody to store at or ask: no_closest_nodes, no_nodes_queried, no_nodes_responded', async () => {
  const lone = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [], requestTimeoutMs: TIMEOUT });
  const silent = await RawPeer.open();
  try {
    await rejectsWith(lone.putMutable(item(Keypair.random(), 1, new Uint8Array([1]))), 'no_closest_nodes');
    await rejectsWith(collect(lone.getMutable(Keypair.random().publicKey.bytes)), 'no_nodes_queried');
    lone.addNode({ id: new Uint8Array(randomBytes(20)), host: '127.0.0.1', port: silent.port });
    await rejectsWith(lone.getMutableLatest(Keypair.random().publicKey.bytes), 'no_nodes_responded');
    // on a reachable network a missing item just ends the stream empty
    assert.deepEqual(await collect(client.getMutable(Keypair.random().publicKey.bytes)), []);
  } finally {
    await lone.close();
    await silent.close();
  }
});

test('storing nodes that hand out tokens but never ack: timeout; forged items are not streamed', async () => {
  const kp = Keypair.random();
  const other = Keypair.random();
  const fake = await RawPeer.open();
  const fakeId = new Uint8Array(randomBytes(20));
  const v = new TextEncoder().encode('forged');
  let flip = 0;
  fake.socket.on('message', (buf, rinfo) => {
    const m = decodeMessage(new Uint8Array(buf));
    if (m.y !== 'q' || m.query.method === 'put') return;
    const base = { id: fakeId, token: new Uint8Array([1, 2, 3, 4]) };
    const r =
      m.query.method === 'get'
        ? flip++ % 2 === 0
          ? { ...base, k: kp.publicKey.bytes, seq: 1, v, sig: new Uint8Array(64) }
          : { ...base, k: other.publicKey.bytes, seq: 1, v, sig: other.sign(encodeSignable(1, v)) }
        : base;
    fake.socket.send(bencode({ t: m.t, y: 'r', r }), rinfo.port, rinfo.address);
  });
  const lonely = await DhtNode.start({
    host: '127.0.0.1',
    port: 0,
    bootstrap: [`127.0.0.1:${fake.port}`],
    requestTimeoutMs: TIMEOUT,
  });
  try {
    const before = lonely.stats().invalidValues;
    // Its only answers are forged: nothing streamed, and the lookup reports no usable responses.
    await rejectsWith(collect(lonely.getMutable(kp.publicKey.bytes)), 'no_usable_responses');
    await rejectsWith(collect(lonely.getMutable(kp.publicKey.bytes)), 'no_usable_responses');
    assert.equal(lonely.stats().invalidValues - before, 2);
    await rejectsWith(lonely.putMutable(item(kp, 2, new Uint8Array([1]))), 'timeout');
  } finally {
    await lonely.close();
    await fake.close();
  }
});

test('close() ends running lookups and later calls fail with closed', async () => {
  const n = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: swarm.bootstrap, requestTimeoutMs: 1000 });
  const pending = collect(n.getMutable(Keypair.random().publicKey.bytes));
  await n.close();
  assert.deepEqual(await pending, []);
  await rejectsWith(n.findNode(new Uint8Array(20)), 'closed');
});

test('a seeded swarm (every table pre-filled, like mainline Testnet) lists every node as bootstrap', async () => {
  const seeded = await startLocalSwarm(6, { requestTimeoutMs: LIVE_TIMEOUT });
  try {
    assert.equal(seeded.bootstrap.length, 6);
    assert.ok(seeded.nodes.every((n) => n.routingTableSize() === 5));
    const kp = Keypair.random();
    const res = await seeded.nodes[0].putMutable(item(kp, 3, new TextEncoder().encode('seeded')));
    assert.equal(res.storedAt, 5);
    const joiner = await DhtNode.start({
      host: '127.0.0.1',
      port: 0,
      bootstrap: seeded.bootstrap,
      serverMode: false,
      requestTimeoutMs: TIMEOUT,
    });
    try {
      assert.equal((await joiner.getMutableLatest(kp.publicKey.bytes))?.seq, 3);
      assert.equal(joiner.stats().timeouts, 0);
    } finally {
      await joiner.close();
    }
  } finally {
    await seeded.close();
  }
});

test('an item forged with a known signature but another value is refused within one lookup', async () => {
  const kp = Keypair.random();
  const good = item(kp, 1, new TextEncoder().encode('genuine'));
  // Two storing nodes: one answers the genuine item at once, the other 30 ms later the same
  // signature on another value (so it meets the already-verified signature).
  const fakes = await Promise.all([RawPeer.open(), RawPeer.open()]);
  fakes.forEach((fake, i) => {
    const fakeId = new Uint8Array(randomBytes(20));
    const v = i === 0 ? good.value : new TextEncoder().encode('tampered');
    fake.socket.on('message', (buf, rinfo) => {
      const m = decodeMessage(new Uint8Array(buf));
      if (m.y !== 'q') return;
      const base = { id: fakeId, token: new Uint8Array([1, 2, 3, 4]) };
      const r = m.query.method === 'get' ? { ...base, k: good.key, seq: 1, v, sig: good.signature } : base;
      setTimeout(() => fake.socket.send(bencode({ t: m.t, y: 'r', r }), rinfo.port, rinfo.address), i * 30);
    });
  });
  const n2 = await DhtNode.start({
    host: '127.0.0.1',
    port: 0,
    bootstrap: fakes.map((f) => `127.0.0.1:${f.port}`),
    requestTimeoutMs: TIMEOUT,
  });
  try {
    const before = n2.stats().invalidValues;
    const got = await collect(n2.getMutable(kp.publicKey.bytes));
    assert.deepEqual(
      got.map((x) => new TextDecoder().decode(x.value)),
      ['genuine'],
    );
    assert.equal(n2.stats().invalidValues - before, 1);
  } finally {
    await n2.close();
    await Promise.all(fakes.map((f) => f.close()));
  }
});
