// Homeserver storage (embedded profile): listing a page from a user with one million entries, event
// reads over a million events (a rare path filter, two users), PUT
// throughput with group commit vs one transaction per write, and the inline-vs-file threshold.
// `npm run bench -- homeserver-storage` (HS_BENCH_QUICK=1 for a smaller run).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@pubky-ts/common';
import { openHomeserverStore, type SqliteHomeserverStore } from '../packages/homeserver/src/storage/open-store.ts';
import { EVENT_SELECT } from '../packages/homeserver/src/storage/rows.ts';

const QUICK = process.env.HS_BENCH_QUICK === '1';
const dirs: string[] = [];

async function open(opts: Parameters<typeof openHomeserverStore>[0] extends infer O ? Partial<O> : never) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hs-bench-'));
  dirs.push(dataDir);
  return openHomeserverStore({ dataDir, ...opts });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const f2 = (x: number) => x.toFixed(2);
const f0 = (x: number) => Math.round(x).toLocaleString('en-US');

async function* body(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

async function drain(it: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of it) n += c.length;
  return n;
}

// ------------------------------------------------------------------------------------------------
// 1. Listing with one million entries.

async function listingBench() {
  const store = await open({});
  const user = Keypair.random().publicKey.z32;
  const u = await store.users.create(user);
  // /pub/app{0..9}/dir{000..999}/file{00..99}: 1 000 000 entries, bulk-inserted in one transaction.
  const APPS = 10;
  const DIRS = QUICK ? 100 : 1000;
  const FILES = 100;
  const total = APPS * DIRS * FILES;
  const hash = Buffer.alloc(32, 1);
  const ins = store.db.prepare(
    'INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at) VALUES (?, ?, ?, 1, ?, ?, 1, 1)',
  );
  const data = Buffer.from('x');
  const t0 = performance.now();
  store.db.transaction(() => {
    for (let a = 0; a < APPS; a++)
      for (let d = 0; d < DIRS; d++)
        for (let f = 0; f < FILES; f++)
          ins.run(u.id, `/pub/app${a}/dir${String(d).padStart(3, '0')}/file${String(f).padStart(2, '0')}`, hash, 'text/plain', data);
  })();
  const insertMs = performance.now() - t0;

  const runs = QUICK ? 200 : 1000;
  const rows: string[][] = [];
  const measure = async (label: string, fn: (i: number) => Promise<string[] | null>) => {
    for (let i = 0; i < 20; i++) await fn(i); // warm-up
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      const page = await fn(i);
      times.push(performance.now() - s);
      if (!page || page.length !== 100) throw new Error(`${label}: expected 100 rows, got ${page?.length}`);
    }
    rows.push([label, f2(pct(times, 50)), f2(pct(times, 99)), f0(1000 / (times.reduce((x, y) => x + y, 0) / runs))]);
  };
  const cursorAt = (i: number) => {
    const a = (i * 7) % APPS;
    const d = 1 + ((i * 131) % (DIRS - 2));
    return `/pub/app${a}/dir${String(d).padStart(3, '0')}/file${String((i * 13) % FILES).padStart(2, '0')}`;
  };
  // Baseline: one indexed point read of the same table (what a page cannot beat).
  const point = store.db.prepare('SELECT path FROM entries WHERE user_id = ? AND path = ?');
  {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      point.get(u.id, cursorAt(i));
      times.push(performance.now() - s);
    }
    rows.push([
      'baseline: one point read (raw SQL)',
      f2(pct(times, 50)),
      f2(pct(times, 99)),
      f0(1000 / (times.reduce((x, y) => x + y, 0) / runs)),
    ]);
  }
  await measure('deep, first page of /pub/', () => store.files.list(user, '/pub/', { limit: 100 }));
  await measure('deep, cursor in the middle', (i) => store.files.list(user, '/pub/', { limit: 100, cursor: cursorAt(i) }));
  await measure('deep, reverse, cursor in the middle', (i) =>
    store.files.list(user, '/pub/', { limit: 100, cursor: cursorAt(i), reverse: true }),
  );
  await measure(`shallow /pub/appN/ (${DIRS} subdirs of 100 files)`, (i) =>
    store.files.list(user, `/pub/app${i % APPS}/`, { limit: 100, shallow: true }),
  );
  await measure('shallow, reverse, cursor', (i) =>
    store.files.list(user, `/pub/app${i % APPS}/`, {
      limit: 100,
      shallow: true,
      reverse: true,
      cursor: `/pub/app${i % APPS}/dir${String(500 + (i % 100)).padStart(3, '0')}/`,
    }),
  );
  await store.close();

  console.log(`### Listing a page of 100 from one user with ${f0(total)} entries\n`);
  console.log(
    `Bulk insert of ${f0(total)} rows in one transaction: ${(insertMs / 1000).toFixed(1)} s (${f0(total / (insertMs / 1000))} rows/s). Target: page < 5 ms.\n`,
  );
  console.log('| query | median ms | p99 ms | pages/s |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log();
}

