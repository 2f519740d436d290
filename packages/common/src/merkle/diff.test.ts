import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex, compareBytes, utf8Decode, utf8Encode } from '../bytes.ts';
import { memorySource, mstDiff, verifiedSource, type NodeSource } from './diff.ts';
import { MerkleError } from './errors.ts';
import { encodeNode, type LeafValue } from './node-codec.ts';
import { prng, leafValueOf } from '../../test/merkle-helpers.ts';
import { mstBuild, mstDelete, mstIndex, type MstNode, mstPut, mstRoot } from './tree.ts';

/** A source that counts the nodes it hands out. */
function counted(tree: MstNode | null): NodeSource & { fetched: number } {
  const inner = memorySource(mstIndex(tree));
  const s = {
    fetched: 0,
    nodes(hashes: Uint8Array[]) {
      s.fetched += hashes.length;
      return inner.nodes(hashes);
    },
  };
  return s;
}

function build(n: number): { tree: MstNode | null; model: Map<string, LeafValue> } {
  const model = new Map<string, LeafValue>();
  for (let i = 0; i < n; i++) model.set(`/pub/f/${i}`, leafValueOf(i));
  const entries = [...model].map(([k, value]) => ({ key: utf8Encode(k), value })).sort((a, b) => compareBytes(a.key, b.key));
  return { tree: mstBuild(entries), model };
}

test('the diff of two trees is exactly the changed keys, and opens only the subtrees that differ', async () => {
  const rnd = prng(4);
  const { tree: a, model } = build(20_000);
  let b = a;
  const expected = new Map<string, [LeafValue | null, LeafValue | null]>();
  for (let i = 0; i < 100; i++) {
    const r = rnd();
    const key = r < 0.3 ? `/pub/new/${i}` : `/pub/f/${Math.floor(rnd() * 20_000)}`;
    const before = model.get(key) ?? null;
    const prevExpected = expected.get(key);
    const original = prevExpected ? prevExpected[0] : before;
    let after: LeafValue | null;
    if (r > 0.7 && before) {
      b = mstDelete(b, utf8Encode(key));
      model.delete(key);
      after = null;
    } else {
      after = leafValueOf(100_000 + i);
      b = mstPut(b, utf8Encode(key), after);
      model.set(key, after);
    }
    expected.set(key, [original, after]);
  }
  for (const [k, [x, y]] of expected) if (x === null && y === null) expected.delete(k);
  const sa = counted(a);
  const sb = counted(b);
  const changes = await mstDiff({ root: mstRoot(a), source: sa }, { root: mstRoot(b), source: sb });
  const got = new Map(changes.map((c) => [utf8Decode(c.key), [c.before, c.after]]));
  assert.deepEqual(got, expected);
  assert.deepEqual(
    changes.map((c) => utf8Decode(c.key)),
    [...expected.keys()].sort((x, y) => compareBytes(utf8Encode(x), utf8Encode(y))),
    'in key order',
  );
  // 100 changes in 20,000 entries: a full walk would open ~6,000 nodes per side.
  assert.ok(sa.fetched + sb.fetched < 2500, `opened ${sa.fetched} + ${sb.fetched} nodes`);
});

test('diffs against and from the empty tree list every entry; equal roots open nothing', async () => {
  const { tree } = build(500);
  const empty = counted(null);
  const full = counted(tree);
  assert.equal((await mstDiff({ root: mstRoot(null), source: empty }, { root: mstRoot(tree), source: full })).length, 500);
  assert.equal((await mstDiff({ root: mstRoot(tree), source: full }, { root: mstRoot(null), source: empty })).length, 500);
  const before = full.fetched;
  assert.equal((await mstDiff({ root: mstRoot(tree), source: full }, { root: mstRoot(tree), source: full })).length, 0);
  assert.equal(full.fetched, before);
});

test('a peer that swaps a node under a genuine root is caught before the node is used', async () => {
  const { tree: a } = build(300);
  const b = mstPut(a, utf8Encode('/pub/f/x'), leafValueOf(1));
  const index = mstIndex(b);
  const decoy = encodeNode(mstBuild([{ key: utf8Encode('/pub/evil'), value: leafValueOf(6) }])!.toDecoded());
  const lying = verifiedSource(async (hashes) =>
    hashes.map((h, i) => (i === 0 && h !== b!.hash ? decoy : index.get(bytesToHex(h))!.encode())),
  );
  await assert.rejects(
    mstDiff({ root: mstRoot(a), source: memorySource(mstIndex(a)) }, { root: mstRoot(b), source: lying }),
    (e: unknown) => e instanceof MerkleError && e.code === 'merkle_hash_mismatch',
  );
  const honest = verifiedSource(async (hashes) => hashes.map((h) => index.get(bytesToHex(h))!.encode()));
  const changes = await mstDiff({ root: mstRoot(a), source: memorySource(mstIndex(a)) }, { root: mstRoot(b), source: honest });
  assert.deepEqual(
    changes.map((c) => utf8Decode(c.key)),
    ['/pub/f/x'],
  );
});
