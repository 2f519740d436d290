import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import { Decrypter, Encrypter } from 'age-encryption';
import { Keypair } from '@pubky-ts/common';
import { ageKeyPairOf, ageRecipientOf, decodeIdentity, decodeRecipient, encodeIdentity, encodeRecipient } from './age-keys.ts';
import { decryptAgeBytes, encryptAgeBytes, openAgeRanged, bytesStream, readAll } from './age-file.ts';
import { headerLength, openHeader } from './age-header.ts';
import { CHUNK, encryptTransform, NONCE_SIZE, payloadKey } from './age-stream.ts';
import { memorySource, pattern, requireAgeCli, runAge } from './age-test-helpers.ts';

// Sizes around the chunk boundaries, where STREAM's last-chunk rule bites.
const SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 7];

test("a pubky's age recipient is the X25519 public key of its age identity (birational map both ways)", () => {
  for (let i = 0; i < 20; i++) {
    const kp = Keypair.random();
    const { identity, recipient } = ageKeyPairOf(kp);
    assert.deepEqual(decodeRecipient(ageRecipientOf(kp.publicKey)), recipient);
    assert.deepEqual(x25519.getPublicKey(identity), recipient);
    assert.match(ageRecipientOf(kp.publicKey.z32), /^age1[02-9ac-hj-np-z]{58}$/);
    assert.match(encodeIdentity(identity), /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
    assert.deepEqual(decodeIdentity(encodeIdentity(identity)), identity);
  }
});

test('bad age keys are invalid_age_key errors that do not echo the text', () => {
  const secret = encodeIdentity(ageKeyPairOf(Keypair.random()).identity);
  const broken = secret.slice(0, -1) + (secret.endsWith('Q') ? 'P' : 'Q');
  for (const text of ['', 'age1', 'age1qqqq', broken, secret.toLowerCase(), encodeRecipient(new Uint8Array(32)).replace('age1', 'agx1')]) {
    assert.throws(
      () => (text.startsWith('AGE') || text === secret.toLowerCase() ? decodeIdentity(text) : decodeRecipient(text)),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'invalid_age_key');
        assert.ok(!e.message.includes(secret.slice(16, 40)), 'the message must not hold the key');
        return true;
      },
    );
  }
  assert.throws(() => decodeRecipient(secret), { code: 'invalid_age_key' });
});

