// One of our nodes probed with hand-made packets: the interop rules of spec §10 and hostile input.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Keypair } from '@pubky-ts/common';
import { DhtNode } from '../src/node.ts';
import { encodeSignable, mutableTarget } from '../src/bep44.ts';
import { bencode } from '../src/bencode.ts';
import { RawPeer } from './raw-peer.ts';
import type { KrpcMessage } from '../src/krpc.ts';

let node: DhtNode;
let peer: RawPeer;
const myId = new Uint8Array(20).fill(0x42);

before(async () => {
  node = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [], requestTimeoutMs: 150 });
  peer = await RawPeer.open();
});
after(async () => {
  await node.close();
  await peer.close();
});

function asResponse(m: KrpcMessage | null) {
  assert.ok(m, 'an answer');
  assert.equal(m.y, 'r', JSON.stringify(m));
  return m as Extract<KrpcMessage, { y: 'r' }>;
}
function asError(m: KrpcMessage | null) {
  assert.ok(m, 'an answer');
  assert.equal(m.y, 'e', JSON.stringify(m));
  return m as Extract<KrpcMessage, { y: 'e' }>;
}

async function tokenFor(target: Uint8Array): Promise<Uint8Array> {
  const r = asResponse(await peer.exchange(node.address(), { t: 'gt', y: 'q', q: 'get', a: { id: myId, target } }));
  assert.equal(r.body.token?.length, 4);
  return r.body.token!;
}

test('echoes transaction ids of any length (2 bytes from bittorrent-dht, 4 from Rust, 7)', async () => {
  for (const t of [new Uint8Array([1, 2]), new Uint8Array([1, 2, 3, 4]), new Uint8Array(7).fill(9)]) {
    const r = asResponse(await peer.exchange(node.address(), { t, y: 'q', q: 'ping', a: { id: myId } }));
    assert.deepEqual(r.t, t);
    assert.deepEqual(r.body.id, node.id);
    assert.equal(r.ro, false);
    assert.deepEqual(r.ip, { host: '127.0.0.1', port: peer.port });
  }
});

test('responses never carry ro (raw bytes)', async () => {
  const raw = await new Promise<Buffer>((resolve) => {
    peer.socket.once('message', (b) => resolve(b));
    peer.send(node.address(), bencode({ t: 'xx', y: 'q', q: 'find_node', a: { id: myId, target: myId }, ro: 1 }));
  });
  assert.doesNotMatch(raw.toString('latin1'), /2:ro/);
});

test('put without target (bittorrent-dht) is stored under sha1(k); get returns it; get with seq gives no-more-recent', async () => {
  const kp = Keypair.random();
  const target = mutableTarget(kp.publicKey.bytes);
  const token = await tokenFor(target);
  const v = new TextEncoder().encode('from a js peer');
  const sig = kp.sign(encodeSignable(1000, v));
  const ack = asResponse(
    await peer.exchange(node.address(), {
      t: 'p1',
      y: 'q',
      q: 'put',
      a: { id: myId, token, v, k: kp.publicKey.bytes, seq: 1000, sig },
    }),
  );
  assert.deepEqual(ack.body.id, node.id);
  const got = asResponse(await peer.exchange(node.address(), { t: 'g1', y: 'q', q: 'get', a: { id: myId, target } }));
  assert.deepEqual(got.body.v, v);
  assert.equal(got.body.seq, 1000);
  assert.deepEqual(got.body.k, kp.publicKey.bytes);
  const nmr = asResponse(await peer.exchange(node.address(), { t: 'g2', y: 'q', q: 'get', a: { id: myId, target, seq: 1000 } }));
  assert.equal(nmr.body.seq, 1000);
  assert.equal(nmr.body.v, undefined);
  assert.ok(nmr.body.token);
  const newer = asResponse(await peer.exchange(node.address(), { t: 'g3', y: 'q', q: 'get', a: { id: myId, target, seq: 999 } }));
  assert.deepEqual(newer.body.v, v);
});

test('put errors over the wire: 203 bad token, 205, 206, 207, 301, 302', async () => {
  const kp = Keypair.random();
  const k = kp.publicKey.bytes;
  const target = mutableTarget(k);
  const token = await tokenFor(target);
  const v = new TextEncoder().encode('v');
  const put = (a: Record<string, unknown>) =>
    peer.exchange(node.address(), { t: 'pp', y: 'q', q: 'put', a: { id: myId, token, target, k, v, ...a } as never });
  const sign = (seq: number, value = v, salt?: Uint8Array) => kp.sign(encodeSignable(seq, value, salt));
  assert.equal(asError(await put({ seq: 1, sig: sign(1), token: new Uint8Array(4) })).code, 203);
  assert.equal(asError(await put({ seq: 1, sig: sign(1), v: new Uint8Array(1001) })).code, 205);
  assert.equal(asError(await put({ seq: 1, sig: new Uint8Array(64) })).code, 206);
  const salt = new Uint8Array(65);
  assert.equal(asError(await put({ seq: 1, sig: sign(1, v, salt), salt, target: mutableTarget(k, salt) })).code, 207);
  asResponse(await put({ seq: 5, sig: sign(5) }));
  asResponse(await put({ seq: 5, sig: sign(5) })); // equal seq: accepted (Rust rule)
  const e302 = asError(await put({ seq: 4, sig: sign(4) }));
  assert.equal(e302.code, 302);
  assert.equal(asError(await put({ seq: 6, sig: sign(6), cas: 3 })).code, 301);
  asResponse(await put({ seq: 6, sig: sign(6), cas: 5 }));
});

