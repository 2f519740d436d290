import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { compareDistance, distance } from './node-id.ts';
import { K, RoutingTable, STALE_MS } from './routing-table.ts';

const own = new Uint8Array(20);
/** An id at distance `d` from the zero id, with random lower bits. */
function idAt(d: number): Uint8Array {
  const id = new Uint8Array(randomBytes(20));
  const bit = 160 - d; // index of the highest set bit
  for (let i = 0; i < bit; i++) id[i >> 3] &= ~(0x80 >> (i & 7));
  id[bit >> 3] |= 0x80 >> (bit & 7);
  return id;
}

test('a bucket holds at most K nodes; a full bucket refuses fresh newcomers', () => {
  const rt = new RoutingTable(own);
  for (let i = 0; i < K + 5; i++) rt.add({ id: idAt(160), host: '10.0.0.1', port: 1000 + i });
  assert.equal(rt.size, K);
  assert.equal(rt.add({ id: idAt(160), host: '10.0.0.2', port: 1 }), false);
  assert.equal(rt.addIfRoom({ id: idAt(150), host: '10.0.0.2', port: 1 }), true);
  assert.equal(rt.addIfRoom({ id: idAt(160), host: '10.0.0.3', port: 1 }), false);
  assert.ok(distance(own, idAt(42)) === 42);
});

test('stale or failing nodes make room', () => {
  let now = 0;
  const rt = new RoutingTable(own, () => now);
  const first = { id: idAt(160), host: '10.0.0.1', port: 1 };
  rt.add(first);
  for (let i = 1; i < K; i++) rt.add({ id: idAt(160), host: '10.0.0.1', port: 1 + i });
  now = STALE_MS + 1;
  for (let i = 1; i < K; i++) rt.add({ id: rt.all()[i].id, host: '10.0.0.1', port: 1 + i }); // refreshed
  rt.add(rt.all().find((e) => e.port === 2)!); // no-op refresh
  const newcomer = { id: idAt(160), host: '10.0.0.9', port: 9 };
  assert.equal(rt.add(newcomer), true);
  assert.equal(rt.has(first.id), false);
  assert.equal(rt.has(newcomer.id), true);
  // three timeouts in a row drop a node
  rt.failed(newcomer.id);
  rt.failed(newcomer.id);
  assert.equal(rt.has(newcomer.id), true);
  rt.failed(newcomer.id);
  assert.equal(rt.has(newcomer.id), false);
});

test('closest() sorts by XOR distance; own id and duplicate addresses are not kept', () => {
  const rt = new RoutingTable(own);
  for (let i = 0; i < 200; i++) rt.add({ id: new Uint8Array(randomBytes(20)), host: '10.0.1.1', port: 2000 + i });
  const target = new Uint8Array(randomBytes(20));
  const c = rt.closest(target, K);
  assert.equal(c.length, K);
  for (let i = 1; i < c.length; i++) assert.ok(compareDistance(target, c[i - 1].id, c[i].id) < 0);
  const all = rt.all().sort((a, b) => compareDistance(target, a.id, b.id));
  assert.deepEqual(
    c.map((x) => x.port),
    all.slice(0, K).map((x) => x.port),
  );
  assert.equal(rt.add({ id: own, host: '1.1.1.1', port: 1 }), false);
  const before = rt.size;
  const moved = rt.all()[0];
  rt.add({ id: new Uint8Array(randomBytes(20)), host: moved.host, port: moved.port });
  assert.equal(rt.size, before, 'a new id at a known address replaces the old entry');
});
