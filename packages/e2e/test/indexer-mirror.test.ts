// When a user's primary homeserver is down, the indexer reads the user from a homeserver that
// mirrors them (listed in their PKARR record): the mirror's copy is re-read once and its events flow.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair, Pubky, PubkyAppWriter } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { startIndexer, type Indexer } from '@pubky-ts/indexer';

let testnet: Testnet;
let primary: ExtraHomeserver;
let mirror: ExtraHomeserver;
let indexer: Indexer | undefined;
const pubky = () => new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });

before(async () => {
  testnet = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
  primary = await startExtraHomeserver(testnet, { logLevel: 'silent' });
  mirror = await startExtraHomeserver(testnet, { logLevel: 'silent' });
});
after(async () => {
  await indexer?.close();
  await mirror?.close();
  await primary?.close();
  await testnet?.close();
});

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(indexer?.status())}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a user whose primary is down is read from their mirror', async () => {
  const keypair = Keypair.random();
  const signer = pubky().signer(keypair);
  const app = new PubkyAppWriter(await signer.signup(primary.publicKey, await primary.signupToken()));
  const setup = await signer.addMirror(mirror.publicKey, { signupToken: await mirror.signupToken() });
  const friend = Keypair.random().publicKey;
  await app.setProfile({ name: 'Mirrored' });
  for (let i = 0; i < 3; i++) await app.post({ content: `mirrored post ${i}` });
  await app.follow(friend);
  await until(async () => {
    const s = await signer.mirrorStatus(mirror.publicKey, { session: setup.session });
    return s !== null && s.appliedEvents >= 5 && s.pendingEvents === 0;
  }, 'the mirror to copy the writes');
  await primary.close();

  const user = keypair.publicKey.z32;
  indexer = await startIndexer({
    database: ':memory:',
    homeservers: [primary.publicKey.z32],
    pubky: pubky(),
    api: false,
    discover: false,
    follower: { pollMs: 20, requestTimeoutMs: 1000, maxBackoffMs: 300 },
  });
  await until(() => indexer!.status().homeservers[0].consecutiveFailures >= 2, 'the primary to be seen down');
  indexer.follow(mirror.publicKey.z32);
  await until(() => indexer!.reader.userPosts(user, null, 10).items.length === 3, "the user's posts from the mirror");
  assert.deepEqual(
    indexer.reader
      .userPosts(user, null, 10)
      .items.map((p) => p.content)
      .sort(),
    ['mirrored post 0', 'mirrored post 1', 'mirrored post 2'],
  );
  assert.equal(indexer.reader.user(user)?.homeserver, mirror.publicKey.z32);
  assert.equal(indexer.reader.profile(user)?.name, 'Mirrored');
  assert.deepEqual(indexer.reader.relations(user, 'following', null, 10).items, [friend.z32]);
});