test('immutable put and get through the wire; a wrong target is refused', async () => {
  const v = randomBytes(100);
  const { immutableTarget } = await import('../src/bep44.ts');
  const target = immutableTarget(v);
  const token = await tokenFor(target);
  asResponse(await peer.exchange(node.address(), { t: 'ip', y: 'q', q: 'put', a: { id: myId, token, v, target } }));
  const got = asResponse(await peer.exchange(node.address(), { t: 'ig', y: 'q', q: 'get', a: { id: myId, target } }));
  assert.deepEqual(got.body.v, new Uint8Array(v));
  assert.equal(
    asError(await peer.exchange(node.address(), { t: 'iw', y: 'q', q: 'put', a: { id: myId, token, v, target: new Uint8Array(20) } })).code,
    203,
  );
});

test('announce_peer and get_peers, implied_port', async () => {
  const infoHash = new Uint8Array(randomBytes(20));
  const gp = asResponse(await peer.exchange(node.address(), { t: 'gp', y: 'q', q: 'get_peers', a: { id: myId, info_hash: infoHash } }));
  assert.equal(gp.body.values, undefined);
  const token = gp.body.token!;
  asResponse(
    await peer.exchange(node.address(), { t: 'an', y: 'q', q: 'announce_peer', a: { id: myId, info_hash: infoHash, port: 4000, token } }),
  );
  asResponse(
    await peer.exchange(node.address(), {
      t: 'an',
      y: 'q',
      q: 'announce_peer',
      a: { id: myId, info_hash: infoHash, port: 1, implied_port: 1, token },
    }),
  );
  assert.equal(
    asError(
      await peer.exchange(node.address(), {
        t: 'an',
        y: 'q',
        q: 'announce_peer',
        a: { id: myId, info_hash: infoHash, port: 1, token: 'bad!' },
      }),
    ).code,
    203,
  );
  const gp2 = asResponse(await peer.exchange(node.address(), { t: 'gp', y: 'q', q: 'get_peers', a: { id: myId, info_hash: infoHash } }));
  assert.deepEqual(
    gp2.body.values?.map((p) => p.port).sort((a, b) => a - b),
    [4000, peer.port].sort((a, b) => a - b),
  );
});

test('malformed queries with a readable tid get 203; unknown methods 204', async () => {
  const e = asError(await peer.exchange(node.address(), { t: 'mq', y: 'q', q: 'find_node', a: { id: myId, target: 'short' } }));
  assert.equal(e.code, 203);
  assert.match(e.message, /"target" is 5 bytes/);
  const u = asError(await peer.exchange(node.address(), { t: 'uq', y: 'q', q: 'frobnicate', a: { id: myId } }));
  assert.equal(u.code, 204);
  const huge = asError(await peer.exchange(node.address(), { t: 'hq', y: 'q', q: 'get', a: { id: myId, target: myId, seq: 'x' } }));
  assert.equal(huge.code, 203);
});

test('hostile packets are dropped and counted; the node keeps answering', async () => {
  const before = node.stats().malformed;
  const bad: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) bad.push(new Uint8Array(randomBytes(1 + (i % 200))));
  bad.push(new TextEncoder().encode('d1:a-3:e'));
  bad.push(new TextEncoder().encode('d1:t2:aa1:y1:ri9007199254740993ee'));
  bad.push(new TextEncoder().encode('l'.repeat(5000)));
  bad.push(new TextEncoder().encode('d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:' + 'x'.repeat(20) + 'e')); // truncated
  bad.push(bencode({ t: 'rr', y: 'r', r: { id: myId } })); // a response nobody asked for
  // Paced: a burst of 300 datagrams overflows the loopback receive buffer and loses packets.
  for (let i = 0; i < bad.length; i++) {
    peer.send(node.address(), bad[i]);
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 50));
  const alive = asResponse(await peer.exchange(node.address(), { t: 'ok', y: 'q', q: 'ping', a: { id: myId } }, 1000));
  assert.deepEqual(alive.body.id, node.id);
  const s = node.stats();
  assert.ok(s.malformed - before >= 300, `malformed ${s.malformed - before}`);
  assert.ok(s.unexpectedResponses >= 1);
  assert.equal(s.handlerFailures, 0);
});

test('answers carrying ro=1 are ignored (the request times out), as Rust does', async () => {
  const roPeer = await RawPeer.open();
  roPeer.socket.on('message', (buf) => {
    const t = buf.subarray(buf.indexOf('1:t') + 3);
    const len = Number(t.subarray(0, t.indexOf(':')).toString());
    const tid = t.subarray(t.indexOf(':') + 1, t.indexOf(':') + 1 + len);
    roPeer.send(node.address(), bencode({ t: new Uint8Array(tid), y: 'r', r: { id: myId }, ro: 1 }));
  });
  const before = node.stats().readOnlyResponses;
  assert.equal(await node.ping({ host: '127.0.0.1', port: roPeer.port }), null);
  assert.equal(node.stats().readOnlyResponses, before + 1);
  await roPeer.close();
});

test('a read-only (client mode) node answers no query and sends ro=1', async () => {
  const client = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [], serverMode: false, requestTimeoutMs: 150 });
  try {
    assert.equal(await peer.exchange(client.address(), { t: 'cl', y: 'q', q: 'ping', a: { id: myId } }, 200), null);
    const raw = await new Promise<Buffer>((resolve) => {
      peer.socket.once('message', (b) => resolve(b));
      void client.ping({ host: '127.0.0.1', port: peer.port });
    });
    assert.match(raw.toString('latin1'), /2:roi1e/);
    assert.match(raw.toString('latin1'), /1:t4:/);
    assert.equal(client.stats().queriesIgnored, 1);
  } finally {
    await client.close();
  }
});
