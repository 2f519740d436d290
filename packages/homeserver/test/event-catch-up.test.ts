// A live stream whose catch-up over a long history is still running (windowed, yielding) while
// writes land: every event arrives once, in id order, the history's match first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqliteHomeserverStore } from '../src/storage/open-store.ts';
import { as, signup, startTestServer, type TestServer } from './helpers.ts';

let hs: TestServer;
before(async () => {
  hs = await startTestServer();
});
after(() => hs.stop());

test('writes during a long catch-up reach the live stream once each and in order', async () => {
  const { kp, cookie } = await signup(hs);
  const z = kp.publicKey.z32;
  const db = (hs.store as SqliteHomeserverStore).db;
  const uid = (db.prepare('SELECT id FROM users WHERE public_key = ?').get(z) as { id: number }).id;
  const insert = db.prepare("INSERT INTO events (type, user_id, path, content_hash, created_at) VALUES ('PUT', ?, ?, NULL, 0)");
  db.transaction(() => {
    for (let i = 0; i < 300_000; i++) insert.run(uid, i === 150_000 ? '/pub/live/old' : `/pub/bulk/${i}`);
  })();

  const res = await hs.req(`/events-stream?user=${z}&live=true&path=/pub/live/`);
  assert.equal(res.status, 200);
  const writes = 20;
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  const reading = (async () => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (text.match(/^event: /gm) ?? []).length < writes + 1) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    await reader.cancel().catch(() => {});
  })();
  // No waiting: the first writes land while the stream is still scanning the 300,000 events.
  for (let i = 0; i < writes; i++) {
    assert.equal((await hs.req(`/pub/live/${i}`, { method: 'PUT', body: String(i), headers: as(kp, cookie) })).status, 201);
  }
  await reading;
  const paths = [...text.matchAll(/^data: pubky:\/\/\w+(\/pub\/live\/\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(paths, ['/pub/live/old', ...Array.from({ length: writes }, (_, i) => `/pub/live/${i}`)]);
  const cursors = [...text.matchAll(/^data: cursor: (\d+)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    cursors,
    [...cursors].sort((a, b) => a - b),
  );
  assert.equal(new Set(cursors).size, cursors.length);
});
