import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesEqual, bytesToHex, compareBytes, utf8Encode } from '../bytes.ts';
import { keyLayer } from './layer.ts';
import type { LeafValue } from './node-codec.ts';
import { prng, leafValueOf } from '../../test/merkle-helpers.ts';
import { EMPTY_ROOT, mstBuild, mstDelete, mstEntries, mstGet, type MstNode, mstPut, mstRoot } from './tree.ts';

function rebuilt(model: Map<string, LeafValue>): MstNode | null {
  const entries = [...model].map(([k, value]) => ({ key: utf8Encode(k), value }));
  entries.sort((a, b) => compareBytes(a.key, b.key));
  return mstBuild(entries);
}

/** Every rule of the canonical form, checked on the in-memory nodes. */
function checkInvariants(n: MstNode | null, lo: Uint8Array | null, hi: Uint8Array | null, parentLayer: number): number {
  if (!n) return 0;
  assert.ok(n.keys.length > 0, 'no empty node');
  assert.ok(n.layer < parentLayer, 'child layer below its parent');
  assert.equal(n.children.length, n.keys.length + 1);
  let count = n.keys.length;
  for (let i = 0; i < n.keys.length; i++) {
    const k: Uint8Array = n.keys[i]!;
    assert.equal(keyLayer(k), n.layer, 'every key has the node layer');
    if (i > 0) assert.ok(compareBytes(n.keys[i - 1]!, k) < 0, 'ascending');
    if (lo) assert.ok(compareBytes(lo, k) < 0, 'in range');
    if (hi) assert.ok(compareBytes(k, hi) < 0, 'in range');
  }
  for (let i = 0; i <= n.keys.length; i++) {
    count += checkInvariants(n.children[i]!, i > 0 ? n.keys[i - 1]! : lo, i < n.keys.length ? n.keys[i]! : hi, n.layer);
  }
  return count;
}

test('the incremental tree equals the tree rebuilt from scratch after thousands of random writes, deletes and restores', () => {
  for (const seed of [1, 2, 3]) {
    const rnd = prng(seed);
    const model = new Map<string, LeafValue>();
    const deleted: [string, LeafValue][] = [];
    let root: MstNode | null = null;
    let maxLayer = 0;
    let sawShrink = false;
    for (let op = 0; op < 3000; op++) {
      const r = rnd();
      const before = root ? root.layer : -1;
      if (r < 0.5 || model.size === 0) {
        const key = `/pub/app/${Math.floor(rnd() * 400)}`;
        const v = leafValueOf(op);
        root = mstPut(root, utf8Encode(key), v);
        model.set(key, v);
      } else if (r < 0.85) {
        const keys = [...model.keys()];
        const key = keys[Math.floor(rnd() * keys.length)]!;
        deleted.push([key, model.get(key)!]);
        root = mstDelete(root, utf8Encode(key));
        model.delete(key);
      } else if (deleted.length > 0) {
        // Restore: the same key and the same value as before the delete, so the root must come back too.
        const [key, v] = deleted.splice(Math.floor(rnd() * deleted.length), 1)[0]!;
        if (model.has(key)) continue;
        root = mstPut(root, utf8Encode(key), v);
        model.set(key, v);
      }
      if (root && root.layer < before) sawShrink = true;
      maxLayer = Math.max(maxLayer, root ? root.layer : 0);
      // Rebuilding hashes every node: compare after every 4th operation (a wrong node stays wrong).
      if (op % 4 === 0) assert.equal(bytesToHex(mstRoot(root)), bytesToHex(mstRoot(rebuilt(model))), `seed ${seed} op ${op}`);
      if (op % 200 === 0) assert.equal(checkInvariants(root, null, null, Infinity), model.size);
    }
    assert.ok(maxLayer >= 3, `the run reached layer ${maxLayer}: height changes were exercised`);
    assert.ok(sawShrink, 'a delete lowered the root layer at least once');
  }
});

test('deleting every key returns the empty root, in any order', () => {
  const rnd = prng(9);
  const keys = Array.from({ length: 300 }, (_, i) => `/pub/${i}`);
  let root: MstNode | null = null;
  for (const k of keys) root = mstPut(root, utf8Encode(k), leafValueOf(1));
  keys.sort(() => rnd() - 0.5);
  for (const k of keys) root = mstDelete(root, utf8Encode(k));
  assert.equal(root, null);
  assert.ok(bytesEqual(mstRoot(root), EMPTY_ROOT));
});

test('the root depends on the set of entries, not on the order they were written in', () => {
  const rnd = prng(5);
  const keys = Array.from({ length: 500 }, (_, i) => `/pub/posts/${i.toString(36)}`);
  const roots = new Set<string>();
  for (let round = 0; round < 4; round++) {
    keys.sort(() => rnd() - 0.5);
    let root: MstNode | null = null;
    for (const k of keys) root = mstPut(root, utf8Encode(k), leafValueOf(k.length));
    roots.add(bytesToHex(mstRoot(root)));
  }
  assert.equal(roots.size, 1);
});

test('a changed value, length or key changes the root; get and the in-order walk see the entries', () => {
  const entries = Array.from({ length: 50 }, (_, i) => ({ key: utf8Encode(`/pub/${String(i).padStart(3, '0')}`), value: leafValueOf(i) }));
  const root = mstBuild(entries)!;
  const base = bytesToHex(mstRoot(root));
  assert.notEqual(bytesToHex(mstRoot(mstPut(root, entries[7]!.key, { hash: entries[7]!.value.hash, length: 8 }))), base);
  assert.notEqual(bytesToHex(mstRoot(mstPut(root, entries[7]!.key, leafValueOf(99)))), base);
  assert.equal(bytesToHex(mstRoot(mstPut(root, entries[7]!.key, leafValueOf(7)))), base);
  assert.deepEqual(mstGet(root, entries[3]!.key), leafValueOf(3));
  assert.equal(mstGet(root, utf8Encode('/pub/xyz')), null);
  assert.deepEqual(
    [...mstEntries(root)].map((e) => e.key),
    entries.map((e) => e.key),
  );
  assert.equal(mstDelete(root, utf8Encode('/pub/none')), root, 'deleting an absent key keeps the same root object');
});
