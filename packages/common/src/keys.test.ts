import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex, hexToBytes, randomBytes } from './bytes.ts';
import { PubkyError } from './errors.ts';
import { Keypair, PublicKey } from './keys.ts';
import { z32Decode, z32Encode } from './z32.ts';

const Z = 'yg4gxe7z1r7mr6orids9fh95y7gxhdsxjqi6nngsxxtakqaxr5no';
const ZHEX = '01b467a3b7913ab27a04a8edf2f3fb074cfe0ecf4babe108d67be3853b0f26c5';

test('z-base-32 round-trips the spec key (§11.1)', () => {
  assert.equal(bytesToHex(z32Decode(Z)), ZHEX);
  assert.equal(z32Encode(hexToBytes(ZHEX)), Z);
  for (let i = 0; i < 200; i++) {
    const b = randomBytes(i % 40);
    assert.deepEqual(z32Decode(z32Encode(b)).subarray(0, b.length), b);
  }
});

test('z-base-32 refuses characters outside its alphabet', () => {
  assert.throws(
    () => z32Decode('YG4G'),
    (e: PubkyError) => e.code === 'invalid_z32',
  );
  assert.throws(
    () => z32Decode('l0v2'),
    (e: PubkyError) => e.code === 'invalid_z32',
  );
});

test('a public key parses from every form of spec §11.1', () => {
  const forms = [
    Z,
    `pk:${Z}`,
    `pubky${Z}`,
    `https://${Z}///foo/bar`,
    `https://${Z}?foo=bar`,
    `https://${Z}#foo`,
    `https://foo.bar.${Z}#foo`,
    `https://foo.${Z}.`,
    `https://foo@${Z}#foo`,
    `https://${Z}:8888`,
    `https://foo@bar.${Z}.:8888?q=v&a=b#foo`,
    `https://o4dksfbqk85ogzdb5osziw6befigbuxmuxkuxq8434q89uj56uyy.${Z}`,
  ];
  for (const f of forms) assert.equal(PublicKey.parse(f).toHex(), ZHEX, f);
  assert.equal(PublicKey.parse(Z).toUri(), `pk:${Z}`);
});

test('a host with a port after a bare key does not parse (as in the reference)', () => {
  assert.throws(
    () => PublicKey.parse(`${Z}:6287`),
    (e: PubkyError) => e.code === 'invalid_public_key',
  );
});

test('the invalid-point vector is refused', () => {
  assert.throws(
    () => PublicKey.parse('c1bkg8tfsyy8wcedtmw4fwhdmm7bbzhgg3z58tf43m5ow8w9mbus'),
    (e: PubkyError) => e.code === 'invalid_public_key' && /not a valid Ed25519/.test(e.message),
  );
});

test('garbage never parses as a key and never throws anything but PubkyError', () => {
  for (let i = 0; i < 2000; i++) {
    const s = Buffer.from(randomBytes(i % 70)).toString('latin1');
    try {
      PublicKey.parse(s);
    } catch (e) {
      assert.ok(e instanceof PubkyError, String(e));
    }
  }
  assert.equal(PublicKey.tryParse(''), null);
  assert.throws(() => PublicKey.parseZ32(`pk:${Z}`));
});

test('the zero seed gives the testnet homeserver key; signatures verify', () => {
  const kp = Keypair.fromSecretKey(new Uint8Array(32));
  assert.equal(kp.publicKey.z32, '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo');
  assert.equal(kp.publicKey.toHex(), '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29');
  const msg = new TextEncoder().encode('hello');
  const sig = kp.sign(msg);
  assert.equal(kp.publicKey.verify(msg, sig), true);
  sig[3] ^= 1;
  assert.equal(kp.publicKey.verify(msg, sig), false);
  assert.equal(kp.publicKey.verify(msg, sig.subarray(1)), false);
  assert.equal(Keypair.fromSecretKeyHex(`  ${kp.secretKeyHex()}\n`).publicKey.z32, kp.publicKey.z32);
  assert.throws(
    () => Keypair.fromSecretKeyHex('abcd'),
    (e: PubkyError) => e.code === 'invalid_secret_key',
  );
});