// ------------------------------------------------------------------------------------------------
// 1b. Event reads over a long history: a stream's catch-up with a rare path filter, and a page of
// two users' events. Windowed reads (SqliteEventStore.read) against the same read as one SQL query,
// which is what the store did before: its time is also how long it holds the event loop.

async function eventsBench() {
  const store = await open({});
  const [a, b, c] = [Keypair.random().publicKey.z32, Keypair.random().publicKey.z32, Keypair.random().publicKey.z32];
  const ida = (await store.users.create(a)).id;
  const idb = (await store.users.create(b)).id;
  const idc = (await store.users.create(c)).id;
  // One event in ten is a's, one in ten b's, the rest c's; a's last one is under a rare path.
  const N = QUICK ? 100_000 : 1_000_000;
  const ins = store.db.prepare("INSERT INTO events (type, user_id, path, content_hash, created_at) VALUES ('PUT', ?, ?, NULL, 0)");
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) ins.run(i % 10 === 0 ? ida : i % 10 === 1 ? idb : idc, `/pub/bulk/${i}`);
    ins.run(ida, '/pub/rare/last');
  })();
  const mid = N / 2;
  const oneQuery = {
    rare: store.db.prepare(
      `${EVENT_SELECT} WHERE e.user_id = ? AND (e.path >= '/pub/rare/' AND e.path < '/pub/rare0') ORDER BY e.id LIMIT 100`,
    ),
    two: store.db.prepare(`${EVENT_SELECT} WHERE ((e.user_id = ? AND e.id > ?) OR (e.user_id = ? AND e.id > ?)) ORDER BY e.id LIMIT 100`),
  };
  /** Wall ms of `fn`, and the longest stretch the event loop did not turn meanwhile. */
  const timed = async (fn: () => Promise<unknown> | unknown): Promise<[number, number]> => {
    let done = false;
    let last = performance.now();
    let longest = 0;
    const ticker = (async () => {
      while (!done) {
        await new Promise((r) => setImmediate(r));
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }
    })();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    done = true;
    await ticker;
    return [ms, Math.max(longest, performance.now() - last)];
  };
  const rows: string[][] = [];
  const measure = async (label: string, windowed: () => Promise<unknown>, single: () => unknown) => {
    const runs = QUICK ? 5 : 9;
    const w: [number, number][] = [];
    const s: [number, number][] = [];
    for (let i = 0; i < runs; i++) {
      s.push(await timed(single));
      w.push(await timed(windowed));
    }
    const med = (xs: [number, number][], k: 0 | 1) =>
      pct(
        xs.map((x) => x[k]),
        50,
      );
    rows.push([label, f2(med(s, 0)), f2(med(w, 0)), f2(med(s, 0) / med(w, 0)), f2(med(s, 1)), f2(med(w, 1))]);
  };
  await measure(
    `one user, path filter matching 1 of their ${f0(N / 10)} events`,
    async () => {
      if ((await store.events.read({ users: [{ user: a }], paths: ['/pub/rare/'] })).length !== 1) throw new Error('rare event not found');
    },
    () => oneQuery.rare.all(ida),
  );
  await measure(
    'two users, each from a cursor half-way, page of 100',
    async () => {
      if (
        (
          await store.events.read({
            users: [
              { user: a, cursor: mid },
              { user: b, cursor: mid },
            ],
          })
        ).length !== 100
      )
        throw new Error('short page');
    },
    () => oneQuery.two.all(ida, mid, idb, mid),
  );
  await store.close();
  console.log(`### Event reads over ${f0(N)} events (two users with one in ten each)\n`);
  console.log('| read | one query ms (baseline) | windowed ms | × | longest loop block ms, one query | longest loop block ms, windowed |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log();
}

