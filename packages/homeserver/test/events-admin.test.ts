import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Encode, blake3, Keypair, utf8Encode } from '@pubky-ts/common';
import { as, signup, startTestServer, type TestServer } from './helpers.ts';

/** Reads an SSE response until it ends or `count` events arrived; returns the raw text. */
async function readSse(res: Response, count = Infinity, timeoutMs = 3000): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const timer = new Promise<{ done: true; value: undefined }>((r) =>
      setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now()),
    );
    const { done, value } = await Promise.race([reader.read(), timer]);
    if (done) break;
    text += dec.decode(value, { stream: true });
    if ((text.match(/^event: /gm) ?? []).length >= count) break;
  }
  await reader.cancel().catch(() => {});
  return text;
}

describe('events feed, event stream and admin API', () => {
  let hs: TestServer;
  let kp: Keypair;
  let cookie: string;
  let z: string;
  before(async () => {
    hs = await startTestServer();
    ({ kp, cookie } = await signup(hs));
    z = kp.publicKey.z32;
    for (const p of ['/pub/e/1', '/pub/e/2', '/priv/e/secret']) {
      assert.equal((await hs.req(p, { method: 'PUT', body: 'x', headers: as(kp, cookie) })).status, 201);
    }
    assert.equal((await hs.req('/pub/e/1', { method: 'DELETE', headers: as(kp, cookie) })).status, 204);
  });
  after(() => hs.stop());

  test('GET /events/: public only, cursor line, empty page empty body', async () => {
    let r = await hs.req('/events/');
    const text = await r.text();
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(0, 3), [`PUT pubky://${z}/pub/e/1`, `PUT pubky://${z}/pub/e/2`, `DEL pubky://${z}/pub/e/1`]);
    assert.match(lines[3]!, /^cursor: \d+$/);
    const cursor = lines[3]!.slice('cursor: '.length);
    r = await hs.req(`/events/?cursor=${cursor}`);
    assert.equal(await r.text(), '');
    r = await hs.req('/events/?limit=1');
    assert.equal((await r.text()).split('\n').length, 2);
    assert.equal((await hs.req('/events/?cursor=xyz')).status, 400);
    assert.equal((await hs.req('/events/?reverse=perhaps')).status, 400);
  });

  test('GET /events-stream: exact message bytes, per-user cursor, reverse, limit', async () => {
    let r = await hs.req(`/events-stream?user=${z}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const text = await readSse(r);
    const msgs = text.split('\n\n').filter(Boolean);
    assert.equal(msgs.length, 3, 'only /pub/ by default');
    const hash = base64Encode(await blake3(utf8Encode('x')));
    const m = /^data: cursor: (\d+)$/m.exec(msgs[0]!);
    assert.equal(msgs[0], `event: PUT\ndata: pubky://${z}/pub/e/1\ndata: cursor: ${m![1]}\ndata: content_hash: ${hash}`);
    assert.match(msgs[2]!, new RegExp(`^event: DEL\ndata: pubky://${z}/pub/e/1\ndata: cursor: \\d+$`));
    const firstCursor = /cursor: (\d+)/.exec(msgs[0]!)![1];
    r = await hs.req(`/events-stream?user=${z}:${firstCursor}&limit=1`);
    assert.match(await readSse(r), /pub\/e\/2/);
    r = await hs.req(`/events-stream?user=${z}&reverse=true&limit=1`);
    assert.match(await readSse(r), /^event: DEL/);
  });

  test('events-stream rejections', async () => {
    const cases: Array<[string, number, string?]> = [
      ['', 400, 'user parameter is required'],
      [`?user=${z}&limit=0`, 400, 'limit must be at least 1'],
      [`?user=${z}&limit=x`, 400, 'Invalid limit: x'],
      [`?user=${z}&live=true&reverse=1`, 400, 'Cannot use live mode with reverse ordering'],
      [`?user=${z}:nope`, 400, 'Invalid cursor: nope'],
      [`?user=pubky${z}`, 400],
      [`?user=${Keypair.random().publicKey.z32}`, 404],
      [`?user=${z}&path=/etc/`, 403],
      [`?user=${z}&path=/../x`, 400, 'Invalid path: /../x'],
      [`?user=${z}&path=/priv/`, 401],
      [`?user=${z}&user=${(await signup(hs)).kp.publicKey.z32}&path=/priv/`, 403, 'A private read must be scoped to exactly one user'],
      [`?${Array.from({ length: 51 }, () => `user=${z}`).join('&')}`, 400, 'Too many users. Maximum allowed: 50'],
    ];
    for (const [q, status, msg] of cases) {
      const r = await hs.req(`/events-stream${q}`);
      assert.equal(r.status, status, q);
      assert.equal(r.headers.get('cache-control'), 'no-store', q);
      if (msg) assert.equal(await r.text(), msg);
      else await r.arrayBuffer();
    }
  });

  test('private stream with the owner cookie; a Bearer header disables the cookie', async () => {
    let r = await hs.req(`/events-stream?user=${z}&path=/priv/`, { headers: { cookie } });
    assert.equal(r.status, 200);
    assert.match(await readSse(r), /priv\/e\/secret/);
    r = await hs.req(`/events-stream?user=${z}&path=/priv/`, { headers: { cookie, authorization: 'Bearer nope' } });
    assert.equal(r.status, 401);
  });

  test('live stream delivers new writes and keeps order; ends when its session is revoked', async () => {
    const r = await hs.req(`/events-stream?user=${z}&live=true&path=/pub/live/&path=/priv/`, { headers: { cookie } });
    assert.equal(r.status, 200);
    const reading = readSse(r, 3);
    await new Promise((res) => setTimeout(res, 50));
    await hs.req('/pub/live/a', { method: 'PUT', body: 'a', headers: as(kp, cookie) });
    await hs.req('/pub/elsewhere', { method: 'PUT', body: 'b', headers: as(kp, cookie) });
    await hs.req('/priv/live-b', { method: 'PUT', body: 'b', headers: as(kp, cookie) });
    const text = await reading;
    assert.match(text, /pub\/live\/a[\s\S]*priv\/live-b/);
    assert.doesNotMatch(text, /elsewhere/);
    // revocation closes a private live stream
    const second = await signup(hs);
    const res2 = await hs.req(`/events-stream?user=${second.kp.publicKey.z32}&live=true&path=/priv/`, {
      headers: { cookie: second.cookie },
    });
    const done = readSse(res2, Infinity, 3000);
    await new Promise((res) => setTimeout(res, 50));
    const t0 = Date.now();
    await hs.req('/session', { method: 'DELETE', headers: as(second.kp, second.cookie) });
    await done;
    assert.ok(Date.now() - t0 < 2000, 'stream ended on sign-out');
  });

  test('admin: password, tokens, disable/enable, quota, usage, webdav delete, delete account, admin stream', async () => {
    let r = await fetch(`${hs.adminUrl}/info`);
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'Missing admin password');
    r = await fetch(`${hs.adminUrl}/info`, { headers: { 'x-admin-password': 'wrong' } });
    assert.equal(await r.text(), 'Invalid admin password');
    assert.equal(await (await fetch(`${hs.adminUrl}/`)).text(), 'Homeserver - Admin Endpoint');
    const info = await (await hs.admin('/info')).json();
    assert.equal(info.public_key, hs.publicKey.z32);
    assert.ok(info.num_users >= 1);
    r = await hs.admin('/generate_signup_token', {
      method: 'POST',
      body: JSON.stringify({ storage_quota_mb: 5, allowed_write_paths: ['/pub/app/'] }),
    });
    assert.equal(r.status, 200);
    const token = await r.text();
    r = await hs.admin('/generate_signup_token', { method: 'POST', body: JSON.stringify({ allowed_write_paths: ['/pub/../etc/'] }) });
    assert.equal(r.status, 422);
    r = await hs.admin('/signup_tokens?state=unused&limit=10');
    const page = await r.json();
    assert.ok(page.items.some((t: { token: string }) => t.token === token));
    assert.match(page.items[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal((await hs.admin('/signup_tokens?limit=0')).status, 400);

    assert.equal(await (await hs.admin(`/users/${z}/disable`, { method: 'POST' })).text(), 'Ok');
    r = await hs.req('/pub/e/3', { method: 'PUT', body: 'x', headers: as(kp, cookie) });
    assert.equal(r.status, 403);
    assert.equal(await r.text(), 'User is disabled');
    await hs.admin(`/users/${z}/enable`, { method: 'POST' });
    assert.equal((await hs.req('/pub/e/3', { method: 'PUT', body: 'xyz', headers: as(kp, cookie) })).status, 201);
    assert.equal((await hs.admin(`/users/${Keypair.random().publicKey.z32}/disable`, { method: 'POST' })).status, 404);
    assert.equal((await hs.admin('/users/garbage/disable', { method: 'POST' })).status, 400);

    r = await hs.admin(`/users/${z}/quota`, {
      method: 'PATCH',
      body: JSON.stringify({ storage_quota_mb: 'unlimited', rate_read: '10mb/s' }),
    });
    assert.equal(r.status, 200);
    const q = await r.json();
    assert.equal(q.overrides.storage_quota_mb, 'unlimited');
    assert.equal(q.effective.rate_read, '10mb/s');
    assert.equal((await hs.admin(`/users/${z}/quota`, { method: 'PATCH', body: '{"rate_read_burst":0}' })).status, 422);
    for (const bad of ['0kb/s', '10MB/s', '10mb', '1 kb/s', 5]) {
      r = await hs.admin(`/users/${z}/quota`, { method: 'PATCH', body: JSON.stringify({ rate_write: bad }) });
      assert.equal(r.status, 422, String(bad));
      assert.match(await r.text(), /rate_write: expected "<n><kb\|mb\|gb>\/<s\|m\|h\|d>" \(n ≥ 1\)/);
    }
    assert.equal((await hs.admin(`/users/${z}/quota`)).status, 200);

    const usage = await (await hs.admin(`/users/${z}/usage`)).json();
    assert.ok(usage.files >= 3);
    assert.equal(usage.used_bytes, usage.content_bytes + usage.files * 256);

    const adminStream = await hs.admin(`/events-stream?user=${z}&path=/priv/`);
    assert.match(await readSse(adminStream), /priv\/e\/secret/);

    r = await hs.admin(`/webdav/${z}/pub/e/2`, { method: 'DELETE' });
    assert.equal(r.status, 204);
    assert.equal((await hs.admin(`/webdav/${z}/pub/e/2`, { method: 'DELETE' })).status, 404);
    assert.equal((await hs.req('/pub/e/2', { headers: as(kp) })).status, 404);

    const victim = await signup(hs);
    const vz = victim.kp.publicKey.z32;
    await hs.req('/pub/x', { method: 'PUT', body: 'x', headers: as(victim.kp, victim.cookie) });
    assert.equal((await hs.admin(`/users/${vz}`, { method: 'DELETE' })).status, 204);
    assert.equal((await hs.req('/pub/x', { headers: as(victim.kp) })).status, 404);
    assert.equal((await hs.req('/session', { headers: as(victim.kp, victim.cookie) })).status, 401);
    assert.equal((await hs.admin(`/users/${vz}`, { method: 'DELETE' })).status, 404);
  });
});

describe('CORS and rate limits', () => {
  let hs: TestServer;
  before(async () => {
    hs = await startTestServer({ drive: { rate_limits: [{ path: '/pub/**', method: 'GET', quota: '2r/m', key: 'ip' }] } });
  });
  after(() => hs.stop());

  test('preflight mirrors origin, method and headers; responses expose ETag and Retry-After', async () => {
    let r = await hs.req('/storage/garbage', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'pubky-host, content-type',
      },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(r.headers.get('access-control-allow-methods'), 'PUT');
    assert.equal(r.headers.get('access-control-allow-headers'), 'pubky-host, content-type');
    r = await hs.req('/', { headers: { origin: 'https://app.example' } });
    assert.match(r.headers.get('access-control-expose-headers')!, /etag.*last-modified.*retry-after/);
    assert.match(r.headers.get('vary')!, /Origin/);
  });

  test('429 with Retry-After and CORS after the quota', async () => {
    const h = { 'pubky-host': Keypair.random().publicKey.z32, origin: 'https://o.example' };
    assert.equal((await hs.req('/pub/a', { headers: h })).status, 404);
    assert.equal((await hs.req('/pub/a', { headers: h })).status, 404);
    const r = await hs.req('/pub/a', { headers: h });
    assert.equal(r.status, 429);
    assert.equal(await r.text(), 'Rate limit exceeded');
    const ra = Number(r.headers.get('retry-after'));
    assert.ok(ra >= 1 && ra <= 60, String(ra));
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://o.example');
    assert.equal((await hs.req('/pub/a', { headers: { ...h, 'x-forwarded-for': '10.1.1.1' } })).status, 404, 'other ip');
  });
});
