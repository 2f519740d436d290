import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chunks, collect, randomUserKey, tempStore } from '../../test/storage-helpers.ts';
import { openHomeserverStore } from '../storage/open-store.ts';
import type { BackgroundCheckpointer } from './checkpointer.ts';

test('background checkpointer: starts after N commits, backfills the WAL, stops on close', async () => {
  const { store, dataDir, cleanup } = await tempStore({ backgroundCheckpointAfter: 3 });
  let closed = false;
  try {
    const u = randomUserKey();
    await store.users.create(u);
    await store.files.put(u, '/pub/0', chunks('a'));
    assert.equal(store.checkpointer, null, 'not before the threshold');
    for (let i = 1; i < 40; i++) await store.files.put(u, `/pub/${i}`, chunks(`v${i}`));
    const worker = store.checkpointer as BackgroundCheckpointer | null;
    assert.ok(worker, 'started');
    assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 10_000, 'safety net kept on the writer');
    assert.ok((await worker.checkpointNow()) >= 1);
    // The main database file alone (without its WAL) already holds every committed write.
    const copy = join(dataDir, 'copy.sqlite');
    copyFileSync(join(dataDir, 'homeserver.sqlite'), copy);
    const bare = new Database(copy, { readonly: true });
    try {
      assert.equal(bare.prepare('SELECT COUNT(*) FROM entries').pluck().get(), 40);
    } finally {
      bare.close();
    }
    await store.close();
    closed = true;
    const again = await openHomeserverStore({ dataDir });
    try {
      assert.equal((await collect((await again.files.get(u, '/pub/39'))!.body)).toString(), 'v39');
    } finally {
      await again.close();
    }
  } finally {
    if (!closed) await store.close();
    await cleanup();
  }
});

test('no checkpointer when disabled', async () => {
  const { store, cleanup } = await tempStore({ backgroundCheckpointAfter: null });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    for (let i = 0; i < 70; i++) await store.files.put(u, `/pub/${i}`, chunks('x'));
    assert.equal(store.checkpointer, null);
    assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'SQLite default');
  } finally {
    await cleanup();
  }
});
