import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthToken } from './auth-token.ts';
import { bytesToHex, hexToBytes, randomBytes } from './bytes.ts';
import { PubkyError } from './errors.ts';
import { Keypair } from './keys.ts';

const ZERO = Keypair.fromSecretKey(new Uint8Array(32));
const TS = 1700000000000000;

test('the AuthToken vector of homeserver spec §3.1.2 is reproduced byte for byte', () => {
  const t = AuthToken.sign(ZERO, '/:rw', TS);
  assert.equal(
    bytesToHex(t.bytes),
    '072028a652776bb0aa92409809ad200896ac39894ccb96c2078158efdec3b7e093300a437dedf23d77f0cf7cf899b359e7ffbbb937a79ada3e812dbb9fe53106' +
      '5055424b593a41555448' +
      '00' +
      '00060a24181e4000' +
      '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29' +
      '042f3a7277',
  );
  assert.equal(bytesToHex(t.replayId), '00060a24181e40003b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29');
});

test('the derived token of spec §11.6 verifies at its own time', () => {
  const hex =
    '3b64d32fe5a2fc040380ec58974ce3818b892fdac7c9e1b955e48ec912171f08afec2db4300edb08bf9b8f167dc8399f1ecc5be0d114c7958e3ab349bbae1e045055424b593a415554480000060a24181e40003b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29122f7075622f7075626b792e6170702f3a7277';
  const t = AuthToken.verify(hexToBytes(hex), { nowMicros: TS });
  assert.equal(t.capabilities.toString(), '/pub/pubky.app/:rw');
  assert.equal(t.publicKey.z32, ZERO.publicKey.z32);
});

test('the time window is ±180 s and the signature starts at byte 65', () => {
  const t = AuthToken.sign(ZERO, '/pub/app/:rw', TS);
  assert.ok(AuthToken.verify(t.bytes, { nowMicros: TS + 180e6 }));
  assert.throws(() => AuthToken.verify(t.bytes, { nowMicros: TS + 181e6 }), /more than 3 minutes in the past/);
  assert.throws(() => AuthToken.verify(t.bytes, { nowMicros: TS - 181e6 }), /more than 3 minutes in the future/);
  const unsignedByte = Uint8Array.from(t.bytes);
  unsignedByte[64] = 0x58; // 'X' replaces 'P': not covered, as in the reference
  assert.ok(AuthToken.verify(unsignedByte, { nowMicros: TS }));
  const forged = Uint8Array.from(t.bytes);
  forged[forged.length - 1] ^= 1;
  assert.throws(
    () => AuthToken.verify(forged, { nowMicros: TS }),
    (e: PubkyError) => e.code === 'auth_token_invalid_signature' || e.code === 'auth_token_bad_capabilities',
  );
  const sigFlip = Uint8Array.from(t.bytes);
  sigFlip[10] ^= 1;
  assert.throws(
    () => AuthToken.verify(sigFlip, { nowMicros: TS }),
    (e: PubkyError) => e.message === 'Invalid Signature',
  );
});

test('truncated, versioned and badly capped tokens get precise errors', () => {
  const t = AuthToken.sign(ZERO, '/pub/app/:rw', TS);
  for (const n of [0, 1, 64, 74, 75, 100, 115]) {
    assert.throws(
      () => AuthToken.parse(t.bytes.subarray(0, n)),
      (e: PubkyError) => e.code === 'auth_token_truncated',
      `len ${n}`,
    );
  }
  assert.throws(
    () => AuthToken.parse(t.bytes.subarray(0, 120)),
    (e: PubkyError) => e.code === 'postcard_unexpected_end',
  );
  const v1 = Uint8Array.from(t.bytes);
  v1[74] = 1;
  assert.throws(
    () => AuthToken.parse(v1),
    (e: PubkyError) => e.message === 'Unknown version',
  );
  assert.throws(
    () => AuthToken.sign(ZERO, '/pub//x/:rw', TS),
    (e: PubkyError) => e.code === 'invalid_capability',
  );
});

test('random and mutated tokens never throw anything but PubkyError', () => {
  const t = AuthToken.sign(ZERO, '/pub/app/:rw,/pub/foo.txt:r', TS);
  for (let i = 0; i < 3000; i++) {
    const b = i % 2 === 0 ? randomBytes(i % 200) : Uint8Array.from(t.bytes);
    if (i % 2 === 1) for (let j = 0; j < 1 + (i % 4); j++) b[(i * 7 + j * 13) % b.length] = (i * 31 + j) & 0xff;
    try {
      AuthToken.verify(b, { nowMicros: TS });
    } catch (e) {
      assert.ok(e instanceof PubkyError, String(e));
    }
  }
});
