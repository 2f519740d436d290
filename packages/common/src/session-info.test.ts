import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex, randomBytes } from './bytes.ts';
import { PubkyError } from './errors.ts';
import { Keypair } from './keys.ts';
import { decodeSessionInfo, encodeSessionInfo } from './session-info.ts';

test('the SessionInfo vector of homeserver spec §3.3.3', () => {
  const publicKey = Keypair.fromSecretKey(new Uint8Array(32)).publicKey;
  const bytes = encodeSessionInfo({ publicKey, createdAt: 0, userAgent: 'foo', capabilities: ['/:rw'] });
  assert.equal(bytesToHex(bytes), '00' + publicKey.toHex() + '0000' + '03666f6f' + '01042f3a7277');
  const back = decodeSessionInfo(bytes);
  assert.equal(back.userAgent, 'foo');
  assert.deepEqual(back.capabilities, ['/:rw']);
  const big = decodeSessionInfo(encodeSessionInfo({ publicKey, createdAt: 1700000000000000, capabilities: [] }));
  assert.equal(big.createdAt, 1700000000000000);
});

test('garbage SessionInfo bytes throw PubkyError only', () => {
  for (let i = 0; i < 2000; i++) {
    try {
      decodeSessionInfo(randomBytes(i % 90));
    } catch (e) {
      assert.ok(e instanceof PubkyError, String(e));
    }
  }
});
