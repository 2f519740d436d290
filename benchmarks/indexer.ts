// Benchmark: the indexer (issue 18). Three parts, each with its baseline from the same run:
//
//   ingest    one local homeserver holding --events pubky.app events from 20 users. Baseline: the
//             same process merely reads the homeserver's /events/ feed to the end (pages of 1000).
//             Then a fresh indexer ingests all of it (feed + a GET, hash check and validation per
//             event + the SQLite transactions). Ratio = ingest rate / feed read rate.
//   queries   a synthetic index of --posts posts by --users users (each follows 20, a tag per 5
//             posts), written through the indexer's own writer, then API round trips over HTTP:
//             home feed page, followers page, post search; baseline = GET /status-free route
//             `/v0/users/{user}` (a profile: one row + six COUNTs).
//   network   --net-users users spread over 1, then 5, then 10 homeservers (scaled down from 50: each
//             homeserver is a whole server in this process), 6 events each; time for a fresh
//             indexer to catch up on all of them. Then the p99 from a PUT's acknowledgement to the
//             post being readable through the API (50 posts, one at a time).
//
//   npm run bench -- indexer   or   node --import tsx benchmarks/indexer.ts [--events 10000] [--posts 100000] [--users 10000] [--net-users 200]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair, Pubky, PubkyAppWriter, timestampId, type AppRecord } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { IndexerClient, startIndexer } from '@pubky-ts/indexer';
import { openDatabase } from '../packages/indexer/src/store/database.ts';
import { IndexWriter } from '../packages/indexer/src/store/index-writer.ts';
import type { Change } from '../packages/indexer/src/store/changes.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}
const only = (part: string) => !process.argv.includes('--only') || process.argv[process.argv.indexOf('--only') + 1] === part;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil(q * s.length))) - 1];
};
const median = (xs: number[]) => quantile(xs, 0.5);
const f = (n: number, d = 1) => n.toFixed(d);

const tmp = mkdtempSync(join(tmpdir(), 'bench-indexer-'));
const pubkyFor = (net: Testnet) => new Pubky({ relays: [net.pkarrRelay.url], testnet: { host: 'localhost' } });

/** Runs `jobs` with at most `n` in flight. */
async function pool<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

/** Each user gets an SDK instance of their own, as on their own device (one cookie jar caps the cookies per host). */
async function signupMany(
  net: Testnet,
  homeservers: Array<{ key: string; token: () => Promise<string | null> }>,
  n: number,
): Promise<PubkyAppWriter[]> {
  return pool(
    8,
    Array.from({ length: n }, (_, i) => async () => {
      const hs = homeservers[i % homeservers.length];
      return new PubkyAppWriter(
        await pubkyFor(net)
          .signer(Keypair.random())
          .signup(hs.key, await hs.token()),
      );
    }),
  );
}

