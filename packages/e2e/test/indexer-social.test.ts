// Users on two homeservers write pubky.app records through the SDK; the indexer follows the first
// homeserver from its config, discovers the second through PKARR, and serves the graph.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair, Pubky, PubkyAppWriter, type Session } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { IndexerClient, type IndexerClientError, startIndexer, verifyIndex, type Indexer } from '@pubky-ts/indexer';

let testnet: Testnet;
let second: ExtraHomeserver;
let indexer: Indexer;
let api: IndexerClient;
const pubky = () => new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });
const users: Record<string, { session: Session; app: PubkyAppWriter; key: string }> = {};

async function signup(name: string, homeserver: 'first' | 'second') {
  const kp = Keypair.random();
  const hs = homeserver === 'first' ? testnet.homeserver.publicKey : second.publicKey;
  const session = await pubky()
    .signer(kp)
    .signup(hs, homeserver === 'first' ? null : await second.signupToken());
  users[name] = { session, app: new PubkyAppWriter(session), key: kp.publicKey.z32 };
  return users[name];
}

before(async () => {
  testnet = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
  second = await startExtraHomeserver(testnet, { logLevel: 'silent' });
  await signup('alice', 'first');
  await signup('bob', 'first');
  await signup('carol', 'second');
  await signup('dave', 'second');
  indexer = await startIndexer({
    database: ':memory:',
    homeservers: [testnet.homeserver.publicKey.z32],
    pubky: pubky(),
    follower: { pollMs: 20 },
  });
  api = new IndexerClient(indexer.url!);
});

after(async () => {
  await indexer?.close();
  await second?.close();
  await testnet?.close();
});

test('posts, replies, follows and tags across two homeservers show in profiles, feeds, threads, tags, search and suggestions', async () => {
  const { alice, bob, carol, dave } = users;
  await alice.app.setProfile({ name: 'Alice', bio: 'writes about rust and gardens' });
  await carol.app.setProfile({ name: 'Carol', bio: 'bitcoin and bread' });
  await alice.app.follow(bob.key);
  await alice.app.follow(carol.key);
  await bob.app.follow(alice.key);
  await bob.app.follow(dave.key);
  await carol.app.follow(alice.key);
  const hello = await carol.app.post({ content: 'Hello from the second homeserver, sourdough today' });
  const reply = await alice.app.post({ content: 'Looks great!', parent: hello });
  await bob.app.post({ content: 'rust ownership explained' });
  await alice.app.tag(hello, 'bread');
  await bob.app.tag(hello, 'bread');
  await bob.app.tag(hello, 'food');
  await alice.app.tag(carol.session.publicKey, 'baker');
  await dave.app.setProfile({ name: 'Dave' });
  await alice.app.tag(dave.session.publicKey, 'baker');
  // Carol and Dave live on the second homeserver: the indexer finds it through the users Alice follows and tags.
  await waitFor(() => indexer.status().homeservers.length === 2, 'the second homeserver to be discovered');
  await indexer.caughtUp();

  const profile = await api.profile(alice.key);
  assert.equal(profile.name, 'Alice');
  assert.deepEqual(profile.counts, { posts: 1, followers: 2, following: 2, friends: 2, tags: 0, replies: 1 });
  assert.deepEqual((await api.followers(alice.key)).items.sort(), [bob.key, carol.key].sort());
  assert.deepEqual((await api.friends(alice.key)).items.sort(), [bob.key, carol.key].sort());

  const feed = await api.feed(alice.key);
  assert.deepEqual(
    feed.items.map((p) => p.content),
    ['rust ownership explained', 'Hello from the second homeserver, sourdough today'],
  );
  const thread = await api.post(carol.key, hello.id);
  assert.equal(thread.post.counts.replies, 1);
  assert.equal(thread.replies.items[0].uri, reply.uri);
  assert.deepEqual(
    thread.tags.map((t) => [t.label, t.count]),
    [
      ['bread', 2],
      ['food', 1],
    ],
  );
  assert.deepEqual(thread.tags[0].taggers.sort(), [alice.key, bob.key].sort());
  assert.deepEqual(
    (await api.userTags(carol.key)).tags.map((t) => t.label),
    ['baker'],
  );
  assert.equal((await api.hotTags()).tags[0].label, 'bread');
  assert.deepEqual(
    (await api.searchPosts('sourdo')).items.map((p) => p.id),
    [hello.id],
  );
  assert.deepEqual(
    (await api.searchUsers('gardens')).items.map((u) => u.id),
    [alice.key],
  );
  // Alice follows Bob, who follows Dave; Alice tagged Dave "baker" herself.
  const wtf = (await api.whoToFollow(alice.key)).users;
  assert.equal(wtf[0].user, dave.key);
  assert.equal(wtf[0].via, 1);
});

test('deletes and edits are applied; paging walks every item once', async () => {
  const { bob } = users;
  const written = [];
  for (let i = 0; i < 7; i++) written.push(await bob.app.post({ content: `numbered post ${i}` }));
  await bob.app.deletePost(written[3].id);
  await bob.app.editPost(written[4].id, { content: 'edited post four', kind: 'short' });
  await bob.app.unfollow(users.dave.key);
  await indexer.caughtUp();
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.posts(bob.key, { limit: 2, cursor });
    seen.push(...page.items.map((p) => p.content));
    cursor = page.next ?? undefined;
  } while (cursor);
  assert.deepEqual(seen, [
    'numbered post 6',
    'numbered post 5',
    'edited post four',
    'numbered post 2',
    'numbered post 1',
    'numbered post 0',
    'rust ownership explained',
  ]);
  assert.equal((await api.profile(bob.key)).counts.following, 1);
  assert.deepEqual(
    (await api.searchPosts('edited')).items.map((p) => p.id),
    [written[4].id],
  );
  assert.equal((await api.searchPosts('numbered 3')).items.length, 0);
});

