// Shares by public key against a real homeserver: a file share hands over the file key without
// re-uploading the content; a folder share opens files written later; unshare removes the envelope.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { EncryptedStorage, Keyring, MemoryPacketSource, Pubky } from '@pubky-ts/client';
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
  return { keypair, session, enc: new EncryptedStorage(session.storage, Keyring.fromKeypair(keypair)) };
}

test('a file share adds a reader without re-uploading the content; unshare removes it', { timeout: 30_000 }, async () => {
  const rec = recordingFetch();
  const alice = await user(rec.fn);
  const [bob, carol] = [await user(), await user()];
  const big = pattern(600_000, 4);
  await alice.enc.putEncrypted('/pub/docs/report.bin', big);
  const address = `pubky://${alice.keypair.publicKey.z32}/pub/docs/report.bin`;
  await assert.rejects(bob.enc.getDecrypted(address), { code: 'age_no_matching_key' });
  const etag = (await alice.session.storage.stats('/pub/docs/report.bin'))!.etag;

  rec.log.length = 0;
  await alice.enc.share('/pub/docs/report.bin', bob.keypair.publicKey);
  const puts = rec.log.filter((r) => r.method === 'PUT');
  assert.equal(puts.length, 1, 'one PUT: the envelope');
  assert.match(puts[0]!.url, /\/pub\/pubky-ts\.shares\//);
  const fetched = rec.log.filter((r) => r.method === 'GET').map((r) => r.headers.range);
  assert.deepEqual(fetched, ['bytes=0-65535'], 'only the header region was read');
  assert.equal((await alice.session.storage.stats('/pub/docs/report.bin'))!.etag, etag, 'the content was not rewritten');

  assert.deepEqual(await bob.enc.getDecrypted(address), big);
  const part = await (await bob.enc.openRanged(address)).read(200_000, 200_100);
  assert.deepEqual(part, big.subarray(200_000, 200_100));
  await assert.rejects(carol.enc.getDecrypted(address), { code: 'age_no_matching_key' });

  await alice.enc.unshare('/pub/docs/report.bin', bob.keypair.publicKey);
  await assert.rejects(bob.enc.getDecrypted(address), { code: 'age_no_matching_key' });
});

test('a folder share opens files written later below it, and nothing beside it', { timeout: 30_000 }, async () => {
  const alice = await user();
  const bob = await user();
  const owner = `pubky://${alice.keypair.publicKey.z32}`;
  await alice.enc.share('/pub/photos/', bob.keypair.publicKey);
  await alice.enc.putEncrypted('/pub/photos/2026/beach.jpg', 'later photo');
  await alice.enc.putEncrypted('/pub/notes/private.txt', 'beside it');
  assert.equal(await bob.enc.getDecryptedText(`${owner}/pub/photos/2026/beach.jpg`), 'later photo');
  await assert.rejects(bob.enc.getDecryptedText(`${owner}/pub/notes/private.txt`), { code: 'age_no_matching_key' });
  await alice.enc.unshare('/pub/photos/', bob.keypair.publicKey);
  await alice.enc.putEncrypted('/pub/photos/2026/after.jpg', 'after unshare');
  await assert.rejects(bob.enc.getDecryptedText(`${owner}/pub/photos/2026/after.jpg`), { code: 'age_no_matching_key' });
  // A share needs a key: an app without the folder's scope cannot share it.
  const app = new EncryptedStorage(alice.session.storage, Keyring.fromScopeKeys(alice.keypair.publicKey, []));
  await assert.rejects(app.share('/pub/photos/', bob.keypair.publicKey), { code: 'encryption_invalid_argument' });
});
