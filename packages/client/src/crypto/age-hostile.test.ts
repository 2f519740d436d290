// Hostile age files: every mutation is a typed EncryptionError, never plaintext that differs from
// what was written, never a crash. Both the streaming and the ranged reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { ageKeyPairOf } from './age-keys.ts';
import { bytesStream, decryptAge, decryptAgeBytes, encryptAgeBytes, openAgeRanged, readAll } from './age-file.ts';
import { EncryptionError } from './encryption-error.ts';
import { headerLength } from './age-header.ts';
import { CHUNK, NONCE_SIZE, SEALED_CHUNK } from './age-stream.ts';
import { memorySource, pattern } from './age-test-helpers.ts';

const me = ageKeyPairOf(Keypair.random());
const other = ageKeyPairOf(Keypair.random());
const plain = pattern(3 * CHUNK + 500, 5);
const { bytes: file } = await encryptAgeBytes(plain, [me.recipient]);
const payloadStart = headerLength(file) + NONCE_SIZE;

/** Both readers must refuse `bytes` with one of `codes` (or, for the ranged one, at open or on read). */
async function refused(bytes: Uint8Array, codes: string[], what: string): Promise<void> {
  const check = (e: unknown) => {
    assert.ok(e instanceof EncryptionError, `${what}: ${String(e)} is not an EncryptionError`);
    assert.ok(codes.includes(e.code), `${what}: code ${e.code}, expected one of ${codes.join(', ')}`);
    return true;
  };
  await assert.rejects(decryptAgeBytes(bytes, { identities: [me.identity] }), check, what);
  await assert.rejects(
    (async () => readAll(await decryptAge(bytesStream(bytes), { identities: [me.identity] })))(),
    check,
    `${what} (stream)`,
  );
  // The same bytes arriving in small pieces.
  const pieces = new ReadableStream<Uint8Array>({
    start(c) {
      for (let off = 0; off < bytes.length; off += 4099) c.enqueue(bytes.slice(off, off + 4099));
      c.close();
    },
  });
  await assert.rejects(
    (async () => readAll(await decryptAge(pieces, { identities: [me.identity] })))(),
    check,
    `${what} (stream in pieces)`,
  );
  await assert.rejects(
    (async () => {
      const f = await openAgeRanged(memorySource(bytes), { identities: [me.identity] });
      return f.read(0, f.size);
    })(),
    check,
    `${what} (ranged)`,
  );
}

test('a wrong key and a header for another recipient are age_no_matching_key', async () => {
  await assert.rejects(decryptAgeBytes(file, { identities: [other.identity] }), { code: 'age_no_matching_key' });
  await assert.rejects(decryptAgeBytes(file, {}), { code: 'age_no_matching_key' });
  const { bytes: theirs } = await encryptAgeBytes(plain, [other.recipient]);
  await refused(theirs, ['age_no_matching_key'], 'file for another recipient');
  // Another file's key (as from a share envelope) does not open this one.
  const { fileKey } = await encryptAgeBytes(new Uint8Array(5), [me.recipient]);
  await assert.rejects(decryptAgeBytes(file, { fileKeys: [fileKey] }), { code: 'age_no_matching_key' });
});

test('a header from another file spliced onto this payload fails: its key opens the header, not the payload', async () => {
  const { bytes: second } = await encryptAgeBytes(plain, [me.recipient]);
  const spliced = new Uint8Array([...second.subarray(0, headerLength(second) + NONCE_SIZE), ...file.subarray(payloadStart)]);
  await refused(spliced, ['age_payload_tampered'], 'spliced header');
});

test('a file cut anywhere is refused (age_truncated, age_malformed_header or age_payload_tampered)', async () => {
  const cuts = [
    0,
    5,
    21,
    headerLength(file) - 1,
    payloadStart - 3,
    payloadStart,
    payloadStart + 15,
    payloadStart + SEALED_CHUNK,
    payloadStart + 2 * SEALED_CHUNK,
    payloadStart + 3 * SEALED_CHUNK,
    file.length - 1,
  ];
  for (let i = 0; i < 20; i++) cuts.push(Math.floor(Math.random() * file.length));
  for (const cut of cuts)
    await refused(file.subarray(0, cut), ['age_truncated', 'age_malformed_header', 'age_payload_tampered'], `cut at ${cut}`);
  // Cut exactly at a chunk boundary: the honest code.
  await assert.rejects(decryptAgeBytes(file.subarray(0, payloadStart + 2 * SEALED_CHUNK), { identities: [me.identity] }), {
    code: 'age_truncated',
  });
});

test('one flipped bit anywhere (header, MAC, nonce, any chunk, any tag) is refused', async () => {
  const spots = [
    0,
    10,
    30,
    headerLength(file) - 5,
    headerLength(file) + 1,
    payloadStart,
    payloadStart + CHUNK + 3,
    payloadStart + SEALED_CHUNK - 1,
    file.length - 1,
  ];
  for (let i = 0; i < 40; i++) spots.push(Math.floor(Math.random() * file.length));
  for (const at of spots) {
    const bad = Uint8Array.from(file);
    bad[at]! ^= 1 << Math.floor(Math.random() * 8);
    await refused(bad, ['age_payload_tampered', 'age_header_tampered', 'age_malformed_header', 'age_no_matching_key'], `bit flip at ${at}`);
  }
});

test('swapped, dropped, duplicated chunks and appended bytes are refused', async () => {
  const chunk = (i: number) => file.subarray(payloadStart + i * SEALED_CHUNK, Math.min(file.length, payloadStart + (i + 1) * SEALED_CHUNK));
  const head = file.subarray(0, payloadStart);
  const build = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));
  await refused(build(head, chunk(1), chunk(0), chunk(2), chunk(3)), ['age_payload_tampered'], 'swapped chunks 0 and 1');
  await refused(build(head, chunk(0), chunk(2), chunk(3)), ['age_payload_tampered'], 'dropped chunk 1');
  await refused(
    build(head, chunk(0), chunk(0), chunk(1), chunk(2), chunk(3)),
    ['age_payload_tampered', 'age_truncated'],
    'duplicated chunk 0',
  );
  await refused(build(head, chunk(0), chunk(1), chunk(2), chunk(3), new Uint8Array([0])), ['age_payload_tampered'], 'one byte appended');
  await refused(build(head, chunk(0), chunk(1), chunk(3)), ['age_payload_tampered'], 'final chunk moved up');
});

test('random and hostile bytes never crash and are typed errors', async () => {
  const prefix = new TextEncoder().encode('age-encryption.org/v1\n');
  const inputs: Uint8Array[] = [
    new Uint8Array(0),
    new TextEncoder().encode('age-encryption.org/v1\n-> X25519 !!!\n--- AAAA\n'),
    new TextEncoder().encode('age-encryption.org/v1\n--- \n'),
    new Uint8Array(300 * 1024).fill(0x41),
  ];
  for (let i = 0; i < 200; i++) {
    const random = pattern(1 + Math.floor(Math.random() * 2000), i + 100);
    inputs.push(i % 2 ? random : new Uint8Array([...prefix, ...random]));
  }
  for (const [i, bytes] of inputs.entries()) {
    await refused(
      bytes,
      ['age_malformed_header', 'age_no_matching_key', 'age_header_tampered', 'age_truncated', 'age_payload_tampered'],
      `hostile input ${i}`,
    );
  }
});
