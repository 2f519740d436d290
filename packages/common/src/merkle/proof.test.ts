import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex, compareBytes, utf8Encode } from '../bytes.ts';
import { MerkleError } from './errors.ts';
import { decodeNode } from './node-codec.ts';
import { mstProve, mstVerifyProof } from './proof.ts';
import { EMPTY_ROOT, mstBuild, mstRoot } from './tree.ts';
import { prng, leafValueOf } from '../../test/merkle-helpers.ts';

const entries = Array.from({ length: 2000 }, (_, i) => ({ key: utf8Encode(`/pub/app/${i}`), value: leafValueOf(i) })).sort((a, b) =>
  compareBytes(a.key, b.key),
);
const tree = mstBuild(entries);
const root = mstRoot(tree);

test('inclusion proofs return the value; absence proofs return null', () => {
  for (let i = 0; i < 2000; i += 37) {
    const e = entries[i]!;
    assert.deepEqual(mstVerifyProof(root, e.key, mstProve(tree, e.key)), e.value);
  }
  for (const k of ['/pub/app/', '/pub/app/5000', '/pub/zz', '/a', '/pub/app/10x']) {
    const key = utf8Encode(k);
    assert.equal(mstVerifyProof(root, key, mstProve(tree, key)), null, k);
  }
  assert.equal(mstVerifyProof(EMPTY_ROOT, utf8Encode('/pub/x'), mstProve(null, utf8Encode('/pub/x'))), null);
});

test('a proof for one key does not prove another, and a proof against another root fails', () => {
  const a = entries[10]!;
  const b = entries[11]!;
  assert.throws(() => mstVerifyProof(root, b.key, mstProve(tree, a.key)), MerkleError);
  const other = mstRoot(mstBuild(entries.slice(1)));
  assert.throws(() => mstVerifyProof(other, a.key, mstProve(tree, a.key)), { code: 'merkle_hash_mismatch' });
  // An absence proof cannot be made from the empty tree's proof under a non-empty root.
  assert.throws(() => mstVerifyProof(root, a.key, mstProve(null, a.key)), { code: 'merkle_hash_mismatch' });
});

test('every flipped byte, truncation or extra node in a proof is refused with a MerkleError', () => {
  const rnd = prng(3);
  const key = entries[777]!.key;
  const proof = mstProve(tree, key);
  let refused = 0;
  for (let n = 0; n < 300; n++) {
    const copy = proof.map((p) => p.slice());
    const which = Math.floor(rnd() * copy.length);
    const at = Math.floor(rnd() * copy[which]!.length);
    copy[which]![at] ^= 1 + Math.floor(rnd() * 255);
    assert.throws(() => mstVerifyProof(root, key, copy), MerkleError);
    refused++;
  }
  assert.equal(refused, 300);
  assert.throws(() => mstVerifyProof(root, key, proof.slice(0, -1)), { code: 'merkle_proof_incomplete' });
  assert.throws(() => mstVerifyProof(root, key, [...proof, proof[0]!]), { code: 'merkle_proof_too_long' });
  assert.throws(() => mstVerifyProof(root, key, []), { code: 'merkle_proof_incomplete' });
});

test('random and hostile bytes never decode into a node and never throw anything but MerkleError', () => {
  const rnd = prng(11);
  for (let n = 0; n < 5000; n++) {
    const len = Math.floor(rnd() * 200);
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256);
    if (n % 2 === 0 && len > 0) b[0] = 1;
    try {
      decodeNode(b);
    } catch (e) {
      assert.ok(e instanceof MerkleError, String(e));
    }
  }
  // Non-minimal varint, huge count, wrong child tag, trailing byte.
  for (const hex of ['01800000', '01 00 ff ff ff ff 0f 00', '01000002', '0100000000']) {
    assert.throws(() => decodeNode(Uint8Array.from(Buffer.from(hex.replace(/ /g, ''), 'hex'))), MerkleError, hex);
  }
});

test('a proof in a tree of 100,000 keys stays a handful of nodes', () => {
  const big = Array.from({ length: 100_000 }, (_, i) => ({ key: utf8Encode(`/pub/app/posts/${i}`), value: leafValueOf(i) })).sort((a, b) =>
    compareBytes(a.key, b.key),
  );
  const t = mstBuild(big);
  const r = mstRoot(t);
  let worst = 0;
  for (let i = 0; i < big.length; i += 997) {
    const p = mstProve(t, big[i]!.key);
    worst = Math.max(
      worst,
      p.reduce((s, x) => s + x.length, 0),
    );
    assert.deepEqual(mstVerifyProof(r, big[i]!.key, p), big[i]!.value);
  }
  assert.ok(worst < 8000, `largest proof ${worst} bytes`);
  assert.equal(bytesToHex(r).length, 64);
});
