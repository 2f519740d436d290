// A helper, not part of `npm run bench` (the runner skips files starting with `_`): the SQLite work of
// a 1 KiB PUT at store level — previous-entry lookup, entry upsert, event insert, one usage UPDATE and
// one COMMIT per batch of 20 — for schema and pragma variants, reporting µs per PUT, the COMMIT's
// share and the WAL frames written per PUT (wal_autocheckpoint off, so the WAL holds them all).
// Used for the "Tried this session" list of BENCHMARKS.md (homeserver).
//   node --import tsx benchmarks/_sqlite-write-variants.ts      env: N (40000 PUTs per variant)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

interface Variant {
  page?: number;
  withoutRowid?: boolean;
  createdAtIndex?: boolean;
  autoincrement?: boolean;
  upsert?: boolean;
  foreignKeys?: boolean;
}

const VARIANTS: Record<string, Variant> = {
  'as shipped': {},
  'no events_created_at': { createdAtIndex: false },
  'events without AUTOINCREMENT': { autoincrement: false },
  'plain INSERT (no upsert)': { upsert: false },
  'foreign_keys OFF': { foreignKeys: false },
  'page_size 2048': { page: 2048 },
  'page_size 8192': { page: 8192 },
  'page_size 16384': { page: 16384 },
  'entries WITHOUT ROWID': { withoutRowid: true },
};

const body = Buffer.alloc(1024, 0x61);
const hash = Buffer.alloc(32, 7);

function run(v: Variant, n: number, batch = 20): { us: number; commitUs: number; frames: number } {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-variants-'));
  const db = new Database(join(dir, 'x.db'));
  try {
    if (v.page) db.pragma(`page_size = ${v.page}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`foreign_keys = ${v.foreignKeys === false ? 'OFF' : 'ON'}`);
    db.pragma('cache_size = -64000');
    const entryCols = `user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, path TEXT NOT NULL, content_hash BLOB NOT NULL,
      content_length INTEGER NOT NULL, content_type TEXT NOT NULL, inline_data BLOB, modified_at INTEGER NOT NULL, created_at INTEGER NOT NULL`;
    db.exec(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, public_key TEXT NOT NULL UNIQUE, used_bytes INTEGER NOT NULL DEFAULT 0);
      ${v.withoutRowid ? `CREATE TABLE entries (${entryCols}, PRIMARY KEY (user_id, path)) WITHOUT ROWID;` : `CREATE TABLE entries (id INTEGER PRIMARY KEY, ${entryCols}); CREATE UNIQUE INDEX entries_user_path ON entries(user_id, path);`}
      CREATE TABLE events (id INTEGER PRIMARY KEY ${v.autoincrement === false ? '' : 'AUTOINCREMENT'}, type TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, path TEXT NOT NULL, content_hash BLOB, created_at INTEGER NOT NULL);
      CREATE INDEX events_user_id ON events(user_id, id);
      ${v.createdAtIndex === false ? '' : 'CREATE INDEX events_created_at ON events(created_at);'}
      INSERT INTO users (public_key) VALUES ('k');`);
    const prev = db.prepare('SELECT content_length, created_at FROM entries WHERE user_id = ? AND path = ?');
    const cols =
      '(user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
    const up = db.prepare(
      v.upsert === false
        ? `INSERT INTO entries ${cols}`
        : `INSERT INTO entries ${cols} ON CONFLICT(user_id, path) DO UPDATE SET content_hash = excluded.content_hash,
           content_length = excluded.content_length, content_type = excluded.content_type, inline_data = excluded.inline_data, modified_at = excluded.modified_at`,
    );
    const ev = db.prepare('INSERT INTO events (type, user_id, path, content_hash, created_at) VALUES (?, ?, ?, ?, ?)');
    const usage = db.prepare('UPDATE users SET used_bytes = used_bytes + ? WHERE id = ?');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    let now = Date.now() * 1000;
    const put = (path: string) => {
      prev.get(1, path);
      up.run(1, path, hash, 1024, 'application/octet-stream', body, now, now);
      ev.run('PUT', 1, path, hash, now++);
    };
    // A user with 100,000 files, so the path index has depth.
    db.transaction(() => {
      for (let i = 0; i < 100_000; i++) put(`/pub/pre/x${i}`);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('wal_autocheckpoint = 0');
    let commitNs = 0n;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; ) {
      begin.run();
      // As the HTTP benchmark writes: 32 connections, each into its own directory.
      for (let k = 0; k < batch; k++, i++) put(`/pub/bench/r0/c${i % 32}/f${i >> 5}`);
      usage.run(batch * 1100, 1);
      const tc = process.hrtime.bigint();
      commit.run();
      commitNs += process.hrtime.bigint() - tc;
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
    const page = db.pragma('page_size', { simple: true }) as number;
    const frames = (statSync(join(dir, 'x.db-wal')).size - 32) / (page + 24);
    return { us, commitUs: Number(commitNs) / 1000 / n, frames: frames / n };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const n = Number(process.env.N ?? 40_000);
console.log('| variant | µs per PUT (median of 3) | of which COMMIT | WAL frames per PUT |\n| --- | ---: | ---: | ---: |');
for (const [name, v] of Object.entries(VARIANTS)) {
  const runs = [run(v, n), run(v, n), run(v, n)].sort((a, b) => a.us - b.us);
  const m = runs[1]!;
  console.log(`| ${name} | ${m.us.toFixed(1)} | ${m.commitUs.toFixed(1)} | ${m.frames.toFixed(2)} |`);
}
