// Exactly once across crashes: the indexer runs as its own process (`pubky indexer`), is SIGKILLed
// twice in the middle of ingesting while users keep writing, and restarted on the same database.
// Afterwards every record is there once, and the homeserver's event counter equals the number of
// events in its feed (a page applied twice would count its events twice; a lost page would be missing).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { Keypair, Pubky, PubkyAppWriter } from '@pubky-ts/client';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let testnet: Testnet;
const dir = mkdtempSync(join(tmpdir(), 'indexer-kill-'));
const db = join(dir, 'index.sqlite');
const children = new Set<ChildProcess>();

before(async () => {
  testnet = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await testnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pubky = () => new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });

/** Starts `pubky indexer` and resolves with its API URL once it prints it. */
function startIndexerProcess(): Promise<{ child: ChildProcess; url: string }> {
  const args = [
    '--import',
    'tsx',
    'packages/cli/src/main.ts',
    'indexer',
    '--homeserver',
    testnet.homeserver.publicKey.z32,
    '--db',
    db,
    '--listen',
    '127.0.0.1:0',
  ];
  args.push('--testnet', '--relay', testnet.pkarrRelay.url, '--no-dht', '--page-size', '7', '--poll-ms', '20');
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the indexer did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^indexer API: (http:\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`the indexer exited with ${code}: ${err}`)));
  });
}

async function eventsIndexed(url: string): Promise<number> {
  const status = (await (await fetch(`${url}/status`)).json()) as { homeservers: Array<{ events: number }> };
  return status.homeservers[0]?.events ?? 0;
}

async function killWhenIndexing(url: string, child: ChildProcess, above: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let n = 0;
  while ((n = await eventsIndexed(url)) <= above) {
    if (Date.now() > deadline) throw new Error('the indexer made no progress');
    await new Promise((r) => setTimeout(r, 10));
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return n;
}

test('SIGKILLed twice mid-ingest, the indexer ends with every record exactly once', async () => {
  const writers = await Promise.all(
    [0, 1, 2].map(async () => {
      const session = await pubky().signer(Keypair.random()).signup(testnet.homeserver.publicKey, null);
      return new PubkyAppWriter(session);
    }),
  );
  const POSTS = 120;
  const writing = Promise.all(
    writers.map(async (w, i) => {
      await w.setProfile({ name: `writer ${i}` });
      for (const other of writers) if (other !== w) await w.follow(other.user);
      for (let p = 0; p < POSTS; p++) {
        const post = await w.post({ content: `post ${p} of writer ${i}` });
        if (p % 10 === 0) await w.tag(post, 'tenth');
        if (p % 30 === 29) await w.deletePost(post.id);
      }
    }),
  );

  let run = await startIndexerProcess();
  const first = await killWhenIndexing(run.url, run.child, 20);
  run = await startIndexerProcess();
  const second = await killWhenIndexing(run.url, run.child, first + 20);
  assert.ok(second > first, 'the restarted indexer resumed');
  await writing;
  run = await startIndexerProcess();

  // Every event of the homeserver's feed, counted independently of the indexer.
  let total = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await pubky().eventsFeed(testnet.homeserver.publicKey, { cursor, limit: 1000 });
    if (page.cursor === null) break;
    total += page.events.length;
    cursor = page.cursor;
  }
  const deadline = Date.now() + 60_000;
  while ((await eventsIndexed(run.url)) < total) {
    if (Date.now() > deadline) throw new Error(`caught up to ${await eventsIndexed(run.url)} of ${total} events`);
    await new Promise((r) => setTimeout(r, 50));
  }
  run.child.kill('SIGTERM');
  await new Promise((r) => run.child.once('exit', r));

  const index = new Database(db, { readonly: true });
  try {
    const hs = index.prepare('SELECT events, cursor FROM homeservers').get() as { events: number; cursor: string };
    assert.equal(hs.events, total, 'each event counted exactly once');
    assert.equal(hs.cursor, cursor);
    const perWriter = POSTS - POSTS / 30;
    for (const [i, w] of writers.entries()) {
      const posts = index.prepare('SELECT content FROM posts WHERE author = ? ORDER BY created_at').all(w.user.z32) as Array<{
        content: string;
      }>;
      const expected = Array.from({ length: POSTS }, (_, p) => p)
        .filter((p) => p % 30 !== 29)
        .map((p) => `post ${p} of writer ${i}`);
      assert.equal(posts.length, perWriter);
      assert.deepEqual(
        posts.map((p) => p.content),
        expected,
      );
      assert.equal((index.prepare('SELECT COUNT(*) n FROM follows WHERE follower = ?').get(w.user.z32) as { n: number }).n, 2);
      assert.equal((index.prepare('SELECT COUNT(*) n FROM tags WHERE tagger = ?').get(w.user.z32) as { n: number }).n, POSTS / 10);
      assert.equal((index.prepare('SELECT name FROM users WHERE id = ?').get(w.user.z32) as { name: string }).name, `writer ${i}`);
    }
    const fts = (index.prepare(`SELECT COUNT(*) n FROM posts_fts WHERE posts_fts MATCH '"writer"'`).get() as { n: number }).n;
    assert.equal(fts, perWriter * writers.length, 'the search index holds each post once');
  } finally {
    index.close();
  }
});