test('an invalid record is refused, reported in /status, and drops what the path held before', async () => {
  const { bob } = users;
  const post = await bob.app.post({ content: 'soon broken' });
  await bob.session.storage.putJson(post.path, { content: 'x'.repeat(3000), kind: 'short' });
  await bob.session.storage.putJson('/pub/pubky.app/posts/not-an-id', { content: 'hi', kind: 'short' });
  await indexer.caughtUp();
  await assert.rejects(api.post(bob.key, post.id), (e: IndexerClientError) => e.status === 404 && e.code === 'post_not_found');
  const status = await api.status();
  const reasons = status.recentInvalid.filter((r) => r.user === bob.key).map((r) => r.reason);
  assert.ok(
    reasons.some((r) => /content must have at most 2000/.test(r)),
    JSON.stringify(reasons),
  );
  assert.ok(
    reasons.some((r) => /timestamp id/.test(r)),
    JSON.stringify(reasons),
  );
  const first = status.homeservers.find((h) => h.id === testnet.homeserver.publicKey.z32)!;
  assert.ok((first.invalid as number) >= 2);
  assert.equal(first.follower?.caughtUp, true);
});

test('bad queries get precise 4xx codes from the catalogue', async () => {
  const cases: Array<[string, number, string]> = [
    ['/v0/users/nope', 400, 'invalid_user_key'],
    [`/v0/users/${Keypair.random().publicKey.z32}`, 404, 'user_not_found'],
    [`/v0/users/${users.alice.key}/posts?limit=0`, 400, 'invalid_limit'],
    [`/v0/users/${users.alice.key}/posts?limit=101`, 400, 'invalid_limit'],
    [`/v0/users/${users.alice.key}/posts?cursor=abc`, 400, 'invalid_cursor'],
    [`/v0/users/${users.alice.key}/followers?cursor=1.2`, 400, 'invalid_cursor'],
    [`/v0/posts/${users.alice.key}/lowercase0000`, 400, 'invalid_post_id'],
    [`/v0/posts/${users.alice.key}/0000000000000`, 404, 'post_not_found'],
    ['/v0/search/posts', 400, 'invalid_query'],
    ['/v0/search/posts?q=%22%22%20*', 400, 'invalid_query'],
    ['/v0/tags/hot?since=-1', 400, 'invalid_since'],
    ['/v0/nothing', 404, 'route_not_found'],
  ];
  for (const [path, status, code] of cases) {
    const res = await fetch(`${indexer.url}${path}`);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(res.status, status, path);
    assert.equal(body.error, code, path);
    assert.ok(body.message.length > 10, path);
  }
  const post = await fetch(`${indexer.url}/v0/posts`, { method: 'POST' });
  assert.equal(post.status, 405);
  // FTS syntax in a query is searched as words, never parsed as FTS.
  assert.equal((await fetch(`${indexer.url}/v0/search/posts?q=${encodeURIComponent('NEAR( "x* OR ) AND')}`)).status, 200);
});

test('the OpenAPI document lists every route, and every listed GET route answers JSON', async () => {
  const doc = (await (await fetch(`${indexer.url}/openapi.json`)).json()) as {
    openapi: string;
    paths: Record<string, { get: { operationId: string } }>;
  };
  assert.equal(doc.openapi, '3.1.0');
  const { alice, carol } = users;
  const hello = (await api.posts(carol.key)).items.at(-1)!;
  for (const [path, item] of Object.entries(doc.paths)) {
    assert.ok(item.get.operationId, path);
    if (path === '/v0/stream/posts') continue;
    const url = path.replace('{user}', path.startsWith('/v0/posts/') ? carol.key : alice.key).replace('{post}', hello.id);
    const res = await fetch(`${indexer.url}${url}${path.includes('search') ? '?q=hello' : ''}`);
    assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
    await res.json();
  }
});

test('the live stream pushes a new post once it is indexed', async () => {
  const ac = new AbortController();
  const res = await fetch(`${indexer.url}/v0/stream/posts`, { signal: ac.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const written = await users.alice.app.post({ content: 'live!' });
  let text = '';
  const deadline = Date.now() + 5000;
  while (!text.includes(written.id) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
  ac.abort();
  assert.match(text, new RegExp(`event: post\\nid: ${users.alice.key}:${written.id}\\ndata: \\{.*"content":"live!"`));
});

async function waitFor(cond: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(indexer.status())} ${JSON.stringify(indexer.reader.homeservers())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('verify finds no drift in a caught-up index, and reports rows that went missing or stale', async () => {
  await indexer.caughtUp();
  const keys = Object.values(users).map((u) => u.key);
  const clean = await verifyIndex(indexer.reader, pubky(), { users: keys, recheckAfterMs: 50 });
  assert.equal(clean.checkedUsers, keys.length);
  assert.ok(clean.checkedRecords > 20);
  assert.deepEqual(clean.drift, []);
  // Break the index behind the follower's back: a follow row gone, a post's text changed.
  const { alice } = users;
  indexer.db.prepare('DELETE FROM follows WHERE follower = ? AND followee = ?').run(alice.key, users.bob.key);
  const post = (await api.posts(alice.key)).items.find((p) => p.parent === null)!;
  indexer.db.prepare('UPDATE posts SET content = ? WHERE author = ? AND id = ?').run('drifted', alice.key, post.id);
  const report = await verifyIndex(indexer.reader, pubky(), { users: [alice.key], recheckAfterMs: 50 });
  assert.deepEqual(report.drift, [
    { user: alice.key, missing: [`/pub/pubky.app/follows/${users.bob.key}`], extra: [], stale: [`/pub/pubky.app/posts/${post.id}`] },
  ]);
});
