import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bep42Id, bep42Prefix, compareDistance, distance, isValidBep42, parseIPv4 } from './node-id.ts';

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

test('distance of the mainline vector is 155 (§11.2)', () => {
  assert.equal(distance(fromHex('0639A1E24FBB8AB277DF033476AB0DE10FAB3BDC'), fromHex('035b1aeb9737ade1a80933594f405d3f772aa08e')), 155);
  const a = fromHex('0639A1E24FBB8AB277DF033476AB0DE10FAB3BDC');
  assert.equal(distance(a, a), 0);
  const b = a.slice();
  b[19] ^= 1;
  assert.equal(distance(a, b), 1);
  b[0] ^= 0x80;
  assert.equal(distance(a, b), 160);
});

test('compareDistance orders by XOR distance to the target', () => {
  const t = new Uint8Array(20);
  const near = new Uint8Array(20);
  near[19] = 1;
  const far = new Uint8Array(20);
  far[0] = 1;
  assert.ok(compareDistance(t, near, far) < 0);
  assert.ok(compareDistance(t, far, near) > 0);
  assert.equal(compareDistance(t, far, far), 0);
});

const VECTORS: [string, number, string, string][] = [
  ['124.31.75.21', 1, '5fbfbf', '5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401'],
  ['21.75.31.124', 86, '5a3ce9', '5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'],
  ['65.23.51.170', 22, 'a5d432', 'a5d43220bc8f112a3d426c84764f8c2a1150e616'],
  ['84.124.73.14', 65, '1b0321', '1b0321dd1bb1fe518101ceef99462b947a01ff41'],
  ['43.213.53.83', 90, 'e56f6c', 'e56f6cbf5b7c4be0237986d5243b87aa6d51305a'],
];

test('BEP42 prefixes and valid ids (§11.2)', () => {
  for (const [ip, r, prefix, id] of VECTORS) {
    const addr = parseIPv4(ip)!;
    const p = bep42Prefix(addr, r);
    const want = fromHex(prefix);
    assert.equal(p[0], want[0], ip);
    assert.equal(p[1], want[1], ip);
    assert.equal(p[2], want[2] & 0xf8, ip);
    assert.equal(isValidBep42(fromHex(id), addr), true, ip);
    const generated = bep42Id(addr, r);
    assert.equal(isValidBep42(generated, addr), true);
    assert.equal(generated[19], r);
    const wrong = fromHex(id);
    wrong[0] ^= 0x01;
    assert.equal(isValidBep42(wrong, addr), false);
  }
  // every id is valid for local addresses
  assert.equal(isValidBep42(new Uint8Array(20), parseIPv4('127.0.0.1')!), true);
  assert.equal(isValidBep42(new Uint8Array(20), parseIPv4('192.168.1.1')!), true);
  assert.equal(parseIPv4('256.1.1.1'), null);
  assert.equal(parseIPv4('::1'), null);
});
