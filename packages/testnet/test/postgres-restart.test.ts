// PostgreSQL goes away in the middle of a load: a private PostgreSQL cluster (never the
// machine's shared one) is crashed (`pg_ctl -m immediate`: recovery from WAL) and started again while
// two homeserver processes behind the load balancer serve writes and reads.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { readSse, signup, startCluster, startPrivatePostgres, until, type SseEvent } from './fault-helpers.ts';

test('PostgreSQL crashes and restarts during a load: 503 + Retry-After in the gap, never a wrong answer; the processes reconnect; nothing acknowledged is lost', async (t) => {
  const db = await startPrivatePostgres();
  let close: (() => Promise<void>) | null = null;
  t.after(async () => {
    await close?.();
    await db.destroy();
  });
  const started = await startCluster(db.url, 2);
  close = started.close;
  const { cluster } = started;
  const lb = cluster.url;
  const { user, headers } = await signup(lb);
  const pk = user.publicKey.z32;

  const acked = new Map<string, Buffer>();
  const answers = new Map<string, number>();
  const wrong: string[] = [];
  const note = (what: string) => answers.set(what, (answers.get(what) ?? 0) + 1);
  /** 503 is fine in the outage, if it carries Retry-After; anything but the right answer or that is wrong. */
  const check503 = async (res: Response, what: string) => {
    const text = await res.text();
    if (res.headers.get('retry-after') === null || !/^\d+$/.test(res.headers.get('retry-after')!))
      wrong.push(`${what}: 503 without Retry-After`);
    if (!/database/i.test(text)) wrong.push(`${what}: 503 for another reason: ${text}`);
  };

  let phase: 'before' | 'down' | 'after' = 'before';
  const okIn: Record<string, number> = { before: 0, down: 0, after: 0 };
  let stop = false;
  let n = 0;
  const writer = async () => {
    while (!stop) {
      const path = `/pub/r/${n++}`;
      const body = randomBytes(n % 8 === 0 ? 70_000 : 300 + (n % 5) * 100);
      const res = await fetch(`${lb}${path}`, { method: 'PUT', body, headers });
      note(`PUT ${res.status}`);
      if (res.status === 201 || res.status === 204) {
        await res.arrayBuffer();
        acked.set(path, body);
        okIn[phase]++;
      } else if (res.status === 503) await check503(res, `PUT ${path}`);
      else wrong.push(`PUT ${path}: ${res.status} ${await res.text()}`);
    }
  };
  const reader = async () => {
    while (!stop) {
      const known = [...acked.keys()];
      if (known.length === 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const path = known[Math.floor(Math.random() * known.length)];
      const res = await fetch(`${lb}${path}`, { headers: { 'pubky-host': pk } });
      note(`GET ${res.status}`);
      if (res.status === 200) {
        if (!Buffer.from(await res.arrayBuffer()).equals(acked.get(path)!)) wrong.push(`GET ${path}: other bytes`);
      } else if (res.status === 503) await check503(res, `GET ${path}`);
      else wrong.push(`GET ${path}: ${res.status} ${await res.text()}`);
    }
  };
  const load = Promise.all([writer(), writer(), writer(), writer(), reader(), reader()]);
  try {
    await until(() => okIn.before >= 30, 15_000, '30 writes before the crash');
    await db.stop('immediate');
    phase = 'down';
    const answered = answers.get('PUT 503') ?? 0;
    await until(() => (answers.get('PUT 503') ?? 0) >= answered + 10, 10_000, 'writes answered 503 while PostgreSQL is down');
    await db.start();
    phase = 'after';
    // The processes reconnect by themselves: writes succeed again on both (round robin), within bounds.
    await until(() => okIn.after >= 40, 20_000, 'writes to succeed again after the restart');
  } finally {
    stop = true;
    await load;
  }
  assert.deepEqual(wrong, [], `only right answers or 503 + Retry-After (${[...answers].join(', ')})`);
  assert.ok((answers.get('GET 503') ?? 0) + (answers.get('PUT 503') ?? 0) >= 10, 'the outage was seen');

  // Everything acknowledged is there, byte for byte, through both processes.
  for (const inst of cluster.instances) {
    for (const [path, body] of acked) {
      const res = await fetch(`${inst.url}${path}`, { headers: { 'pubky-host': pk } });
      assert.equal(res.status, 200, `${path} on instance ${inst.index}`);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(body), `${path} on instance ${inst.index}: same bytes`);
    }
  }
  // And every acknowledged write has its event, in one order on both processes (the crash made the
  // id sequence jump: the watermark settles that gap).
  const events = async (base: string) => {
    const out: SseEvent[] = [];
    const res = await fetch(`${base}/events-stream?user=${pk}`);
    assert.equal(res.status, 200);
    assert.equal(await readSse(res, (e) => out.push(e)), 'end');
    return out;
  };
  let onA: SseEvent[] = [];
  await until(
    async () => {
      onA = await events(cluster.instances[0].url);
      const seen = new Set(onA.map((e) => e.uri.slice(`pubky://${pk}`.length)));
      return [...acked.keys()].every((p) => seen.has(p));
    },
    10_000,
    'an event for every acknowledged write',
  );
  const ids = onA.map((e) => e.id);
  assert.deepEqual(
    ids,
    [...new Set(ids)].sort((a, b) => a - b),
    'ascending, unique',
  );
  assert.deepEqual(await events(cluster.instances[1].url), onA, 'the same list on the other process');
});
