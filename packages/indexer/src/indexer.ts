// The indexer's composition root: the database, one follower per homeserver, discovery of more
// homeservers through the PKARR records of the users the index sees, and the HTTP API.
import { Pubky, type PubkyOptions } from '@pubky-ts/client';
import { PublicKey } from '@pubky-ts/common';
import { startApiServer, type ApiServer } from './api/server.ts';
import { PostStream } from './api/post-stream.ts';
import { DEFAULT_FOLLOWER_OPTIONS, HomeserverFollower, type FollowerOptions, type FollowerStatus } from './follow/homeserver-follower.ts';
import { UserHomes } from './follow/user-homes.ts';
import { openDatabase, type Db } from './store/database.ts';
import type { BatchResult } from './store/index-writer.ts';
import { IndexReader } from './store/index-reader.ts';
import { IndexWriter } from './store/index-writer.ts';

export interface IndexerOptions {
  /** SQLite file (created if missing); `:memory:` for a throw-away index. */
  database: string;
  /** Homeservers to follow from the start (z32 keys); more are discovered. */
  homeservers: string[];
  /** The SDK instance that resolves PKARR and reads homeservers; default from `pubky`. */
  pubky?: Pubky;
  /** Options for the default SDK instance (e.g. `{ testnet: true }`). */
  pubkyOptions?: PubkyOptions;
  /** Follow homeservers of users the index sees mentioned (follows, tags, replies). Default true. */
  discover?: boolean;
  /** API listen address; default 127.0.0.1 and a random port. `false`: no API. */
  api?: { host?: string; port?: number } | false;
  follower?: Partial<FollowerOptions>;
  log?: (line: Record<string, unknown>) => void;
}

export interface Indexer extends AsyncDisposable {
  /** The API's base URL (null without API). */
  url: string | null;
  reader: IndexReader;
  db: Db;
  status(): { homeservers: FollowerStatus[] };
  /** Starts following one more homeserver (no-op when already followed). */
  follow(homeserver: string): void;
  /** Resolves once no discovery is pending and every follower has sent a poll after this call that found nothing newer. */
  caughtUp(options?: { timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}

const MAX_DISCOVERY_QUEUE = 10_000;

export async function startIndexer(options: IndexerOptions): Promise<Indexer> {
  const db = openDatabase(options.database);
  const writer = new IndexWriter(db);
  const reader = new IndexReader(db);
  const pubky = options.pubky ?? new Pubky(options.pubkyOptions);
  const homes = new UserHomes(pubky);
  const posts = new PostStream();
  const followerOptions = { ...DEFAULT_FOLLOWER_OPTIONS };
  for (const [k, v] of Object.entries(options.follower ?? {})) if (v !== undefined) (followerOptions as Record<string, number>)[k] = v;
  const followers = new Map<string, HomeserverFollower>();
  const log = options.log ?? (() => {});
  let closed = false;

  const discovery = { queue: new Set<string>(), seen: new Set<string>(), running: false };
  const discover = async () => {
    if (discovery.running) return;
    discovery.running = true;
    try {
      while (!closed && discovery.queue.size > 0) {
        const user = discovery.queue.values().next().value as string;
        discovery.queue.delete(user);
        const home = await homes.homeOf(user);
        if (home && !followers.has(home) && writer.addHomeserver(home, 'discovered')) {
          log({ level: 'info', msg: 'discovered a homeserver', homeserver: home, through: user });
        }
        if (home) follow(home);
        // No record (yet), or PKARR unreachable: a later mention of this user tries again.
        else discovery.seen.delete(user);
      }
    } finally {
      discovery.running = false;
    }
  };

  const onBatch = (_homeserver: string, result: BatchResult) => {
    if (posts.size > 0 && result.posts.length > 0) {
      posts.publish(result.posts.map((p) => reader.post(p.author, p.id)).filter((p) => p !== null));
    }
    if (options.discover === false) return;
    for (const u of result.mentioned) {
      if (discovery.seen.has(u) || discovery.queue.size >= MAX_DISCOVERY_QUEUE) continue;
      discovery.seen.add(u);
      if (discovery.seen.size > 1_000_000) discovery.seen.clear();
      discovery.queue.add(u);
    }
    if (discovery.queue.size > 0) void discover();
  };

  function follow(homeserver: string): void {
    if (closed || followers.has(homeserver)) return;
    const row = reader.homeservers().find((h) => h.id === homeserver);
    if (!row) writer.addHomeserver(homeserver, 'config');
    const f = new HomeserverFollower({
      homeserver,
      cursor: row?.cursor ?? '0',
      pubky,
      writer,
      homes,
      indexedPaths: (user) => reader.pathsOf(user),
      isDown: (hs) => (followers.get(hs)?.status().consecutiveFailures ?? 0) >= 2,
      options: followerOptions,
      onBatch,
    });
    followers.set(homeserver, f);
    f.start();
  }

  for (const hs of options.homeservers) {
    const key = PublicKey.parse(hs).z32;
    writer.addHomeserver(key, 'config');
  }
  for (const h of reader.homeservers()) follow(h.id);

  let api: ApiServer | null = null;
  const status = () => ({ homeservers: [...followers.values()].map((f) => f.status()) });
  if (options.api !== false) {
    api = await startApiServer({ reader, posts, status, log }, options.api?.host ?? '127.0.0.1', options.api?.port ?? 0);
  }

  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all([...followers.values()].map((f) => f.close()));
    await api?.close();
    db.close();
  };

  return {
    url: api?.url ?? null,
    reader,
    db,
    status,
    follow,
    async caughtUp({ timeoutMs = 10_000 } = {}) {
      const since = Date.now();
      const deadline = since + timeoutMs;
      for (;;) {
        const all = [...followers.values()].map((f) => f.status());
        const discovering = discovery.running || discovery.queue.size > 0;
        if (!discovering && all.every((s) => s.caughtUp && s.lagMs === 0 && Date.parse(s.caughtUpAtIso ?? '') >= since)) return;
        if (Date.now() > deadline)
          throw new Error(
            `the indexer did not catch up within ${timeoutMs} ms: ${JSON.stringify(all.filter((s) => !s.caughtUp).map((s) => [s.homeserver, s.lastError]))}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
