// Events: every write and delete on a homeserver is an event; readers follow a user's changes
// from a cursor, and can stay connected for new ones (live).
//   node --import tsx examples/events.ts
import { Keypair, Pubky } from '@pubky-ts/client';
import { runExample } from './local-network.ts';

await runExample(async (net, pubky) => {
  const keypair = Keypair.random();
  const session = await pubky.signer(keypair).signup(net.homeserver, await net.signupToken());
  console.log(`user: ${keypair.publicKey.z32}`);
  await session.storage.putText('/pub/example.app/a.txt', 'a');
  await session.storage.putText('/pub/example.app/b.txt', 'b');
  await session.storage.putText('/pub/other.app/c.txt', 'c');
  await session.storage.delete('/pub/example.app/a.txt');

  // A reader (an indexer, a feed) replays what happened, filtered to one app's directory.
  const reader = new Pubky(net.options);
  let cursor: string | undefined;
  for await (const e of reader.events({ users: [keypair.publicKey], paths: ['/pub/example.app/'] })) {
    console.log(`event ${e.type} ${e.path} cursor=${e.cursor}`);
    cursor = e.cursor;
  }

  // Live: resume after the last cursor and wait for new events; stop after two.
  const live = (async () => {
    const seen: string[] = [];
    for await (const e of reader.events({
      users: [{ key: keypair.publicKey, cursor }],
      paths: ['/pub/example.app/'],
      live: true,
      limit: 2,
    })) {
      console.log(`live event ${e.type} ${e.path}`);
      seen.push(e.path);
    }
    return seen;
  })();
  await new Promise((r) => setTimeout(r, 200)); // let the reader connect (it would catch up from the cursor anyway)
  await session.storage.putText('/pub/example.app/d.txt', 'd');
  await session.storage.putText('/pub/other.app/ignored.txt', 'not in the filter');
  await session.storage.delete('/pub/example.app/b.txt');
  const seen = await live;
  console.log(`live events received: ${seen.length}`);

  // The homeserver-wide feed (/events/) that indexers poll page by page.
  const page = await reader.eventsFeed(net.homeserver, { limit: 100 });
  console.log(`homeserver feed: ${page.events.length} events, next cursor ${page.cursor}`);
  console.log('done');
});