test('the age CLI decrypts what the SDK wrote, and the SDK decrypts what the age CLI wrote', async () => {
  requireAgeCli();
  const kp = Keypair.random();
  const { identity, recipient } = ageKeyPairOf(kp);
  const dir = mkdtempSync(join(tmpdir(), 'pubky-age-'));
  try {
    const idFile = join(dir, 'identity.txt');
    writeFileSync(idFile, `${encodeIdentity(identity)}\n`, { mode: 0o600 });
    for (const size of SIZES) {
      const plain = pattern(size, size + 1);
      const ours = (await encryptAgeBytes(plain, [recipient])).bytes;
      assert.deepEqual(await runAge(['-d', '-i', idFile], ours), plain, `age -d of the SDK's ${size}-byte file`);
      const theirs = await runAge(['-r', ageRecipientOf(kp.publicKey)], plain);
      assert.deepEqual(await decryptAgeBytes(theirs, { identities: [identity] }), plain, `SDK decrypt of age's ${size}-byte file`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the node:crypto payload is byte for byte the payload age-encryption writes for the same key and nonce', async () => {
  const { identity, recipient } = ageKeyPairOf(Keypair.random());
  for (const size of SIZES) {
    const plain = pattern(size, 7 * size + 3);
    const encrypter = new Encrypter();
    encrypter.addRecipient(encodeRecipient(recipient));
    const theirs = await encrypter.encrypt(plain);
    const end = headerLength(theirs);
    const fileKey = await openHeader(theirs.subarray(0, end), { identities: [identity] });
    const nonce = theirs.subarray(end, end + NONCE_SIZE);
    const ourPayload = await readAll(bytesStream(plain).pipeThrough(encryptTransform(payloadKey(fileKey, nonce))));
    assert.deepEqual(ourPayload, theirs.subarray(end + NONCE_SIZE), `payload of ${size} bytes`);
    // And the library reads the SDK's files.
    const decrypter = new Decrypter();
    decrypter.addIdentity(encodeIdentity(identity));
    assert.deepEqual(await decrypter.decrypt((await encryptAgeBytes(plain, [recipient])).bytes), plain);
  }
});

test('several recipients each open the file; streaming input in odd pieces gives the same plaintext', async () => {
  const a = ageKeyPairOf(Keypair.random());
  const b = ageKeyPairOf(Keypair.random());
  const plain = pattern(3 * CHUNK + 100);
  const { bytes } = await encryptAgeBytes(plain, [a.recipient, b.recipient]);
  assert.deepEqual(await decryptAgeBytes(bytes, { identities: [a.identity] }), plain);
  assert.deepEqual(await decryptAgeBytes(bytes, { identities: [b.identity] }), plain);
  const { decryptAge } = await import('./age-file.ts');
  const pieces = new ReadableStream<Uint8Array>({
    start(c) {
      for (let off = 0; off < bytes.length; off += 977) c.enqueue(bytes.slice(off, off + 977));
      c.close();
    },
  });
  assert.deepEqual(await readAll(await decryptAge(pieces, { identities: [b.identity] })), plain);
});

test('a ranged read fetches and opens only the chunks the range lies in', async () => {
  const { identity, recipient } = ageKeyPairOf(Keypair.random());
  const plain = pattern(5 * CHUNK + 1234, 9);
  const { bytes } = await encryptAgeBytes(plain, [recipient]);
  const source = memorySource(bytes);
  const file = await openAgeRanged(source, { identities: [identity] });
  assert.equal(file.size, plain.length);
  const ranges: Array<[number, number]> = [
    [0, 0],
    [0, 1],
    [CHUNK - 3, CHUNK + 3],
    [2 * CHUNK, 3 * CHUNK],
    [5 * CHUNK, plain.length],
    [plain.length - 1, plain.length],
    [0, plain.length],
  ];
  for (const [s, e] of ranges) {
    source.reads.length = 0;
    assert.deepEqual(await file.read(s, e), plain.subarray(s, e), `range ${s}-${e}`);
    const fetched = source.reads.reduce((n, [, len]) => n + len, 0);
    const chunks = e === s ? 0 : Math.floor((e - 1) / CHUNK) - Math.floor(s / CHUNK) + 1;
    assert.ok(fetched <= chunks * (CHUNK + 16), `range ${s}-${e} fetched ${fetched} bytes for ${chunks} chunks`);
  }
  await assert.rejects(file.read(0, plain.length + 1), { code: 'encryption_invalid_argument' });
  await assert.rejects(file.read(5, 4), { code: 'encryption_invalid_argument' });
  // Empty file.
  const empty = await openAgeRanged(memorySource((await encryptAgeBytes(new Uint8Array(0), [recipient])).bytes), {
    identities: [identity],
  });
  assert.equal(empty.size, 0);
  assert.deepEqual(await empty.read(0, 0), new Uint8Array(0));
});

test("our header MAC is the library's for its own headers; a directory stanza is skipped by the age CLI and opens alone", async () => {
  const { headerMac, DIR_STANZA } = await import('./age-header.ts');
  const { identity, recipient } = ageKeyPairOf(Keypair.random());
  const encrypter = new Encrypter();
  encrypter.addRecipient(encodeRecipient(recipient));
  const theirs = await encrypter.encrypt(pattern(100));
  const end = headerLength(theirs);
  const text = new TextDecoder().decode(theirs.subarray(0, end));
  const noMac = new TextEncoder().encode(text.slice(0, text.lastIndexOf('---') + 3));
  const fileKey = await openHeader(theirs.subarray(0, end), { identities: [identity] });
  assert.equal(Buffer.from(headerMac(fileKey, noMac)).toString('base64').replace(/=+$/, ''), text.trim().split(' ').pop());

  requireAgeCli();
  const dirKey = new Uint8Array(32).fill(42);
  const plain = pattern(2 * CHUNK + 1);
  const { bytes } = await encryptAgeBytes(plain, [recipient], [dirKey]);
  assert.ok(new TextDecoder().decode(bytes.subarray(0, headerLength(bytes))).includes(`-> ${DIR_STANZA} `));
  assert.deepEqual(await decryptAgeBytes(bytes, { directoryKeys: [dirKey] }), plain);
  await assert.rejects(decryptAgeBytes(bytes, { directoryKeys: [new Uint8Array(32).fill(43)] }), { code: 'age_no_matching_key' });
  const dir = mkdtempSync(join(tmpdir(), 'pubky-age-'));
  try {
    writeFileSync(join(dir, 'id'), `${encodeIdentity(identity)}\n`, { mode: 0o600 });
    assert.deepEqual(await runAge(['-d', '-i', join(dir, 'id')], bytes), plain);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