// ------------------------------------------------------------------------------------------------
// 2. PUT throughput, group commit vs one transaction per write.

async function putRun(store: SqliteHomeserverStore, user: string, n: number, inFlight: number, size: number, tag: string): Promise<number> {
  const payloads = Array.from({ length: 64 }, (_, i) => {
    const b = Buffer.alloc(size);
    b.writeUInt32LE(i, 0);
    b.write(tag, 4);
    return b;
  });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const b = Buffer.from(payloads[i % payloads.length]);
        b.writeUInt32LE(i, 0); // distinct contents (distinct blobs when stored as files)
        await store.files.put(user, `/pub/bench/${tag}/${i}`, body(b));
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function putBench() {
  const N = QUICK ? 1000 : 4000;
  const rows: string[][] = [];
  for (const durability of ['normal', 'fsync'] as const) {
    const n = durability === 'fsync' ? Math.floor(N / 4) : N;
    const results: Record<string, number> = {};
    for (const mode of ['single', 'group'] as const) {
      const store = await open({ commitMode: mode, durability });
      const user = Keypair.random().publicKey.z32;
      await store.users.create(user);
      await putRun(store, user, 200, 64, 1024, 'warm');
      results[mode] = await putRun(store, user, n, 64, 1024, 'run');
      const commits = store.writer.commits;
      await store.close();
      rows.push([
        durability,
        mode === 'single' ? 'one transaction per write (baseline)' : 'group commit',
        f0(results[mode]),
        f2(results[mode] / results.single),
        f0((n + 200) / commits),
      ]);
    }
  }
  console.log(`### Store-level PUT of 1 KiB bodies, 64 in flight\n`);
  console.log('| durability | commit | writes/s | × baseline | writes per commit |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log();
}

// ------------------------------------------------------------------------------------------------
// 3. Inline threshold: the same sizes stored inline vs as blob files.

async function inlineBench() {
  const sizes = (process.env.HS_BENCH_SIZES ?? '1024,4096,16384,32768,65536,131072,262144').split(',').map(Number);
  const rows: string[][] = [];
  for (const size of sizes) {
    const n = Math.max(100, Math.min(QUICK ? 500 : 2000, Math.floor(((QUICK ? 16 : 64) * 1024 * 1024) / size)));
    const out: Record<string, { w: number; r: number }> = {};
    for (const where of ['file', 'inline'] as const) {
      const store = await open({ inlineThreshold: where === 'inline' ? 1 << 30 : 0 });
      const user = Keypair.random().publicKey.z32;
      await store.users.create(user);
      const w = await putRun(store, user, n, 16, size, 'x');
      // Reads: GET + consume the body, 16 in flight.
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (;;) {
            const i = next++;
            if (i >= n) return;
            const got = await store.files.get(user, `/pub/bench/x/${i}`);
            if (!got || (await drain(got.body)) !== size) throw new Error('bad read');
          }
        }),
      );
      const r = n / ((performance.now() - t0) / 1000);
      out[where] = { w, r };
      await store.close();
    }
    rows.push([
      `${size / 1024} KiB`,
      f0(out.file.w),
      f0(out.inline.w),
      f2(out.inline.w / out.file.w),
      f0(out.file.r),
      f0(out.inline.r),
      f2(out.inline.r / out.file.r),
    ]);
  }
  console.log('### Inline in SQLite vs content-addressed file (durability normal; 16 in flight)\n');
  console.log('| size | PUT/s file (baseline) | PUT/s inline | × | GET/s file (baseline) | GET/s inline | × |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log();
}

try {
  const which = process.argv.slice(2);
  if (which.length === 0 || which.includes('list')) await listingBench();
  if (which.length === 0 || which.includes('events')) await eventsBench();
  if (which.length === 0 || which.includes('put')) await putBench();
  if (which.length === 0 || which.includes('inline')) await inlineBench();
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
