import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { encodeSignable, immutableTarget, mutableTarget, verifyMutable } from './bep44.ts';

const te = new TextEncoder();
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

test('signable without and with salt (§11.2)', () => {
  const v = te.encode('Hello world!');
  assert.equal(Buffer.from(encodeSignable(4, v)).toString(), '3:seqi4e1:v12:Hello world!');
  assert.equal(Buffer.from(encodeSignable(4, v, te.encode('foobar'))).toString(), '4:salt6:foobar3:seqi4e1:v12:Hello world!');
  // an empty salt is no salt
  assert.equal(Buffer.from(encodeSignable(4, v, new Uint8Array(0))).toString(), '3:seqi4e1:v12:Hello world!');
});

test('immutable target = sha1("<len>:" ‖ v) (§11.2)', () => {
  const v = fromHex('ab766f6fae6dc3208a8c71b04c8774849c7e4bad'); // 20 bytes: the vector hashes "20:" ‖ v
  assert.equal(hex(immutableTarget(v)), '0217712b430bb91a1a1ecceecc010d54342856e7');
  assert.notEqual(hex(immutableTarget(v.subarray(1))), '0217712b430bb91a1a1ecceecc010d54342856e7');
});

test('mutable target = sha1(public key) for the zero seed (§11.1)', () => {
  const kp = Keypair.fromSecretKey(new Uint8Array(32));
  assert.equal(hex(kp.publicKey.bytes), '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29');
  assert.equal(hex(mutableTarget(kp.publicKey.bytes)), '8c30c97e7fd5460ce3b962db4cd75879eecd8abd');
  assert.notEqual(hex(mutableTarget(kp.publicKey.bytes, te.encode('s'))), '8c30c97e7fd5460ce3b962db4cd75879eecd8abd');
});

test('verifies the derived SignedPacket vector (§11.4) as a BEP44 item', () => {
  const kp = Keypair.fromSecretKey(new Uint8Array(32));
  const dns = fromHex(
    '000080000000000200000000065f7075626b79343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f000041000100000e1000380000343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f00c0130001000100000e1000047f000001',
  );
  const sig = fromHex(
    '16078b2f9b79870b730616fdb1b926008bca8ce381648099d4ca51e1dabd9da7d5af8455366acb9b52dfe63db7a3a5712476cb19a0f19a52ca531ae69b348509',
  );
  assert.equal(dns.length, 155);
  assert.ok(Buffer.from(encodeSignable(1700000000000000, dns)).toString('latin1').startsWith('3:seqi1700000000000000e1:v155:'));
  assert.equal(verifyMutable(kp.publicKey.bytes, 1700000000000000, dns, sig), true);
  assert.equal(verifyMutable(kp.publicKey.bytes, 1700000000000001, dns, sig), false);
  assert.equal(verifyMutable(kp.publicKey.bytes, 1700000000000000, dns, sig, te.encode('x')), false);
  assert.deepEqual(kp.sign(encodeSignable(1700000000000000, dns)), sig);
});

test('refuses keys that are not curve points and wrong lengths', () => {
  const v = te.encode('x');
  const sig = new Uint8Array(64);
  assert.equal(verifyMutable(new Uint8Array(32).fill(0xff), 1, v, sig), false);
  assert.equal(verifyMutable(new Uint8Array(31), 1, v, sig), false);
  assert.equal(verifyMutable(Keypair.random().publicKey.bytes, 1, v, new Uint8Array(63)), false);
});
