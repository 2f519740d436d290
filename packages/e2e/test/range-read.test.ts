// The SDK's range reads (`getRange`) against a real homeserver over HTTP, for blob and inline files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { Pubky, MemoryPacketSource, ClientError, PubkyHttpError, type Session } from '@pubky-ts/client';
import { rangeHeader, readRange } from '../../client/src/range-read.ts';
import { startTestHomeserver, type TestHomeserver } from './helpers.ts';

const source = new MemoryPacketSource();
let hs: TestHomeserver;
let session: Session;
let pubky: Pubky;
const big = new Uint8Array(200_000).map((_, i) => (i * 7 + (i >> 10)) & 0xff);

before(async () => {
  hs = await startTestHomeserver(source, { open: true });
  pubky = new Pubky({ packetSource: source });
  session = await pubky.signer(Keypair.random()).signup(hs.publicKey);
  await session.storage.put('/pub/r/big.bin', big);
  await session.storage.putText('/pub/r/small.txt', 'hello, ranges');
});
after(() => hs.stop());

test('getRange reads the bytes asked for, from the owner and from anyone, blob and inline', async () => {
  const owner = session.storage;
  let r = await owner.getRange('/pub/r/big.bin', { start: 70_000, end: 70_099 });
  assert.deepEqual([r.start, r.end, r.size, r.partial, r.bytes.length], [70_000, 70_099, big.length, true, 100]);
  assert.deepEqual(r.bytes, big.subarray(70_000, 70_100));
  r = await owner.getRange('/pub/r/big.bin', { suffix: 5 });
  assert.deepEqual(r.bytes, big.subarray(big.length - 5));
  r = await owner.getRange('/pub/r/small.txt', { start: 7 });
  assert.equal(new TextDecoder().decode(r.bytes), 'ranges');
  const url = `pubky://${session.publicKey.z32}/pub/r/big.bin`;
  r = await pubky.publicStorage.getRange(url, { start: 0, end: 9 });
  assert.deepEqual(r.bytes, big.subarray(0, 10));

  const stats = await owner.stats('/pub/r/big.bin');
  r = await owner.getRange('/pub/r/big.bin', { start: 1, end: 2 }, { ifRange: stats!.etag! });
  assert.equal(r.partial, true);
  await session.storage.put('/pub/r/big.bin', big.subarray(0, 1000));
  r = await owner.getRange('/pub/r/big.bin', { start: 1, end: 2 }, { ifRange: stats!.etag! });
  assert.equal(r.partial, false, 'the file changed: the whole new file');
  assert.deepEqual(r.bytes, big.subarray(0, 1000));
  await assert.rejects(owner.getRange('/pub/r/big.bin', { start: 5000 }), (e: unknown) => e instanceof PubkyHttpError && e.status === 416);
});

test('impossible ranges are refused before any request; a 206 that disagrees with itself is refused', async () => {
  for (const bad of [{ start: -1 }, { start: 1.5 }, { start: 5, end: 4 }, { suffix: 0 }, { start: Number.MAX_SAFE_INTEGER + 2 }]) {
    assert.throws(
      () => rangeHeader(bad as never),
      (e: unknown) => e instanceof ClientError && e.code === 'invalid_argument',
      JSON.stringify(bad),
    );
  }
  assert.equal(rangeHeader({ start: 3 }), 'bytes=3-');
  const lying = (contentRange: string, body: string) => new Response(body, { status: 206, headers: { 'content-range': contentRange } });
  for (const [cr, body] of [
    ['bytes 0-9/100', 'short'],
    ['bytes 5-2/100', ''],
    ['bytes 0-4/3', 'abcde'],
    ['items 0-4/10', 'abcde'],
    ['', 'abcde'],
  ]) {
    await assert.rejects(
      readRange(lying(cr!, body!), { start: 0 }, false),
      (e: unknown) => e instanceof ClientError && e.code === 'invalid_response',
      cr,
    );
  }
  // A server that ignores Range: the SDK cuts the part out of the whole file itself.
  const whole = await readRange(new Response('0123456789', { status: 200 }), { start: 2, end: 4 }, false);
  assert.deepEqual([new TextDecoder().decode(whole.bytes), whole.start, whole.end, whole.size, whole.partial], ['234', 2, 4, 10, false]);
});
