// Encrypted files through the SDK against a real homeserver: what the server stores is age
// ciphertext; the owner, an app's scope key and a named reader open it; ranged reads fetch only the
// chunks asked for.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair, utf8Encode } from '@pubky-ts/common';
import { EncryptedStorage, isAgeFile, Keyring, MemoryPacketSource, Pubky } from '@pubky-ts/client';
import { CHUNK } from '../../client/src/crypto/age-stream.ts';
import { pattern } from '../../client/src/crypto/age-test-helpers.ts';
import { recordingFetch, startTestHomeserver, type TestHomeserver } from './helpers.ts';

const source = new MemoryPacketSource();
let hs: TestHomeserver;
before(async () => {
  hs = await startTestHomeserver(source);
});
after(async () => {
  await hs.stop();
});

async function user(fetchFn?: ReturnType<typeof recordingFetch>['fn']) {
  const keypair = Keypair.random();
  const pubky = new Pubky({ packetSource: source, ...(fetchFn ? { fetch: fetchFn } : {}) });
  const session = await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
  return { keypair, pubky, session, enc: new EncryptedStorage(session.storage, Keyring.fromKeypair(keypair)) };
}

test('the homeserver stores age ciphertext; the owner reads it back, small and streamed', async () => {
  const alice = await user();
  await alice.enc.putEncrypted('/priv/notes/today.txt', 'meet at noon');
  const stored = await alice.session.storage.getBytes('/priv/notes/today.txt');
  assert.ok(isAgeFile(stored), 'what the server holds is an age file');
  assert.ok(!Buffer.from(stored).includes('meet at noon'));
  assert.equal(await alice.enc.getDecryptedText('/priv/notes/today.txt'), 'meet at noon');

  const big = pattern(5 * CHUNK + 333, 3);
  async function* pieces() {
    for (let off = 0; off < big.length; off += 50_000) yield big.subarray(off, off + 50_000);
  }
  await alice.enc.putEncrypted('/priv/notes/big.bin', pieces());
  assert.deepEqual(await alice.enc.getDecrypted('/priv/notes/big.bin'), big);
  // A plain file is not mistaken for an encrypted one.
  await alice.session.storage.putText('/priv/notes/plain.txt', 'plain');
  await assert.rejects(alice.enc.getDecrypted('/priv/notes/plain.txt'), { code: 'age_malformed_header' });
});

test('a reader named in `to` opens the file with their own key; a stranger cannot', async () => {
  const alice = await user();
  const bob = await user();
  const carol = await user();
  await alice.enc.putEncrypted('/pub/shared/for-bob.txt', 'hi bob', { to: [bob.keypair.publicKey] });
  const address = `pubky://${alice.keypair.publicKey.z32}/pub/shared/for-bob.txt`;
  assert.equal(await bob.enc.getDecryptedText(address), 'hi bob');
  await assert.rejects(carol.enc.getDecryptedText(address), { code: 'age_no_matching_key' });
  // Anyone can fetch the ciphertext from /pub/, and learns nothing from it.
  const raw = await carol.pubky.publicStorage.getBytes(address);
  assert.ok(isAgeFile(raw) && !Buffer.from(raw).includes('hi bob'));
});

test('an app holding only its scope key opens its scope and nothing else', async () => {
  const alice = await user();
  await alice.enc.putEncrypted('/priv/example.app/sub/a.txt', 'in scope');
  await alice.enc.putEncrypted('/priv/other.app/b.txt', 'out of scope');
  const app = new EncryptedStorage(
    alice.session.storage,
    Keyring.fromScopeKeys(alice.keypair.publicKey, Keyring.scopeKeysFor(alice.keypair, ['/priv/example.app/'])),
  );
  assert.equal(await app.getDecryptedText('/priv/example.app/sub/a.txt'), 'in scope');
  await assert.rejects(app.getDecryptedText('/priv/other.app/b.txt'), { code: 'age_no_matching_key' });
  // What the app writes in its scope, the owner opens with their key.
  await app.putEncrypted('/priv/example.app/new.txt', 'from the app');
  assert.equal(await alice.enc.getDecryptedText('/priv/example.app/new.txt'), 'from the app');
});

test('a ranged read over HTTP fetches the header and only the chunks of the range', async () => {
  const rec = recordingFetch();
  const alice = await user(rec.fn);
  const plain = pattern(8 * CHUNK + 99, 11);
  await alice.enc.putEncrypted('/priv/video.bin', plain);
  rec.log.length = 0;
  const file = await alice.enc.openRanged('/priv/video.bin');
  assert.equal(file.size, plain.length);
  assert.deepEqual(await file.read(3 * CHUNK + 10, 4 * CHUNK + 20), plain.subarray(3 * CHUNK + 10, 4 * CHUNK + 20));
  assert.deepEqual(await file.read(plain.length - 5, plain.length), plain.subarray(plain.length - 5));
  const ranges = rec.log.filter((r) => r.method === 'GET').map((r) => r.headers.range);
  assert.equal(ranges.length, 3, `one probe for the header, one per read: ${ranges.join(', ')}`);
  for (const r of ranges) {
    const [s, e] = r!.replace('bytes=', '').split('-').map(Number);
    assert.ok(e! - s! < 2 * (CHUNK + 16), `range ${r} is at most two chunks`);
  }
  // The file changes under an open reader: the next read fails instead of mixing versions.
  await alice.enc.putEncrypted('/priv/video.bin', utf8Encode('replaced'));
  await assert.rejects(file.read(0, 10), { code: 'encrypted_file_changed' });
});
