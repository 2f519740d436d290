// A hostile or broken homeserver costs only its own share: tampered and endless bodies are refused
// with reasons, a garbage, endless, silent or unreachable feed shows in /status and is retried with
// backoff, and the healthy homeserver keeps flowing the whole time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair, Pubky, PubkyAppWriter } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { IndexerClient, startIndexer, type FollowerStatus, type Indexer } from '@pubky-ts/indexer';
import { startHostileProxy, type HostileProxy } from './indexer-hostile-proxy.ts';

let testnet: Testnet;
let bad: ExtraHomeserver;
let proxy: HostileProxy;
let indexer: Indexer;
let api: IndexerClient;
let alice: PubkyAppWriter;
let mallory: PubkyAppWriter;

const pubky = () => new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });

before(async () => {
  testnet = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
  proxy = await startHostileProxy();
  bad = await startExtraHomeserver(testnet, { logLevel: 'silent', config: { pkdns: { public_icann_http_port: proxy.port } } });
  proxy.target = bad.url;
  alice = new PubkyAppWriter(await pubky().signer(Keypair.random()).signup(testnet.homeserver.publicKey, null));
  mallory = new PubkyAppWriter(
    await pubky()
      .signer(Keypair.random())
      .signup(bad.publicKey, await bad.signupToken()),
  );
  indexer = await startIndexer({
    database: ':memory:',
    homeservers: [testnet.homeserver.publicKey.z32, bad.publicKey.z32],
    pubky: pubky(),
    discover: false,
    follower: { pollMs: 20, requestTimeoutMs: 1000, maxBackoffMs: 400 },
  });
  api = new IndexerClient(indexer.url!);
});

after(async () => {
  await indexer?.close();
  await proxy?.close();
  await bad?.close();
  await testnet?.close();
});

function followerOf(homeserver: string): FollowerStatus {
  return indexer.status().homeservers.find((s) => s.homeserver === homeserver)!;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(indexer.status())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until a poll of `homeserver` sent after now found nothing newer. */
async function caughtUp(homeserver: string): Promise<void> {
  const since = Date.now();
  await until(() => {
    const s = followerOf(homeserver);
    return s.consecutiveFailures === 0 && s.caughtUpAtIso !== null && Date.parse(s.caughtUpAtIso) >= since;
  }, `${homeserver} to catch up`);
}

async function indexed(author: PubkyAppWriter, id: string): Promise<boolean> {
  try {
    return (await api.posts(author.user)).items.some((p) => p.id === id);
  } catch (e) {
    if ((e as { code?: string }).code === 'user_not_found') return false;
    throw e;
  }
}

test('a body that does not match its content hash is refused as hash_mismatch and not stored', async () => {
  proxy.mode = 'tamper-body';
  const post = await mallory.post({ content: 'original words' });
  await caughtUp(bad.publicKey.z32);
  proxy.mode = 'pass';
  assert.equal(followerOf(bad.publicKey.z32).refused.hash_mismatch, 1);
  const status = await api.status();
  const entry = status.recentInvalid.find((r) => r.path.endsWith(post.id))!;
  assert.match(entry.reason, /content hash mismatch/);
  assert.equal(indexer.reader.post(mallory.user.z32, post.id), null);
});

test('an endless body is cut at the record limit and refused; memory stays bounded', async () => {
  const rss = process.memoryUsage().rss;
  proxy.mode = 'huge-body';
  const post = await mallory.post({ content: 'this one will be endless' });
  await caughtUp(bad.publicKey.z32);
  proxy.mode = 'pass';
  assert.equal(followerOf(bad.publicKey.z32).refused.too_large, 1);
  assert.equal(indexer.reader.post(mallory.user.z32, post.id), null);
  assert.ok(process.memoryUsage().rss - rss < 64 * 1024 * 1024, 'the body was not buffered');
});

for (const mode of ['garbage-feed', 'endless-feed', 'silent-feed', 'down'] as const) {
  test(`a ${mode} homeserver is retried with backoff while the other keeps flowing, and recovers`, async () => {
    proxy.mode = mode;
    await until(() => followerOf(bad.publicKey.z32).consecutiveFailures >= 2, `${mode} to fail twice`);
    const failing = followerOf(bad.publicKey.z32);
    assert.ok(failing.lastError && failing.lastError.length > 0);
    assert.ok(failing.nextRetryAt && failing.lagMs !== 0);
    assert.equal(failing.caughtUp, false);
    // The healthy homeserver keeps flowing while the other fails.
    const good = await alice.post({ content: `written while the other is ${mode}` });
    await until(() => indexed(alice, good.id), "alice's post");
    const statusRoute = await api.status();
    const shown = statusRoute.homeservers.find((h) => h.id === bad.publicKey.z32)!;
    assert.ok((shown.follower?.consecutiveFailures ?? 0) >= 1);
    proxy.mode = 'pass';
    const later = await mallory.post({ content: `after ${mode}` });
    await until(() => indexed(mallory, later.id), `mallory's post after ${mode}`);
    assert.equal(followerOf(bad.publicKey.z32).consecutiveFailures, 0);
  });
}
