import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { GroupCommitter } from './group-commit.ts';

function db() {
  const d = new BetterSqlite3(':memory:');
  d.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  return d;
}

test('concurrent jobs share one transaction; a failing job fails alone', async () => {
  const d = db();
  const gc = new GroupCommitter(d);
  const ins = d.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const after: string[] = [];
  const results = await Promise.allSettled([
    gc.submit(
      () => ins.run('a', 1).changes,
      () => after.push('a'),
    ),
    gc.submit(() => {
      ins.run('b', 2);
      ins.run('a', 3); // duplicate key: this job must roll back entirely, including 'b'
    }),
    gc.submit(
      () => ins.run('c', 4).changes,
      () => after.push('c'),
    ),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.equal(results[2].status, 'fulfilled');
  assert.equal(gc.commits, 1);
  assert.deepEqual(
    d
      .prepare('SELECT k FROM t ORDER BY k')
      .all()
      .map((r: any) => r.k),
    ['a', 'c'],
  );
  assert.deepEqual(after, ['a', 'c']);
  gc.close();
  d.close();
});

test('single mode commits each job alone; maxBatch splits batches', async () => {
  const d = db();
  const single = new GroupCommitter(d, { mode: 'single' });
  const ins = d.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  await Promise.all([1, 2, 3].map((i) => single.submit(() => ins.run(`s${i}`, i))));
  assert.equal(single.commits, 3);
  const small = new GroupCommitter(d, { maxBatch: 2 });
  await Promise.all([1, 2, 3, 4, 5].map((i) => small.submit(() => ins.run(`m${i}`, i))));
  assert.equal(small.commits, 3);
  assert.equal((d.prepare('SELECT COUNT(*) AS n FROM t').get() as any).n, 8);
  small.close();
  await assert.rejects(
    small.submit(() => 1),
    /closed/,
  );
  d.close();
});

test('a failing job makes the batch run again with savepoints; jobs that succeed commit once', async () => {
  const d = db();
  const gc = new GroupCommitter(d);
  const ins = d.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const runs: Record<string, number> = {};
  const job =
    (k: string, fail = false) =>
    () => {
      runs[k] = (runs[k] ?? 0) + 1;
      ins.run(k, 1);
      if (fail) throw new Error(`${k} fails after writing`);
      return k;
    };
  const ok = await Promise.all([gc.submit(job('x')), gc.submit(job('y'))]);
  assert.deepEqual(ok, ['x', 'y']);
  assert.deepEqual(runs, { x: 1, y: 1 }, 'no failure: one pass, no savepoints needed');
  const after: string[] = [];
  const results = await Promise.allSettled([
    gc.submit(job('p'), (v) => after.push(v)),
    gc.submit(job('q', true), (v) => after.push(v)),
    gc.submit(job('r'), (v) => after.push(v)),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.deepEqual(after, ['p', 'r'], 'post-commit hooks run once, for the committed jobs only');
  assert.deepEqual(
    d
      .prepare('SELECT k FROM t ORDER BY k')
      .all()
      .map((r: any) => r.k),
    ['p', 'r', 'x', 'y'],
  );
  assert.equal(gc.commits, 2, 'the rolled-back optimistic pass is not a commit');
  gc.close();
  d.close();
});
