// A user who migrates to another homeserver is followed there: the copy's events re-apply the same
// records (keyed by user and id, so nothing doubles), new writes flow from the new home, and writes
// left behind on the old homeserver are not the user's any more.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair, Pubky, PubkyAppWriter } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { startIndexer, type Indexer } from '@pubky-ts/indexer';

let testnet: Testnet;
let next: ExtraHomeserver;
let indexer: Indexer;
const pubky = () => new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });

before(async () => {
  testnet = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
  next = await startExtraHomeserver(testnet, { logLevel: 'silent' });
  indexer = await startIndexer({
    database: ':memory:',
    homeservers: [testnet.homeserver.publicKey.z32, next.publicKey.z32],
    pubky: pubky(),
    discover: false,
    follower: { pollMs: 20 },
  });
});
after(async () => {
  await indexer?.close();
  await next?.close();
  await testnet?.close();
});

test('a migrated user is indexed from the new homeserver once, and the old one no longer speaks for them', async () => {
  const keypair = Keypair.random();
  const signer = pubky().signer(keypair);
  const old = new PubkyAppWriter(await signer.signup(testnet.homeserver.publicKey, null));
  const friend = Keypair.random().publicKey;
  await old.setProfile({ name: 'Mover' });
  const written = [];
  for (let i = 0; i < 3; i++) written.push(await old.post({ content: `before the move ${i}` }));
  await old.follow(friend);
  await old.deletePost(written[1].id);
  await indexer.caughtUp();
  const user = keypair.publicKey.z32;
  assert.equal(indexer.reader.user(user)?.homeserver, testnet.homeserver.publicKey.z32);

  const report = await signer.migrate({ to: next.publicKey, signupToken: await next.signupToken() });
  assert.equal(report.to.z32, next.publicKey.z32);
  const moved = new PubkyAppWriter(await signer.signinAt(next.publicKey));
  const after = await moved.post({ content: 'after the move' });
  // The old session still writes to the old homeserver: not the user's home any more.
  const stale = await old.post({ content: 'left behind' });
  await indexer.caughtUp();

  assert.equal(indexer.reader.user(user)?.homeserver, next.publicKey.z32);
  const posts = indexer.reader.userPosts(user, null, 100).items;
  assert.deepEqual(posts.map((p) => p.content).sort(), ['after the move', 'before the move 0', 'before the move 2']);
  assert.equal(indexer.reader.post(user, stale.id), null);
  assert.equal(indexer.reader.post(user, after.id)?.content, 'after the move');
  assert.deepEqual(indexer.reader.relations(user, 'following', null, 10).items, [friend.z32]);
  const profile = indexer.reader.profile(user)!;
  assert.equal(profile.counts.posts, 3);
  assert.equal(profile.name, 'Mover');
  const nextRow = indexer.reader.homeservers().find((h) => h.id === next.publicKey.z32)!;
  assert.ok(nextRow.applied >= 4, `the copy was read from the new homeserver (${nextRow.applied})`);
  // More writes left behind after the index knows of the move are skipped inside the transaction.
  const skippedBefore = indexer.reader.homeservers().find((h) => h.id === testnet.homeserver.publicKey.z32)!.skipped;
  const late = await old.post({ content: 'also left behind' });
  await indexer.caughtUp();
  assert.equal(indexer.reader.post(user, late.id), null);
  assert.equal(indexer.reader.homeservers().find((h) => h.id === testnet.homeserver.publicKey.z32)!.skipped, skippedBefore + 1);
});
