// Account archives without a network: the ustar codec as `tar` reads it, the manifest and its
// signature, and every hostile archive refused with its own error code (including fuzzing).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { base64Encode, blake3, bytesToHex, concatBytes, Keypair, utf8Decode, utf8Encode } from '@pubky-ts/common';
import { ArchiveError, ClientError, readArchiveManifest, verifyArchive } from '../src/index.ts';
import { encodeManifest, signManifest, type ArchiveFile, type ArchiveManifest } from '../src/archive/manifest.ts';
import { END_OF_ARCHIVE, padding, parseHeader, tarHeader } from '../src/archive/tar.ts';

interface Entry {
  name: string;
  bytes: Uint8Array;
}

function entry(e: Entry): Uint8Array {
  return concatBytes(tarHeader(e.name, e.bytes.length, 1_700_000_000), e.bytes, padding(e.bytes.length));
}

function tar(entries: Entry[], tail: Uint8Array = END_OF_ARCHIVE): Uint8Array {
  return concatBytes(...entries.map(entry), tail);
}

interface Built {
  bytes: Uint8Array;
  manifest: ArchiveManifest;
  manifestBytes: Uint8Array;
  blobs: Entry[];
}

/** An archive of `files` for `owner`, built the way exportArchive writes it; `tweak` bends the parts. */
async function build(
  owner: Keypair,
  files: Array<{ path: string; text: string | Uint8Array; contentType?: string | null }>,
  tweak: {
    signer?: Keypair;
    manifest?: (m: ArchiveManifest) => void;
    text?: (json: string) => string;
    blobs?: (b: Entry[]) => Entry[];
    signature?: (s: Uint8Array) => Uint8Array;
  } = {},
): Promise<Built> {
  const list: ArchiveFile[] = [];
  const blobs: Entry[] = [];
  const seen = new Set<string>();
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  for (const f of sorted) {
    const bytes = typeof f.text === 'string' ? utf8Encode(f.text) : f.text;
    const digest = await blake3(bytes);
    list.push({
      path: f.path,
      size: bytes.length,
      hash: base64Encode(digest),
      contentType: f.contentType === undefined ? 'text/plain' : f.contentType,
    });
    if (!seen.has(bytesToHex(digest))) {
      seen.add(bytesToHex(digest));
      blobs.push({ name: `pubky-archive/blobs/${bytesToHex(digest)}`, bytes });
    }
  }
  const manifest: ArchiveManifest = {
    format: 'pubky-archive',
    version: 1,
    user: owner.publicKey.z32,
    createdAt: '2026-11-21T03:00:00.000Z',
    source: null,
    files: list,
  };
  tweak.manifest?.(manifest);
  const manifestBytes = tweak.text ? utf8Encode(tweak.text(utf8Decode(encodeManifest(manifest)))) : encodeManifest(manifest);
  let signature = signManifest(manifestBytes, tweak.signer ?? owner);
  if (tweak.signature) signature = tweak.signature(signature);
  const body = tweak.blobs ? tweak.blobs(blobs) : blobs;
  const bytes = tar([
    { name: 'pubky-archive/manifest.json', bytes: manifestBytes },
    { name: 'pubky-archive/manifest.sig', bytes: signature },
    ...body,
  ]);
  return { bytes, manifest, manifestBytes, blobs };
}

const alice = Keypair.random();
const FILES = [
  { path: '/pub/app/a.txt', text: 'hello' },
  { path: '/pub/app/b.txt', text: 'hello' }, // same content: one blob
  { path: '/priv/notes/ünïcødé 🗝.md', text: 'secret notes', contentType: 'text/markdown' },
  { path: '/pub/app/empty', text: '', contentType: null },
  { path: '/pub/app/big.bin', text: new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff), contentType: 'application/octet-stream' },
];

