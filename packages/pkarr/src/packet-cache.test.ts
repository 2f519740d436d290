import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { LruPacketCache } from './packet-cache.ts';
import { SignedPacket } from './signed-packet.ts';

test('LRU evicts the least recently used packet; capacity 0 stores nothing', () => {
  const packets = Array.from({ length: 4 }, () => SignedPacket.sign(Keypair.random(), []));
  const cache = new LruPacketCache(3);
  for (const p of packets.slice(0, 3)) cache.put(p.publicKey.z32, p);
  assert.equal(cache.get(packets[0].publicKey.z32), packets[0]); // touch 0, so 1 is the oldest
  assert.equal(cache.peek(packets[1].publicKey.z32), packets[1]); // peek does not touch
  cache.put(packets[3].publicKey.z32, packets[3]);
  assert.equal(cache.size, 3);
  assert.equal(cache.get(packets[1].publicKey.z32), undefined);
  assert.ok(cache.get(packets[0].publicKey.z32));
  const none = new LruPacketCache(0);
  none.put('x', packets[0]);
  assert.equal(none.size, 0);
  assert.throws(() => new LruPacketCache(-1), RangeError);
});
