// Account archives between real homeservers of a local testnet: export a tree (pub + priv, several
// sizes, an empty file, unicode paths, duplicate contents) from one, import it on another for the same
// user, and compare the trees; hostile archives are refused with nothing written.
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { concatBytes, Keypair, utf8Encode } from '@pubky-ts/common';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { ArchiveError, exportArchive, importArchive, Pubky, verifyArchive, type ArchiveProgress, type Session } from '@pubky-ts/client';
import { signManifest } from '../../client/src/archive/manifest.ts';
import { END_OF_ARCHIVE, padding, tarHeader } from '../../client/src/archive/tar.ts';

let testnet: Testnet;
let second: ExtraHomeserver;
const dir = mkdtempSync(join(tmpdir(), 'archive-hs-test-'));

before(async () => {
  testnet = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
  second = await startExtraHomeserver(testnet, { logLevel: 'silent' });
});
after(async () => {
  await second?.close();
  await testnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(fetchFn?: typeof fetch): Pubky {
  return new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' }, fetch: fetchFn });
}

function pseudoRandom(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const PNG = concatBytes(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pseudoRandom(3000, 7));
const TREE: Record<string, Uint8Array> = {
  '/pub/app/empty.txt': new Uint8Array(0),
  '/pub/app/one': Uint8Array.of(42),
  '/pub/app/hello.txt': utf8Encode('hello'),
  '/pub/app/copy/hello.txt': utf8Encode('hello'), // duplicate content
  '/pub/app/data.json': utf8Encode(JSON.stringify({ a: 1, b: [true, null] })),
  '/pub/app/image.png': PNG,
  '/pub/app/big.bin': pseudoRandom(1536 * 1024 + 17, 1), // > 1 MiB: streamed, not prefetched
  '/pub/app/ünïcødé/日本語 ファイル.txt': utf8Encode('unicode path'),
  '/pub/app/emoji/🗝 key.md': utf8Encode('# astral plane'),
  '/priv/diary/2026-11-21.md': utf8Encode('private words'),
  '/priv/diary/copy-of-big.bin': pseudoRandom(1536 * 1024 + 17, 1), // duplicate of a large content
  '/priv/keys/ключ.bin': pseudoRandom(10 * 1024, 3),
};

async function fill(session: Session, tree: Record<string, Uint8Array>): Promise<void> {
  await Promise.all(Object.entries(tree).map(([path, bytes]) => session.storage.put(path, bytes)));
}

/** Every file of a session's tree: path → size, ETag, content type and bytes. */
async function snapshot(
  session: Session,
): Promise<Map<string, { size: number; etag: string | null; contentType: string | null; bytes: Uint8Array }>> {
  const out = new Map<string, { size: number; etag: string | null; contentType: string | null; bytes: Uint8Array }>();
  for (const root of ['/pub/', '/priv/']) {
    let urls: string[] = [];
    try {
      for await (const url of session.storage.listAll(root)) urls.push(url);
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
      urls = [];
    }
    for (const url of urls) {
      const path = url.slice(`pubky://${session.publicKey.z32}`.length);
      const stats = (await session.storage.stats(path))!;
      out.set(path, { size: stats.size, etag: stats.etag, contentType: stats.contentType, bytes: await session.storage.getBytes(path) });
    }
  }
  return out;
}

async function exportToFile(session: Session, keypair: Keypair, file: string, onProgress?: (p: ArchiveProgress) => void) {
  return exportArchive(session, keypair, Writable.toWeb(createWriteStream(file)) as WritableStream<Uint8Array>, { onProgress });
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ArchiveError, `an ArchiveError, got ${(e as Error)?.stack ?? String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('export from one homeserver, import on another: identical trees; hostile archives write nothing', async () => {
  const pubky = client();
  const alice = Keypair.random();
  const onFirst = await pubky.signer(alice).signup(testnet.homeserver.publicKey);
  await fill(onFirst, TREE);
  const original = await snapshot(onFirst);
  assert.equal(original.size, Object.keys(TREE).length);

  const file = join(dir, 'alice.tar');
  const phases = new Set<string>();
  let lastWriting: ArchiveProgress | null = null;
  const result = await exportToFile(onFirst, alice, file, (p) => {
    phases.add(p.phase);
    if (p.phase === 'writing') lastWriting = p;
  });
  assert.deepEqual([...phases], ['listing', 'scanning', 'writing']);
  assert.equal(result.files, original.size);
  assert.equal(result.blobs, original.size - 2, 'the two duplicate contents are stored once');
  assert.deepEqual(lastWriting, {
    phase: 'writing',
    files: result.blobs,
    totalFiles: result.blobs,
    bytes: result.bytes,
    totalBytes: result.bytes,
  });
  assert.equal(result.manifest.user, alice.publicKey.z32);
  assert.equal(result.manifest.source, testnet.homeserver.publicKey.z32);
  const archive = new Uint8Array(readFileSync(file));
  assert.equal(archive.length, result.archiveBytes);
  for (const f of result.manifest.files) {
    const o = original.get(f.path)!;
    assert.equal(`"${f.hash}"`, o.etag, `${f.path}: the manifest hash is the homeserver's ETag`);
    assert.equal(f.size, o.size);
    assert.equal(f.contentType, o.contentType);
  }
  assert.equal(result.manifest.files.find((f) => f.path === '/pub/app/image.png')!.contentType, 'image/png');

  // Alice moves: an account on the second homeserver, still empty.
  const onSecond = await pubky.signer(alice).signup(second.publicKey);
  assert.equal((await snapshot(onSecond)).size, 0);

  // Hostile archives, each refused before anything is written.
  const verified = await verifyArchive(archive);
  const big = [...verified.blobs.values()].find((b) => b.size > 1024 * 1024)!;
  const small = [...verified.blobs.values()].find((b) => b.size === 5)!;
  const manifestAt = 512;
  const sigAt = manifestAt + verified.manifestBytes.length + padding(verified.manifestBytes.length).length + 512;
  const bob = Keypair.random();
  const onBobs = await client().signer(bob).signup(testnet.homeserver.publicKey);
  await fill(onBobs, { '/pub/app/bob.txt': utf8Encode('bob') });
  const bobFile = join(dir, 'bob.tar');
  await exportToFile(onBobs, bob, bobFile);
  const stray = utf8Encode('stray');
  const strayEntry = concatBytes(tarHeader(`pubky-archive/blobs/${'ab'.repeat(32)}`, stray.length, 0), stray, padding(stray.length));
  const edits: Array<[string, Uint8Array | Blob, string, RegExp]> = [
    ['a flipped byte in a large blob', flip(archive, big.offset + 1_000_000), 'archive_hash_mismatch', /\/big\.bin|copy-of-big\.bin/],
    [
      'a flipped byte in the manifest',
      flipChar(archive, manifestAt + Buffer.from(verified.manifestBytes).indexOf('/pub/app/one') + 10),
      'archive_signature_invalid',
      /not signed by its user/,
    ],
    [
      'a signature by another key',
      overwrite(archive, sigAt, signManifest(verified.manifestBytes, bob)),
      'archive_signature_invalid',
      /not signed by its user/,
    ],
    ['the manifest of another user', await openAsBlob(bobFile), 'archive_wrong_user', new RegExp(`tree of ${bob.publicKey.z32}`)],
    [
      'a missing blob',
      concatBytes(archive.subarray(0, small.offset - 512), archive.subarray(small.offset + 512)),
      'archive_missing_blob',
      /hello\.txt/,
    ],
    [
      'an extra unreferenced entry',
      concatBytes(archive.subarray(0, archive.length - END_OF_ARCHIVE.length), strayEntry, END_OF_ARCHIVE),
      'archive_unreferenced_entry',
      /manifest does not name/,
    ],
    ['a truncated file', archive.subarray(0, big.offset + 4096), 'archive_truncated', /truncated/],
    ['garbage', pseudoRandom(64 * 1024, 99), 'archive_invalid', /checksum/],
  ];
  for (const [what, bytes, code, message] of edits) {
    await rejectsWith(importArchive(onSecond, bytes), code, message).catch((e) => {
      throw new Error(`${what}: ${(e as Error).message}`);
    });
    assert.equal((await snapshot(onSecond)).size, 0, `${what}: nothing was written`);
  }

  // The real archive, from a file Blob: restored exactly.
  const progress: ArchiveProgress[] = [];
  const imported = await importArchive(onSecond, await openAsBlob(file), { onProgress: (p) => progress.push(p) });
  assert.equal(imported.files, original.size);
  assert.equal(imported.written, original.size);
  assert.equal(imported.unchanged, 0);
  assert.equal(imported.deleted, 0);
  assert.deepEqual(imported.contentTypeDifferences, []);
  assert.deepEqual([...new Set(progress.map((p) => p.phase))], ['verifying', 'uploading', 'checking']);
  const restored = await snapshot(onSecond);
  assert.deepEqual([...restored.keys()].sort(), [...original.keys()].sort());
  for (const [path, o] of original) assert.deepEqual(restored.get(path), o, `${path} is identical (size, ETag, type, bytes)`);
  // The data really is on the second homeserver (not read back from the first).
  const direct = await fetch(`${second.url}/pub/app/hello.txt`, { headers: { 'pubky-host': alice.publicKey.z32 } });
  assert.equal(await direct.text(), 'hello');

  // Again: everything is already there, nothing is written.
  const again = await importArchive(onSecond, archive);
  assert.equal(again.written, 0);
  assert.equal(again.unchanged, original.size);

  // A used account: a changed file is restored, an extra one kept by default and removed with prune.
  await onSecond.storage.put('/pub/app/hello.txt', utf8Encode('changed'));
  await onSecond.storage.put('/priv/new/extra.txt', utf8Encode('extra'));
  const keep = await importArchive(onSecond, archive);
  assert.equal(keep.written, 1);
  assert.equal(keep.deleted, 0);
  assert.equal(await onSecond.storage.getText('/pub/app/hello.txt'), 'hello');
  assert.ok(await onSecond.storage.exists('/priv/new/extra.txt'));
  const pruned = await importArchive(onSecond, archive, { prune: true });
  assert.equal(pruned.deleted, 1);
  assert.equal(pruned.written, 0);
  const final = await snapshot(onSecond);
  assert.deepEqual([...final.keys()].sort(), [...original.keys()].sort());
});

test('an export whose file changes between its HEAD and its GET fails and aborts the output', async () => {
  let session: Session | null = null;
  let fired = false;
  const intercept: typeof fetch = async (input, init) => {
    const url = input.toString();
    if (!fired && session && (init?.method ?? 'GET') === 'GET' && url.includes('/pub/app/changing.txt')) {
      fired = true;
      await session.storage.put('/pub/app/changing.txt', utf8Encode('after'));
    }
    return fetch(input, init);
  };
  const pubky = client(intercept);
  const carol = Keypair.random();
  session = await pubky.signer(carol).signup(testnet.homeserver.publicKey);
  await fill(session, { '/pub/app/changing.txt': utf8Encode('before'), '/pub/app/stable.txt': utf8Encode('stable') });
  const chunks: Uint8Array[] = [];
  let aborted: unknown = null;
  const output = new WritableStream<Uint8Array>({
    write: (c) => {
      chunks.push(c);
    },
    abort: (reason) => {
      aborted = reason;
    },
  });
  await rejectsWith(
    exportArchive(session, carol, output),
    'archive_source_changed',
    /\/pub\/app\/changing\.txt changed .* run the export again/,
  );
  assert.ok(fired);
  assert.ok(aborted instanceof ArchiveError, 'the output stream was aborted with the error');

  // A key that is not the session's cannot sign its archive.
  await assert.rejects(exportArchive(session, Keypair.random(), new WritableStream()), { code: 'invalid_argument' });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] ^= 0x01;
  return out;
}

/** Changes one path character to another letter (the JSON stays valid). */
function flipChar(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] = out[at] === 0x71 ? 0x72 : 0x71;
  return out;
}

function overwrite(bytes: Uint8Array, at: number, part: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.set(part, at);
  return out;
}

test('a large file is streamed through the export in pieces, never held whole', async () => {
  const pubky = client();
  const dave = Keypair.random();
  const session = await pubky.signer(dave).signup(testnet.homeserver.publicKey);
  const big = pseudoRandom(6 * 1024 * 1024, 11);
  await session.storage.put('/pub/app/six.bin', big);
  const sizes: number[] = [];
  const output = new WritableStream<Uint8Array>({
    write: (c) => {
      sizes.push(c.length);
    },
  });
  const result = await exportArchive(session, dave, output);
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    result.archiveBytes,
  );
  assert.ok(result.archiveBytes > big.length);
  assert.ok(Math.max(...sizes) <= 1024 * 1024, `the largest chunk written was ${Math.max(...sizes)} bytes`);
  assert.ok(sizes.length >= 6, `${sizes.length} writes`);
});
