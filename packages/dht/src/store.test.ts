import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { encodeSignable, immutableTarget, mutableTarget } from './bep44.ts';
import type { PutQuery } from './krpc.ts';
import { ItemStore, TokenIssuer } from './store.ts';

const te = new TextEncoder();
const token = new Uint8Array(4);

function signed(kp: Keypair, seq: number, value: string, salt?: Uint8Array, cas?: number): PutQuery {
  const v = te.encode(value);
  const p: PutQuery = { method: 'put', token, v, k: kp.publicKey.bytes, seq, sig: kp.sign(encodeSignable(seq, v, salt)) };
  if (salt) p.salt = salt;
  if (cas !== undefined) p.cas = cas;
  return p;
}

function code(outcome: ReturnType<ItemStore['put']>): number | 'ok' {
  return outcome.ok ? 'ok' : outcome.code;
}

test('mutable: store, equal seq overwrites, lower seq 302, higher seq replaces', () => {
  const s = new ItemStore();
  const kp = Keypair.random();
  const target = mutableTarget(kp.publicKey.bytes);
  assert.equal(code(s.put(signed(kp, 10, 'a'))), 'ok');
  assert.equal(code(s.put(signed(kp, 10, 'b'))), 'ok');
  assert.equal(Buffer.from(s.getMutable(target)!.v).toString(), 'b');
  const lower = s.put(signed(kp, 9, 'c'));
  assert.equal(code(lower), 302);
  assert.equal(code(s.put(signed(kp, 11, 'd'))), 'ok');
  assert.equal(s.getMutable(target)!.seq, 11);
});

test('mutable: CAS mismatch 301, matching CAS stores', () => {
  const s = new ItemStore();
  const kp = Keypair.random();
  s.put(signed(kp, 5, 'a'));
  assert.equal(code(s.put(signed(kp, 6, 'b', undefined, 4))), 301);
  assert.equal(code(s.put(signed(kp, 6, 'b', undefined, 5))), 'ok');
  // CAS on an empty slot is ignored, as in the reference
  const other = Keypair.random();
  assert.equal(code(s.put(signed(other, 1, 'x', undefined, 77))), 'ok');
});

test('mutable: bad signature 206 (with or without a stored item)', () => {
  const s = new ItemStore();
  const kp = Keypair.random();
  const bad = signed(kp, 5, 'a');
  bad.sig = bad.sig!.slice();
  bad.sig[0] ^= 1;
  assert.equal(code(s.put(bad)), 206);
  s.put(signed(kp, 5, 'a'));
  const bad2 = signed(kp, 6, 'b');
  bad2.v = te.encode('B');
  assert.equal(code(s.put(bad2)), 206);
  // the reference checks seq before the signature: a lower seq with a bad signature is 302
  const bad3 = signed(kp, 4, 'b');
  bad3.v = te.encode('B');
  assert.equal(code(s.put(bad3)), 302);
});

test('size 205 (1001 bytes; 1000 accepted), salt 207 (65 bytes; 64 accepted)', () => {
  const s = new ItemStore();
  const kp = Keypair.random();
  assert.equal(code(s.put(signed(kp, 1, 'x'.repeat(1001)))), 205);
  assert.equal(code(s.put(signed(kp, 1, 'x'.repeat(1000)))), 'ok');
  assert.equal(code(s.put(signed(kp, 1, 'x', new Uint8Array(65)))), 207);
  assert.equal(code(s.put(signed(kp, 1, 'x', new Uint8Array(64).fill(1)))), 'ok');
  assert.ok(s.getMutable(mutableTarget(kp.publicKey.bytes, new Uint8Array(64).fill(1))));
  assert.equal(code(s.put({ method: 'put', token, v: new Uint8Array(1001) })), 205);
});

test('target: computed when absent (bittorrent-dht), checked when present (203)', () => {
  const s = new ItemStore();
  const kp = Keypair.random();
  const p = signed(kp, 1, 'x');
  p.target = new Uint8Array(20);
  assert.equal(code(s.put(p)), 203);
  p.target = mutableTarget(kp.publicKey.bytes);
  assert.equal(code(s.put(p)), 'ok');
  const v = te.encode('immutable');
  assert.equal(code(s.put({ method: 'put', token, v, target: new Uint8Array(20) })), 203);
  const ok = s.put({ method: 'put', token, v });
  assert.equal(code(ok), 'ok');
  assert.deepEqual(s.getImmutable(immutableTarget(v)), v);
});

test('LRU limits: the least recently used item goes first', () => {
  const s = new ItemStore({ maxMutable: 3, maxImmutable: 2 });
  const kps = Array.from({ length: 4 }, () => Keypair.random());
  for (const kp of kps.slice(0, 3)) s.put(signed(kp, 1, 'x'));
  s.getMutable(mutableTarget(kps[0].publicKey.bytes)); // touch the oldest
  s.put(signed(kps[3], 1, 'x'));
  assert.equal(s.mutable.size, 3);
  assert.ok(s.getMutable(mutableTarget(kps[0].publicKey.bytes)));
  assert.equal(s.getMutable(mutableTarget(kps[1].publicKey.bytes)), undefined);
  for (const x of ['a', 'b', 'c']) s.put({ method: 'put', token, v: te.encode(x) });
  assert.equal(s.immutable.size, 2);
  assert.equal(s.getImmutable(immutableTarget(te.encode('a'))), undefined);
});

test('peers: bounded per info hash, newest kept', () => {
  const s = new ItemStore({ maxPeersPerInfoHash: 3 });
  const h = new Uint8Array(20);
  for (let p = 1; p <= 5; p++) s.addPeer(h, { host: '1.2.3.4', port: p });
  assert.deepEqual(
    s.getPeers(h).map((x) => x.port),
    [3, 4, 5],
  );
  assert.deepEqual(s.getPeers(new Uint8Array(20).fill(1)), []);
});

test('tokens: 4 bytes, bound to the IP, previous secret accepted, older refused', () => {
  let now = 0;
  const t = new TokenIssuer(1000, () => now);
  const a = t.issue('10.0.0.1');
  assert.equal(a.length, 4);
  assert.equal(t.validate('10.0.0.1', a), true);
  assert.equal(t.validate('10.0.0.2', a), false);
  now = 1500; // one rotation: still good
  assert.equal(t.validate('10.0.0.1', a), true);
  const b = t.issue('10.0.0.1');
  now = 2600; // a second rotation: the first token is gone, the second still good
  assert.equal(t.validate('10.0.0.1', a), false);
  assert.equal(t.validate('10.0.0.1', b), true);
  assert.equal(t.validate('10.0.0.1', new Uint8Array(20)), false);
});
