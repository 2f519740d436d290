import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { as, signup, startTestServer, type TestServer } from './helpers.ts';

let hs: TestServer;
before(async () => {
  hs = await startTestServer({ metrics: { enabled: true, listen_socket: '127.0.0.1:0' } });
});
after(() => hs.stop());

async function scrape(): Promise<string> {
  const res = await fetch(`${hs.metricsUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

/** The value of one sample line, e.g. `signup_count_total` or `name{a="b"}`; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const storageSeries = (mode: string, header: string, query: string, auth: string) =>
  `storage_request_count_total{addressing_mode="${mode}",pubky_host_header="${header}",pubky_host_query="${query}",auth_method="${auth}"}`;

test('GET /metrics: the reference metrics in Prometheus text, counting sign-ups, storage requests by how they name their tenant, and event reads', async () => {
  const before = await scrape();
  for (const name of [
    'storage_request_count_total',
    'signup_count_total',
    'events_db_query_duration_ms',
    'event_stream_db_query_duration_ms',
    'event_stream_connection_duration_ms',
    'event_stream_broadcast_lagged_count_total',
    'event_stream_broadcast_half_full_count_total',
    'event_stream_active_connections',
  ]) {
    assert.match(before, new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'), name);
  }
  const { kp, cookie } = await signup(hs);
  const z32 = kp.publicKey.z32;
  assert.equal((await hs.req('/pub/m.txt', { method: 'PUT', body: 'hello', headers: as(kp, cookie) })).status, 201);
  assert.equal((await hs.req(`/storage/${z32}/pub/m.txt`)).status, 200);
  assert.equal((await hs.req(`/pub/m.txt?pubky-host=${z32}`)).status, 200);
  assert.equal((await hs.req(`/storage/${z32}/pub/m.txt`, { headers: { 'pubky-host': Keypair.random().publicKey.z32 } })).status, 200);
  assert.equal((await hs.req('/events/?limit=5')).status, 200);
  // Requests without a tenant are not counted.
  assert.equal((await hs.req('/pub/m.txt')).status, 400);

  const after = await scrape();
  assert.equal(sample(after, 'signup_count_total') - sample(before, 'signup_count_total'), 1);
  const delta = (s: string) => sample(after, s) - sample(before, s);
  assert.equal(delta(storageSeries('legacy', 'matching', 'false', 'cookie')), 1);
  assert.equal(delta(storageSeries('path', 'absent', 'false', 'none')), 1);
  assert.equal(delta(storageSeries('legacy', 'absent', 'true', 'none')), 1);
  assert.equal(delta(storageSeries('path', 'other', 'false', 'none')), 1);
  const counted = after
    .split('\n')
    .filter((l) => l.startsWith('storage_request_count_total{'))
    .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  const countedBefore = before
    .split('\n')
    .filter((l) => l.startsWith('storage_request_count_total{'))
    .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  assert.equal(counted - countedBefore, 4, 'exactly the four requests with a tenant');
  assert.ok(delta('events_db_query_duration_ms_count') >= 1);
  assert.equal(sample(after, 'events_db_query_duration_ms_bucket{le="+Inf"}'), sample(after, 'events_db_query_duration_ms_count'));
  assert.doesNotMatch(after, new RegExp(z32), 'no keys in labels');
});

test('event streams: open connections, how long they stayed, and their database pages', async () => {
  const { kp, cookie } = await signup(hs);
  await hs.req('/pub/s.txt', { method: 'PUT', body: 'x', headers: as(kp, cookie) });
  const before = await scrape();
  const controller = new AbortController();
  const res = await hs.req(`/events-stream?user=${kp.publicKey.z32}&live=true`, { signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read();
  const during = await scrape();
  assert.equal(sample(during, 'event_stream_active_connections') - sample(before, 'event_stream_active_connections'), 1);
  assert.ok(sample(during, 'event_stream_db_query_duration_ms_count') > sample(before, 'event_stream_db_query_duration_ms_count'));
  controller.abort();
  await reader.cancel().catch(() => {});
  let after = await scrape();
  for (let i = 0; i < 100 && sample(after, 'event_stream_active_connections') !== sample(before, 'event_stream_active_connections'); i++) {
    await new Promise((r) => setTimeout(r, 20));
    after = await scrape();
  }
  assert.equal(sample(after, 'event_stream_active_connections'), sample(before, 'event_stream_active_connections'));
  assert.equal(sample(after, 'event_stream_connection_duration_ms_count') - sample(before, 'event_stream_connection_duration_ms_count'), 1);
});

test('the metrics socket answers only GET/HEAD /metrics; garbage gets a 4xx, never a crash', async () => {
  const head = await fetch(`${hs.metricsUrl}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.equal((await fetch(`${hs.metricsUrl}/`)).status, 404);
  assert.equal((await fetch(`${hs.metricsUrl}/metrics`, { method: 'POST', body: 'x' })).status, 404);
  for (const path of ['/metrics/../admin', '/%00', '/metrics?x=%zz', `/${'a'.repeat(5000)}`]) {
    const r = await fetch(`${hs.metricsUrl}${path}`);
    assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${path}: ${r.status}`);
  }
  await scrape();
});

test('metrics are off by default: no socket, nothing collected', async () => {
  const plain = await startTestServer();
  try {
    assert.equal(plain.metricsUrl, null);
  } finally {
    await plain.stop();
  }
});
