import { migrations } from './migrations/index.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { runMigrations, type Migration } from './migrate.ts';
import { openDatabase } from './sqlite.ts';

test('migrations apply once, in order, and refuse an unknown newer schema', () => {
  const db = new BetterSqlite3(':memory:');
  const seen: string[] = [];
  const ms: Migration[] = [
    {
      id: 2,
      name: 'two',
      up: (d) => {
        seen.push('two');
        d.exec('ALTER TABLE t ADD COLUMN b INTEGER');
      },
    },
    {
      id: 1,
      name: 'one',
      up: (d) => {
        seen.push('one');
        d.exec('CREATE TABLE t (a INTEGER)');
      },
    },
  ];
  assert.deepEqual(runMigrations(db, ms), ['one', 'two']);
  assert.deepEqual(runMigrations(db, ms), []);
  assert.deepEqual(seen, ['one', 'two']);
  assert.throws(() => runMigrations(db, [ms[1]]), /does not know/);
  const broken: Migration[] = [
    ...ms,
    {
      id: 3,
      name: 'three',
      up: (d) => {
        d.exec('CREATE TABLE x (a)');
        throw new Error('boom');
      },
    },
  ];
  assert.throws(() => runMigrations(db, broken), /boom/);
  assert.equal(
    (db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'x'").get() as { n: number }).n,
    0,
    'failed migration rolled back',
  );
  assert.throws(() => runMigrations(db, [ms[1], { id: 3, name: 'gap', up: () => {} }]), /without gaps/);
  db.close();
});

test('openDatabase: WAL, durability pragmas, schema in place, reopen is a no-op', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-db-'));
  try {
    const file = join(dir, 'x.sqlite');
    const a = openDatabase(file);
    assert.equal(a.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(a.pragma('synchronous', { simple: true }), 1);
    assert.equal(a.pragma('foreign_keys', { simple: true }), 1);
    a.close();
    const b = openDatabase(file, { durability: 'fsync' });
    assert.equal(b.pragma('synchronous', { simple: true }), 2);
    assert.equal((b.prepare('SELECT COUNT(*) AS n FROM migrations').get() as { n: number }).n, migrations.length);
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