async function ingestPart() {
  const events = arg('events', 10_000);
  const net = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
  try {
    const pubky = pubkyFor(net);
    const writers = await signupMany(net, [{ key: net.homeserver.publicKey.z32, token: async () => null }], 20);
    const t0 = performance.now();
    await pool(
      32,
      Array.from({ length: events }, (_, i) => () => {
        const w = writers[i % writers.length];
        if (i % 10 === 1) return w.follow(writers[(i + 3) % writers.length].user);
        return w.post({ content: `benchmark post ${i} about ${['rust', 'gardens', 'bread', 'bitcoin'][i % 4]}` });
      }),
    );
    const writeSecs = (performance.now() - t0) / 1000;
    let total = 0;
    const reads: number[] = [];
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      let cursor: string | undefined;
      let n = 0;
      for (;;) {
        const page = await pubky.eventsFeed(net.homeserver.publicKey, { cursor, limit: 1000 });
        if (page.cursor === null) break;
        n += page.events.length;
        cursor = page.cursor;
      }
      total = n;
      reads.push(n / ((performance.now() - t) / 1000));
    }
    // Second baseline: the floor of any indexer that reads bodies, feed + one GET per event, nothing else.
    const fetches: number[] = [];
    for (let round = 0; round < 2; round++) {
      const t = performance.now();
      let cursor: string | undefined;
      let n = 0;
      for (;;) {
        const page = await pubky.eventsFeed(net.homeserver.publicKey, { cursor, limit: 1000 });
        if (page.cursor === null) break;
        await pool(
          32,
          page.events.map((e) => async () => {
            const res = await pubky.http.request({
              homeserver: net.homeserver.publicKey,
              owner: e.user,
              path: e.path,
              storagePath: e.path,
              anonymous: true,
            });
            await res.arrayBuffer();
          }),
        );
        n += page.events.length;
        cursor = page.cursor;
      }
      fetches.push(n / ((performance.now() - t) / 1000));
    }
    const ingests: number[] = [];
    for (let round = 0; round < 2; round++) {
      const t = performance.now();
      const ix = await startIndexer({
        database: join(tmp, `ingest-${round}.sqlite`),
        homeservers: [net.homeserver.publicKey.z32],
        pubky,
        api: false,
        discover: false,
        follower: { pollMs: 5, pageSize: 1000, fetchConcurrency: 32 },
      });
      while ((ix.reader.homeservers()[0]?.events ?? 0) < total) await new Promise((r) => setTimeout(r, 5));
      ingests.push(total / ((performance.now() - t) / 1000));
      await ix.close();
    }
    const read = median(reads);
    const ingest = median(ingests);
    console.log(`ingest: ${total} events from one homeserver (written in ${f(writeSecs)} s through the SDK, 32 in flight)`);
    console.log('| what | events/s | ratio |');
    console.log('| --- | --- | --- |');
    console.log(`| baseline: read the /events/ feed to the end (median of 3) | ${f(read, 0)} | 1.00 |`);
    const fetch = median(fetches);
    console.log(`| feed + one GET per event, 32 in flight, nothing else (median of 2) | ${f(fetch, 0)} | ${f(fetch / read, 3)} |`);
    console.log(
      `| ingest: feed + GET + hash + validate + SQLite (median of 2, fresh index each) | ${f(ingest, 0)} | ${f(ingest / read, 3)} (${f(ingest / fetch, 2)} of feed + GET) |`,
    );
    console.log(
      `| (the homeserver's own write rate through the SDK, for scale) | ${f(events / writeSecs, 0)} | ${f(events / writeSecs / read, 3)} |`,
    );
  } finally {
    await net.close();
  }
}

async function queriesPart() {
  const posts = arg('posts', 100_000);
  const users = arg('users', 10_000);
  const db = openDatabase(join(tmp, 'queries.sqlite'));
  const writer = new IndexWriter(db);
  writer.addHomeserver('synthetic', 'config');
  const keys = Array.from({ length: users }, () => Keypair.random().publicKey.z32);
  const words =
    'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango'.split(
      ' ',
    );
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const t0 = performance.now();
  let batch: Change[] = [];
  let cursor = 0;
  const flush = () => {
    writer.applyBatch('synthetic', String(++cursor), batch.length, batch);
    batch = [];
  };
  const put = (user: string, path: string, record: AppRecord) => {
    batch.push({ op: 'put', user, path, record });
    if (batch.length >= 5000) flush();
  };
  const base = 1_700_000_000_000_000;
  for (const [i, u] of keys.entries()) {
    put(u, '/pub/pubky.app/profile.json', { kind: 'user', value: { name: `user ${i}`, bio: `${words[i % 20]} ${words[(i * 7) % 20]}` } });
    for (let k = 0; k < 20; k++) {
      const other = keys[rnd(users)];
      if (other !== u) put(u, `/pub/pubky.app/follows/${other}`, { kind: 'follow', id: other, value: { created_at: base } });
    }
  }
  for (let p = 0; p < posts; p++) {
    const author = keys[rnd(users)];
    const id = timestampId(base + p * 1000);
    const content = Array.from({ length: 8 }, () => words[rnd(20)]).join(' ') + ` n${p}`;
    put(author, `/pub/pubky.app/posts/${id}`, { kind: 'post', id, value: { content, kind: 'short' } });
  }
  flush();
  const genSecs = (performance.now() - t0) / 1000;
  db.close();

  const ix = await startIndexer({ database: join(tmp, 'queries.sqlite'), homeservers: [], api: { port: 0 }, discover: false });
  // The synthetic homeserver has no follower loop that could reach anything: drop it from view.
  const api = new IndexerClient(ix.url!);
  const time = async (n: number, fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 50; i++) await fn(i);
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn(i);
      ms.push(performance.now() - t);
    }
    return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
  };
  const N = 1000;
  const who = (i: number) => keys[(i * 7919) % users];
  const baseline = await time(N, (i) => api.profile(who(i)));
  const feed = await time(N, (i) => api.feed(who(i)));
  const followers = await time(N, (i) => api.followers(who(i)));
  const search = await time(N, (i) => api.searchPosts(`${words[i % 20]} ${words[(i * 3) % 20]}`));
  await ix.close();
  console.log(
    `\nqueries: ${posts} posts by ${users} users, ${users * 20} follows (index written in ${f(genSecs)} s); ${N} sequential API round trips each`,
  );
  console.log('| query | p50 ms | p99 ms | p99 ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, r] of [
    ['baseline: profile with counts', baseline],
    ['home feed page (20)', feed],
    ['followers page (20)', followers],
    ['search posts, 2 words (20)', search],
  ] as const) {
    console.log(`| ${name} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.p99 / baseline.p99, 2)} |`);
  }
}