async function refused(bytes: Uint8Array, code: string, message?: RegExp, options: { expectedUser?: string } = {}): Promise<void> {
  await assert.rejects(verifyArchive(bytes, options), (e: unknown) => {
    assert.ok(e instanceof ArchiveError, `an ArchiveError, got ${(e as Error)?.stack ?? String(e)}`);
    assert.ok((e as unknown) instanceof ClientError, 'archive errors are ClientErrors');
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('a built archive verifies, lists with tar, and keeps one blob per distinct content', async () => {
  const built = await build(alice, FILES);
  const v = await verifyArchive(built.bytes);
  assert.deepEqual(v.manifest, built.manifest);
  assert.equal(v.blobs.size, 4, 'five files, four distinct contents');
  assert.equal(v.archiveBytes, built.bytes.length);
  for (const b of built.blobs) {
    const hex = b.name.slice('pubky-archive/blobs/'.length);
    const where = v.blobs.get(hex)!;
    assert.deepEqual(built.bytes.subarray(where.offset, where.offset + where.size), b.bytes, `${b.name} is located exactly`);
  }
  assert.deepEqual((await readArchiveManifest(new Blob([built.bytes.slice()]))).files, built.manifest.files);

  // The system tar reads it: names, sizes, and the manifest's exact bytes.
  const dir = mkdtempSync(join(tmpdir(), 'archive-test-'));
  try {
    const file = join(dir, 'a.tar');
    writeFileSync(file, built.bytes);
    const listing = execFileSync('tar', ['tvf', file], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(listing.length, 6);
    assert.match(listing[0], /pubky\/pubky .* pubky-archive\/manifest\.json$/);
    assert.match(listing[1], / 129 .*pubky-archive\/manifest\.sig$/);
    assert.match(listing.join('\n'), / 70000 .*pubky-archive\/blobs\/[0-9a-f]{64}/);
    const manifest = execFileSync('tar', ['xOf', file, 'pubky-archive/manifest.json']);
    assert.deepEqual(new Uint8Array(manifest), built.manifestBytes);
    assert.equal(
      JSON.parse(manifest.toString('utf8')).files[0].path,
      '/priv/notes/ünïcødé 🗝.md',
      'sorted by UTF-8 bytes: /priv/ before /pub/',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty tree is a valid archive', async () => {
  const built = await build(alice, []);
  const v = await verifyArchive(built.bytes);
  assert.deepEqual(v.manifest.files, []);
  assert.match(utf8Decode(built.manifestBytes), /"files":\[\]\}\n$/);
});

test('tampered contents: a flipped byte in a blob or the manifest, another signer, another user', async () => {
  const built = await build(alice, FILES);
  const v = await verifyArchive(built.bytes);
  const big = [...v.blobs.values()].find((b) => b.size === 70_000)!;
  const flipped = built.bytes.slice();
  flipped[big.offset + 12_345] ^= 0x01;
  await refused(flipped, 'archive_hash_mismatch', /\/pub\/app\/big\.bin .*does not match its hash/);

  // A changed letter of a path inside manifest.json: still JSON, no longer what was signed.
  const m = built.bytes.slice();
  const at = Buffer.from(m).indexOf('/pub/app/a.txt');
  m[at + 9] = 'z'.charCodeAt(0);
  await refused(m, 'archive_signature_invalid', /not signed by its user/);

  const mallory = Keypair.random();
  await refused((await build(alice, FILES, { signer: mallory })).bytes, 'archive_signature_invalid', new RegExp(alice.publicKey.z32));
  // Mallory's own archive claiming Alice's files but naming Mallory verifies as Mallory's, and is
  // refused where Alice's is expected.
  const theirs = await build(mallory, FILES);
  await verifyArchive(theirs.bytes);
  await refused(theirs.bytes, 'archive_wrong_user', /holds the tree of/, { expectedUser: alice.publicKey.z32 });

  await refused((await build(alice, FILES, { signature: (s) => s.slice(0, 128) })).bytes, 'archive_signature_invalid', /manifest\.sig/);
  await refused(
    (await build(alice, FILES, { signature: (s) => utf8Encode(utf8Decode(s).toUpperCase()) })).bytes,
    'archive_signature_invalid',
  );
});

test('missing, extra, duplicate and mis-sized blobs', async () => {
  await refused((await build(alice, FILES, { blobs: (b) => b.slice(1) })).bytes, 'archive_missing_blob', /lacks the content of/);
  const stray = utf8Encode('not in the manifest');
  const strayName = `pubky-archive/blobs/${bytesToHex(await blake3(stray))}`;
  await refused(
    (await build(alice, FILES, { blobs: (b) => [...b, { name: strayName, bytes: stray }] })).bytes,
    'archive_unreferenced_entry',
    /manifest does not name/,
  );
  await refused((await build(alice, FILES, { blobs: (b) => [...b, b[0]] })).bytes, 'archive_duplicate_entry', /twice/);
  await refused(
    (await build(alice, FILES, { blobs: (b) => [...b, { name: 'pubky-archive/extra.txt', bytes: stray }] })).bytes,
    'archive_invalid',
    /unexpected entry "pubky-archive\/extra\.txt"/,
  );
  // A blob whose name matches the manifest but whose bytes are another length.
  await refused(
    (await build(alice, FILES, { blobs: (b) => b.map((e) => (e.bytes.length === 5 ? { name: e.name, bytes: utf8Encode('hello!') } : e)) }))
      .bytes,
    'archive_size_mismatch',
    /6 bytes in the archive, but the manifest says 5/,
  );
  // Same length, other bytes: the hash check catches it.
  await refused(
    (await build(alice, FILES, { blobs: (b) => b.map((e) => (e.bytes.length === 5 ? { name: e.name, bytes: utf8Encode('jello') } : e)) }))
      .bytes,
    'archive_hash_mismatch',
  );
});

test('manifests that are signed but wrong are still refused', async () => {
  const cases: Array<[string, (m: ArchiveManifest) => void, RegExp]> = [
    ['unsorted', (m) => m.files.reverse(), /out of order/],
    ['a directory path', (m) => (m.files[0].path = '/pub/app/'), /not a canonical file path/],
    ['outside /pub/ and /priv/', (m) => (m.files[0].path = '/etc/passwd'), /not under \/pub\/ or \/priv\//],
    ['a dot segment', (m) => (m.files[0].path = '/pub/../priv/x'), /not a canonical file path/],
    ['a negative size', (m) => (m.files[0].size = -1), /size/],
    ['a bad hash', (m) => (m.files[0].hash = 'abc'), /hash/],
    ['a control character in the type', (m) => (m.files[0].contentType = 'text/plain\n'), /contentType/],
    ['another version', (m) => ((m as { version: number }).version = 2), /version 2 is not supported/],
  ];
  for (const [what, tweak, message] of cases) {
    const built = await build(alice, FILES, { manifest: tweak });
    await refused(built.bytes, 'archive_manifest_invalid', message).catch((e) => {
      throw new Error(`${what}: ${(e as Error).message}`);
    });
  }
  const texts: Array<[string, (t: string) => string, RegExp]> = [
    ['an unknown field', (t) => t.replace('"version":1,', '"version":1,"extra":1,'), /unknown field "extra"/],
    ['a missing field', (t) => t.replace(',"source":null', ''), /lacks the field "source"/],
    ['not JSON', (t) => t.slice(0, -5), /not UTF-8 JSON/],
    ['a user that is not a key', (t) => t.replace(/"user":"[^"]+"/, '"user":"alice"'), /"user" is not a z-base-32 public key/],
  ];
  for (const [what, tweak, message] of texts) {
    const built = await build(alice, FILES, { text: tweak });
    await refused(built.bytes, 'archive_manifest_invalid', message).catch((e) => {
      throw new Error(`${what}: ${(e as Error).message}`);
    });
  }
  // Two paths with one hash but different sizes.
  await refused(
    (await build(alice, FILES, { manifest: (m) => (m.files[1].size = 6) })).bytes,
    'archive_manifest_invalid',
    /different size/,
  );
});

test('tar structure: truncation anywhere, garbage, wrong entry order, bad checksums and trailing bytes', async () => {
  const built = await build(alice, FILES);
  // Every cut point, at a 97-byte stride plus each block boundary.
  const cuts = new Set<number>();
  for (let n = 0; n < built.bytes.length; n += 97) cuts.add(n);
  for (let n = 0; n < built.bytes.length; n += 512) cuts.add(n);
  for (const n of cuts) {
    await refused(built.bytes.subarray(0, n), 'archive_truncated', /truncated/).catch((e) => {
      throw new Error(`cut at ${n}: ${(e as Error).message}`);
    });
  }
  await refused(new Uint8Array(0), 'archive_truncated');
  await refused(utf8Encode('PK\x03\x04 this is a zip file, not a tar file'.repeat(40)), 'archive_invalid', /checksum/);
  await refused(crypto.getRandomValues(new Uint8Array(8192)), 'archive_invalid');

  // The signature before the manifest.
  const [manifestEntry, sigEntry] = [
    { name: 'pubky-archive/manifest.json', bytes: built.manifestBytes },
    { name: 'pubky-archive/manifest.sig', bytes: signManifest(built.manifestBytes, alice) },
  ];
  await refused(tar([sigEntry, manifestEntry, ...built.blobs]), 'archive_invalid', /first entry is "pubky-archive\/manifest\.sig"/);
  await refused(tar([manifestEntry, ...built.blobs]), 'archive_signature_invalid', /signature is missing/);

  // A header whose checksum does not add up; a non-ustar magic; a symlink entry.
  const badSum = built.bytes.slice();
  badSum[10] ^= 0x20;
  await refused(badSum, 'archive_invalid', /checksum .* at byte 0/);
  const rewrite = (mutate: (h: Uint8Array) => void) => {
    const out = built.bytes.slice();
    const h = out.subarray(0, 512);
    mutate(h);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.set(utf8Encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    return out;
  };
  await refused(
    rewrite((h) => h.set(utf8Encode('ustar  \0'), 257)),
    'archive_invalid',
    /not POSIX ustar/,
  );
  await refused(
    rewrite((h) => (h[156] = '2'.charCodeAt(0))),
    'archive_invalid',
    /not a regular file/,
  );
  await refused(
    rewrite((h) => h.set(utf8Encode('9'), 124)),
    'archive_invalid',
    /size field is not an octal number/,
  );
  await refused(
    rewrite((h) => h.set(utf8Encode('x'), 345)),
    'archive_invalid',
    /prefix/,
  );
  assert.equal(
    parseHeader(rewrite(() => {}).subarray(0, 512), 0)?.name,
    'pubky-archive/manifest.json',
    'the re-checksummed header itself is fine',
  );

  // Non-zero padding, bytes after the end marker, a lone zero block.
  const pad = built.bytes.slice();
  pad[512 + built.manifestBytes.length + 3] = 1;
  await refused(pad, 'archive_invalid', /padding after pubky-archive\/manifest\.json is not zero/);
  await refused(concatBytes(built.bytes, utf8Encode('x')), 'archive_invalid', /bytes follow the end-of-archive marker/);
  await verifyArchive(concatBytes(built.bytes, new Uint8Array(8192))); // record padding of zeros is fine
  const lone = tar([manifestEntry, sigEntry], concatBytes(new Uint8Array(512), entry(built.blobs[0]), END_OF_ARCHIVE));
  await refused(lone, 'archive_invalid', /lone zero block/);
});

test('fuzz: random mutations, cuts and splices of a valid archive end in an ArchiveError or the same archive', async () => {
  const built = await build(alice, FILES.slice(0, 4));
  const original = await verifyArchive(built.bytes);
  let seed = 0x9e3779b9;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const deadline = Date.now() + 8000;
  const counts: Record<string, number> = {};
  let iterations = 0;
  for (; iterations < 3000 && Date.now() < deadline; iterations++) {
    let bytes: Uint8Array = built.bytes.slice();
    const kind = rand(5);
    if (kind === 0) for (let k = 1 + rand(4); k > 0; k--) bytes[rand(bytes.length)] = rand(256);
    else if (kind === 1) bytes[rand(bytes.length)] ^= 1 << rand(8);
    else if (kind === 2) bytes = bytes.subarray(0, rand(bytes.length));
    else if (kind === 3) {
      const at = rand(bytes.length);
      bytes = concatBytes(bytes.subarray(0, at), crypto.getRandomValues(new Uint8Array(1 + rand(1024))), bytes.subarray(at));
    } else {
      const a = rand(bytes.length);
      const len = rand(2048);
      bytes = concatBytes(bytes.subarray(0, a), bytes.subarray(Math.min(bytes.length, a + len)));
    }
    try {
      const v = await verifyArchive(bytes);
      // Accepted only if nothing that matters changed (e.g. a byte of a numeric field's filler).
      assert.deepEqual(v.manifest, original.manifest);
      assert.deepEqual([...v.blobs.keys()].sort(), [...original.blobs.keys()].sort());
      counts.accepted = (counts.accepted ?? 0) + 1;
    } catch (e) {
      assert.ok(e instanceof ArchiveError, `iteration ${iterations}: ${(e as Error)?.stack ?? String(e)}`);
      counts[e.code] = (counts[e.code] ?? 0) + 1;
    }
  }
  assert.ok(iterations >= 500, `only ${iterations} iterations ran in the time bound`);
  assert.ok((counts.archive_invalid ?? 0) > 0 && (counts.archive_truncated ?? 0) > 0, JSON.stringify(counts));
});
