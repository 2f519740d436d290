// Scale-out faults on the shared PostgreSQL: homeserver processes (the CLI) behind the load
// balancer. One process is SIGKILLed in the middle of a write load; two processes write one path at
// the same moment.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { readSse, signup, startCluster, tempDatabase, until, type SseEvent } from './fault-helpers.ts';

/** Every event of `user`, in order, as one process serves them (non-live stream). */
async function allEvents(url: string, user: string, path?: string): Promise<SseEvent[]> {
  const res = await fetch(`${url}/events-stream?user=${user}${path ? `&path=${encodeURIComponent(path)}` : ''}`);
  assert.equal(res.status, 200);
  const out: SseEvent[] = [];
  const ended = await readSse(res, (e) => out.push(e));
  assert.equal(ended, 'end');
  return out;
}

test('SIGKILL one of three processes mid-load: acknowledged writes survive byte for byte, a live stream resumes elsewhere from its cursor without gap or duplicate', async (t) => {
  const db = await tempDatabase();
  let close: (() => Promise<void>) | null = null;
  const abort = new AbortController();
  t.after(async () => {
    abort.abort();
    await close?.();
    await db.drop();
  });
  const started = await startCluster(db.url, 3);
  close = started.close;
  const { cluster } = started;
  const lb = cluster.url;
  const victim = cluster.instances[1];
  const { user, headers } = await signup(lb);
  const pk = user.publicKey.z32;

  // A live subscriber on the process that will be killed; on a break it reconnects through the load
  // balancer with the last cursor it saw.
  const received: SseEvent[] = [];
  const sources: string[] = [];
  let cursor: number | null = null;
  const subscribe = async (base: string) => {
    const res = await fetch(`${base}/events-stream?user=${pk}${cursor === null ? '' : `:${cursor}`}&live=true`, { signal: abort.signal });
    assert.equal(res.status, 200);
    sources.push(base);
    return res;
  };
  const first = await subscribe(victim.url);
  const subscriber = (async () => {
    let res = first;
    while (!abort.signal.aborted) {
      await readSse(res, (e) => {
        received.push(e);
        cursor = e.id;
      });
      if (abort.signal.aborted) return;
      res = await subscribe(lb);
    }
  })().catch((e) => {
    if (!abort.signal.aborted) throw e;
  });

  // The load: concurrent PUTs of distinct paths through the balancer; one process dies after 40 acks.
  const acked = new Map<string, Buffer>();
  const failures = new Map<string, number>();
  let next = 0;
  let ackedAfterKill = 0;
  let killed = false;
  const TOTAL = 160;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      const path = `/pub/load/${i}`;
      const body = randomBytes(i % 10 === 0 ? 80_000 : 200 + (i % 7) * 300); // inline and blob contents
      let status: string;
      try {
        const res = await fetch(`${lb}${path}`, { method: 'PUT', body, headers });
        await res.arrayBuffer();
        status = String(res.status);
        if (res.status === 201 || res.status === 204) {
          acked.set(path, body);
          if (killed) ackedAfterKill++;
        }
      } catch {
        status = 'network error';
      }
      if (!acked.has(path)) failures.set(status, (failures.get(status) ?? 0) + 1);
      if (!killed && acked.size >= 40) {
        killed = true;
        cluster.kill(victim.index);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.ok(killed, 'the process was killed during the load');
  assert.ok(ackedAfterKill >= 50, `the load went on after the kill (${ackedAfterKill} acks)`);
  for (const status of failures.keys()) {
    // A request the killed process had accepted fails (502 from the balancer, or a reset); nothing else.
    assert.ok(status === '502' || status === 'network error', `unexpected answer ${status} (${[...failures].join(', ')})`);
  }

  // Every acknowledged write, byte for byte, through the balancer and through each survivor.
  const survivors = cluster.instances.filter((i) => i !== victim);
  for (const base of [lb, ...survivors.map((i) => i.url)]) {
    for (const [path, body] of acked) {
      const res = await fetch(`${base}${path}`, { headers: { 'pubky-host': pk } });
      assert.equal(res.status, 200, `${path} through ${base}`);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(body), `${path} through ${base}: same bytes`);
    }
  }

  // The full event list after the load is the same from every survivor and has one event per write.
  const full = await allEvents(survivors[0].url, pk);
  assert.deepEqual(await allEvents(survivors[1].url, pk), full, 'same events, same order, on every process');
  const ids = full.map((e) => e.id);
  assert.deepEqual(
    ids,
    [...new Set(ids)].sort((a, b) => a - b),
    'ascending, unique',
  );
  const putPaths = full.filter((e) => e.type === 'PUT').map((e) => e.uri.slice(`pubky://${pk}`.length));
  for (const path of acked.keys()) assert.equal(putPaths.filter((p) => p === path).length, 1, `one event for ${path}`);

  // The subscriber moved to another process and got every event exactly once, in order.
  await until(() => received.length >= full.length, 15_000, `the subscriber to catch up (${received.length}/${full.length})`);
  await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive now
  assert.ok(
    sources.length >= 2 && sources[0] === victim.url && sources.slice(1).every((s) => s === lb),
    `reconnected through the balancer: ${sources}`,
  );
  assert.deepEqual(
    received.map((e) => e.id),
    ids,
    'every event once, no gap',
  );
  assert.deepEqual(received, full);
  abort.abort();
  await subscriber;
});

test('two processes write one path at the same moment: one final state, one event per write, same order everywhere', async (t) => {
  const db = await tempDatabase();
  let close: (() => Promise<void>) | null = null;
  t.after(async () => {
    await close?.();
    await db.drop();
  });
  const started = await startCluster(db.url, 2);
  close = started.close;
  const { cluster } = started;
  const [a, b] = cluster.instances;
  const { user, headers } = await signup(cluster.url);
  const pk = user.publicKey.z32;
  const path = '/pub/same';

  let writes = 0;
  for (let round = 0; round < 6; round++) {
    // Two writers per process, started together; contents inline or as a blob.
    const bodies = [0, 1, 2, 3].map((k) => randomBytes(round % 2 ? 70_000 + k : 100 + k));
    const results = await Promise.all(
      bodies.map((body, k) => fetch(`${(k % 2 ? a : b).url}${path}`, { method: 'PUT', body, headers }).then((r) => r.status)),
    );
    assert.ok(
      results.every((s) => s === 201 || s === 204),
      `round ${round}: every write succeeds (${results})`,
    );
    writes += bodies.length;

    const [onA, onB] = await Promise.all([allEvents(a.url, pk, path), allEvents(b.url, pk, path)]);
    assert.equal(onA.length, writes, 'one event per write');
    assert.deepEqual(onA, onB, 'the same events in the same order on both processes');
    // The final state is the last write (the last event), on both processes.
    const last = onA[onA.length - 1];
    assert.equal(last.type, 'PUT');
    for (const base of [a.url, b.url]) {
      const res = await fetch(`${base}${path}`, { headers: { 'pubky-host': pk } });
      assert.equal(res.status, 200);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.ok(
        bodies.some((x) => x.equals(bytes)),
        'a body of this round',
      );
      assert.equal(res.headers.get('etag'), `"${last.hash}"`, 'the content of the last event');
    }
    assert.equal(
      new Set(onA.slice(-bodies.length).map((e) => e.hash)).size,
      bodies.length,
      'each write of the round has its own event (distinct contents)',
    );
  }
});