async function networkPart() {
  const nUsers = arg('net-users', 200);
  const rows: string[] = [];
  let latency: { p50: number; p99: number } | null = null;
  for (const count of [1, 5, 10]) {
    const net = await startTestnet({ signupMode: 'open', logLevel: 'silent', dhtNodes: 2 });
    const extras: ExtraHomeserver[] = [];
    try {
      for (let i = 1; i < count; i++) extras.push(await startExtraHomeserver(net, { logLevel: 'silent' }));
      const pubky = pubkyFor(net);
      const homeservers = [
        { key: net.homeserver.publicKey.z32, token: async () => null as string | null },
        ...extras.map((e) => ({ key: e.publicKey.z32, token: () => e.signupToken() })),
      ];
      const writers = await signupMany(net, homeservers, nUsers);
      await pool(
        16,
        writers.map((w, i) => async () => {
          await w.setProfile({ name: `user ${i}` });
          for (let k = 0; k < 3; k++) await w.post({ content: `post ${k} of ${i}` });
          await w.follow(writers[(i + 1) % writers.length].user);
          await w.follow(writers[(i + 7) % writers.length].user);
        }),
      );
      const events = nUsers * 6;
      const t = performance.now();
      const ix = await startIndexer({
        database: join(tmp, `net-${count}.sqlite`),
        homeservers: homeservers.map((h) => h.key),
        pubky,
        api: { port: 0 },
        discover: false,
        follower: { pollMs: 20 },
      });
      const applied = () => ix.reader.homeservers().reduce((s, h) => s + h.applied, 0);
      while (applied() < events) await new Promise((r) => setTimeout(r, 5));
      const secs = (performance.now() - t) / 1000;
      rows.push(`| ${count} | ${events} | ${f(secs, 2)} |`);
      if (count === 1) {
        const api = new IndexerClient(ix.url!);
        const ms: number[] = [];
        const w = writers[0];
        for (let i = 0; i < 50; i++) {
          const t1 = performance.now();
          const post = await w.post({ content: `latency ${i}` });
          const acked = performance.now();
          while (!(await api.posts(w.user, { limit: 1 })).items.some((p) => p.id === post.id)) await new Promise((r) => setTimeout(r, 2));
          ms.push(performance.now() - acked);
          void t1;
        }
        latency = { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
      }
      await ix.close();
    } finally {
      for (const e of extras) await e.close();
      await net.close();
    }
  }
  const first = Number(rows[0].split('|')[3]);
  console.log(`\nnetwork: ${nUsers} users spread over N homeservers, fresh indexer catching up`);
  console.log('| homeservers | events | catch-up s | ratio to 1 |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(`${r} ${f(Number(r.split('|')[3]) / first, 2)} |`);
  if (latency)
    console.log(
      `\nwrite → visible in the API (after the PUT's ack, poll interval 20 ms, 50 posts): p50 ${f(latency.p50)} ms, p99 ${f(latency.p99)} ms`,
    );
}

try {
  if (only('ingest')) await ingestPart();
  if (only('queries')) await queriesPart();
  if (only('network')) await networkPart();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
