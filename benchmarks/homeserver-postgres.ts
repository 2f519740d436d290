// Homeserver storage, scale-out profile: store-level PUT and GET of 1 KiB on PostgreSQL against the
// embedded SQLite profile measured in the same run (ratios = Postgres / SQLite), one request at a
// time and with 32 in flight; plus 1 MiB blobs (blob_chunks vs a shared directory vs SQLite files).
// `npm run bench -- homeserver-postgres` (HS_BENCH_QUICK=1 for a smaller run). Needs the test
// cluster on 127.0.0.1:5432 (PUBKY_TEST_DATABASE_URL to override); each run uses its own schema.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Keypair } from '@pubky-ts/common';
import { openHomeserverStore } from '../packages/homeserver/src/storage/open-store.ts';
import { pgMigrations } from '../packages/homeserver/src/db/postgres/migrations/index.ts';
import { openPostgresStore } from '../packages/homeserver/src/storage/postgres/open-store.ts';
import type { HomeserverStore } from '../packages/homeserver/src/storage/types.ts';

const QUICK = process.env.HS_BENCH_QUICK === '1';
const DATABASE_URL = process.env.PUBKY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const cleanups: (() => Promise<void>)[] = [];

async function* body(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

async function drain(it: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of it) n += c.length;
  return n;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const f2 = (x: number) => x.toFixed(2);
const f0 = (x: number) => Math.round(x).toLocaleString('en-US');

async function sqlite(): Promise<HomeserverStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hs-bench-'));
  const store = await openHomeserverStore({ dataDir });
  cleanups.push(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return store;
}

/** `exclusiveLock`: migration 0001 only, whose writers hold the events lock exclusive through COMMIT (the "before"). */
async function postgres(blobs: 'postgres' | 'dir', exclusiveLock = false): Promise<HomeserverStore> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const dir = blobs === 'dir' ? mkdtempSync(join(tmpdir(), 'hs-bench-pg-')) : null;
  const store = await openPostgresStore({
    databaseUrl: DATABASE_URL,
    schema,
    blobs: dir ? { dir } : 'postgres',
    maxConnections: 16,
    migrations: exclusiveLock ? pgMigrations.slice(0, 1) : undefined,
  });
  cleanups.push(async () => {
    await store.close();
    const c = new pg.Client({ connectionString: DATABASE_URL });
    await c.connect();
    await c.query(`DROP SCHEMA "${schema}" CASCADE`);
    await c.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

interface Result {
  opsPerSec: number;
  p50: number;
  p99: number;
}

/** Runs `n` operations with `inFlight` workers; returns throughput and per-op latency (ms). */
async function run(n: number, inFlight: number, op: (i: number) => Promise<void>): Promise<Result> {
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await op(i);
        times.push(performance.now() - s);
      }
    }),
  );
  const total = performance.now() - t0;
  return { opsPerSec: (n / total) * 1000, p50: pct(times, 50), p99: pct(times, 99) };
}

/** Operation i goes to user i % USERS: one user's writes are serialised on its row (quota), as in any profile. */
const USERS = 16;

async function putGet(store: HomeserverStore, size: number, n: number, inFlight: number) {
  const users = Array.from({ length: USERS }, () => Keypair.random().publicKey.z32);
  for (const u of users) await store.users.create(u);
  const data = randomBytes(size);
  const path = (i: number) => `/pub/bench/${inFlight}/${String(i % 5000).padStart(5, '0')}`;
  const user = (i: number) => users[i % USERS];
  // Warm-up (connections, statement plans, page cache).
  for (let i = 0; i < 30; i++) await store.files.put(user(i), `/pub/warm/${i}`, body(data));
  const put = await run(n, inFlight, async (i) => {
    await store.files.put(user(i), path(i), body(data));
  });
  const get = await run(n, inFlight, async (i) => {
    const got = await store.files.get(user(i), path(i));
    if (!got || (await drain(got.body)) !== size) throw new Error('short read');
  });
  return { put, get };
}

const rows: string[][] = [];
const row = (label: string, r: Result, base: Result) =>
  rows.push([label, f0(r.opsPerSec), f2(r.p50), f2(r.p99), `${f2(r.opsPerSec / base.opsPerSec)}×`]);

try {
  const N = QUICK ? 300 : 2000;
  const lite = await sqlite();
  const pgStore = await postgres('postgres');
  const pgExclusive = await postgres('postgres', true);
  for (const inFlight of [1, 8, 32]) {
    const base = await putGet(lite, 1024, N, inFlight);
    // Before (exclusive events lock through COMMIT) and after (shared lock + read watermark), back to back.
    const before = await putGet(pgExclusive, 1024, N, inFlight);
    const p = await putGet(pgStore, 1024, N, inFlight);
    row(`SQLite  PUT 1 KiB, ${inFlight} in flight`, base.put, base.put);
    row(`Postgres PUT 1 KiB, ${inFlight} in flight, exclusive lock (0001)`, before.put, base.put);
    row(`Postgres PUT 1 KiB, ${inFlight} in flight`, p.put, base.put);
    row(`SQLite  GET 1 KiB, ${inFlight} in flight`, base.get, base.get);
    row(`Postgres GET 1 KiB, ${inFlight} in flight`, p.get, base.get);
  }
  const M = QUICK ? 20 : 100;
  const pgDir = await postgres('dir');
  const bigBase = await putGet(lite, 1 << 20, M, 4);
  const bigChunks = await putGet(pgStore, 1 << 20, M, 4);
  const bigDir = await putGet(pgDir, 1 << 20, M, 4);
  row('SQLite (files)     PUT 1 MiB, 4 in flight', bigBase.put, bigBase.put);
  row('Postgres (chunks)  PUT 1 MiB, 4 in flight', bigChunks.put, bigBase.put);
  row('Postgres (dir)     PUT 1 MiB, 4 in flight', bigDir.put, bigBase.put);
  row('SQLite (files)     GET 1 MiB, 4 in flight', bigBase.get, bigBase.get);
  row('Postgres (chunks)  GET 1 MiB, 4 in flight', bigChunks.get, bigBase.get);
  row('Postgres (dir)     GET 1 MiB, 4 in flight', bigDir.get, bigBase.get);

  console.log('| operation | ops/s | p50 ms | p99 ms | vs SQLite |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    `\n${N} ops per 1 KiB row, ${M} per 1 MiB row, spread over ${USERS} users; full store stack (policy → quota → bookkeeping → blobs),`,
  );
  console.log(
    'Postgres writes: entry + blob ref + usage + event (events lock shared; "exclusive lock (0001)" = the old schema) + NOTIFY in one transaction, fsync on commit.',
  );
} finally {
  for (const c of cleanups.reverse()) await c().catch((e) => console.error('cleanup failed', e));
}
