import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bytesToHex, compareBytes, hexToBytes, utf8Encode } from '../bytes.ts';
import { keyLayer } from './layer.ts';
import { privateTreeKey } from './private-key.ts';
import { mstProve, mstVerifyProof } from './proof.ts';
import { EMPTY_ROOT, mstBuild, mstRoot } from './tree.ts';

const vectors = JSON.parse(readFileSync(new URL('./test-vectors.json', import.meta.url), 'utf8'));

test('the committed test vectors: layers, root node bytes, roots and proofs', () => {
  assert.equal(bytesToHex(EMPTY_ROOT), vectors.emptyRoot);
  for (const v of vectors.vectors) {
    const entries = v.entries.map((e: { key: string; hash: string; length: number }) => ({
      key: utf8Encode(e.key),
      value: { hash: hexToBytes(e.hash), length: e.length },
    }));
    entries.sort((a: { key: Uint8Array }, b: { key: Uint8Array }) => compareBytes(a.key, b.key));
    for (const e of v.entries) assert.equal(keyLayer(utf8Encode(e.key)), e.layer, `layer of ${e.key}`);
    const tree = mstBuild(entries)!;
    assert.equal(bytesToHex(tree.encode()), v.rootNode, v.name);
    assert.equal(bytesToHex(mstRoot(tree)), v.root, v.name);
    for (const p of v.proofs) {
      assert.deepEqual(mstProve(tree, utf8Encode(p.key)).map(bytesToHex), p.nodes, `${v.name}: proof of ${p.key}`);
      mstVerifyProof(hexToBytes(v.root), utf8Encode(p.key), p.nodes.map(hexToBytes));
    }
  }
  const pk = vectors.privateKey;
  assert.equal(bytesToHex(privateTreeKey(hexToBytes(pk.secret), pk.path)), pk.key);
});

test('the README rules, applied by hand with node:crypto, give the vectors (independent of the encoder)', () => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
  assert.equal(sha(Uint8Array.of(0x01, 0x00, 0x00, 0x00)).toString('hex'), vectors.emptyRoot);
  // One entry: format 01, layer 00, count 01, left child 00, shared 00, suffix length, key, hash, length, right child 00.
  const key = Buffer.from('/pub/a.txt');
  const node = Buffer.concat([Buffer.from([1, 0, 1, 0, 0, key.length]), key, Buffer.alloc(32, 10), Buffer.from([10, 0])]);
  assert.equal(node.toString('hex'), vectors.vectors[0].rootNode);
  assert.equal(sha(node).toString('hex'), vectors.vectors[0].root);
  // Layer: leading zero bits of SHA-256(key), halved.
  for (const e of vectors.vectors[2].entries) {
    const h = sha(Buffer.from(e.key));
    let bits = 0;
    for (const byte of h) {
      if (byte === 0) bits += 8;
      else {
        bits += Math.clz32(byte) - 24;
        break;
      }
    }
    assert.equal(Math.floor(bits / 2), e.layer, e.key);
  }
  const pk = vectors.privateKey;
  assert.equal(createHmac('sha256', Buffer.from(pk.secret, 'hex')).update(pk.path).digest('hex'), pk.key);
});
