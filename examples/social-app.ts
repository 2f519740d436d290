// A small social app on Pubky: users on two homeservers write posts, replies, follows and tags with
// the SDK (each into their own tree), and read their home feed, threads, search and suggestions
// from the indexer, the app's backend, which follows both homeservers.
//   node --import tsx examples/social-app.ts
import { Keypair, Pubky, PubkyAppWriter } from '@pubky-ts/client';
import { IndexerClient } from '@pubky-ts/indexer';
import { startExtraHomeserver, startTestnet } from '@pubky-ts/testnet';

const net = await startTestnet({ signupMode: 'open', logLevel: 'silent', indexer: true });
const second = await startExtraHomeserver(net, { logLevel: 'silent' });
try {
  console.log(`network: a testnet with two homeservers and an indexer at ${net.indexer!.url}`);
  const pubky = new Pubky({ relays: [net.pkarrRelay.url], testnet: { host: 'localhost' } });
  const join = async (name: string, onSecond: boolean) => {
    const session = await pubky
      .signer(Keypair.random())
      .signup(onSecond ? second.publicKey : net.homeserver.publicKey, onSecond ? await second.signupToken() : null);
    const app = new PubkyAppWriter(session);
    await app.setProfile({ name, bio: `${name} on the ${onSecond ? 'second' : 'first'} homeserver` });
    return app;
  };
  const ana = await join('Ana', false);
  const ben = await join('Ben', false);
  const cleo = await join('Cleo', true);

  await ana.follow(ben.user);
  await ana.follow(cleo.user);
  await ben.follow(cleo.user);
  await cleo.follow(ana.user);
  const question = await cleo.post({ content: 'Which seeds grow best on a balcony?' });
  await ben.post({ content: 'Tomatoes, every time.', parent: question });
  await ana.post({ content: 'Basil and mint here.', parent: question });
  await ana.tag(question, 'gardening');
  await ben.tag(question, 'gardening');
  await ben.tag(cleo.user, 'gardener');

  // The backend: wait until it has read everything written so far, then query it.
  await net.indexer!.caughtUp();
  const api = new IndexerClient(net.indexer!.url!);
  const profile = await api.profile(cleo.user);
  console.log(`profile: ${profile.name}, ${profile.counts.followers} followers, ${profile.counts.posts} post`);
  const feed = await api.feed(ana.user);
  console.log(`ana's feed: ${feed.items.map((p) => JSON.stringify(p.content)).join(', ')}`);
  const thread = await api.post(cleo.user, question.id);
  console.log(`thread: ${thread.replies.items.length} replies, tags ${thread.tags.map((t) => `${t.label}×${t.count}`).join(' ')}`);
  const found = await api.searchPosts('balcony');
  console.log(`search "balcony": ${found.items.map((p) => p.content).join(' | ')}`);
  const hot = await api.hotTags();
  console.log(`hot tags: ${hot.tags.map((t) => t.label).join(', ')}`);
  const who = await api.whoToFollow(cleo.user);
  console.log(`cleo could follow: ${who.users.map((u) => (u.user === ben.user.z32 ? 'Ben' : u.user)).join(', ')}`);
  const status = await api.status();
  console.log(`indexer follows ${status.homeservers.length} homeservers (${status.homeservers.map((h) => h.source).join(', ')})`);
  console.log('done');
} finally {
  await second.close();
  await net.close();
}
