import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHttpRelay, type HttpRelayHandle, type HttpRelayOptions } from '../src/http-relay.ts';

async function withRelay(opts: HttpRelayOptions, fn: (r: HttpRelayHandle) => Promise<void>): Promise<void> {
  const relay = await startHttpRelay({ inboxTimeoutMs: 2000, linkTimeoutMs: 2000, ...opts });
  try {
    await fn(relay);
  } finally {
    await relay.close();
  }
}

async function req(url: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url, init);
  return { status: r.status, text: await r.text(), headers: r.headers };
}

test('GET / answers the banner', () =>
  withRelay({}, async (r) => {
    const res = await req(`${r.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.text, 'Http Relay');
    assert.equal((await req(`${r.url}/nope/x`)).status, 404);
  }));

test('inbox: producer first, message kept until TTL and not consumed by reading', () =>
  withRelay({}, async (r) => {
    const post = await req(`${r.url}/inbox/abc`, { method: 'POST', body: 'hello', headers: { 'content-type': 'application/x-test' } });
    assert.equal(post.status, 200);
    for (let i = 0; i < 2; i++) {
      const get = await req(`${r.url}/inbox/abc`);
      assert.equal(get.status, 200);
      assert.equal(get.text, 'hello');
      assert.equal(get.headers.get('content-type'), 'application/x-test');
    }
  }));

test('inbox: consumer first long-polls and receives the later POST', () =>
  withRelay({}, async (r) => {
    const pending = req(`${r.url}/inbox/later`);
    await sleep(50);
    const t0 = Date.now();
    assert.equal((await req(`${r.url}/inbox/later`, { method: 'POST', body: 'late' })).status, 200);
    const got = await pending;
    assert.equal(got.status, 200);
    assert.equal(got.text, 'late');
    assert.ok(Date.now() - t0 < 1000);
  }));

test('inbox: long poll times out with 408', () =>
  withRelay({ inboxTimeoutMs: 80 }, async (r) => {
    const res = await req(`${r.url}/inbox/empty`);
    assert.equal(res.status, 408);
    assert.equal(res.text, 'Request timed out');
    assert.equal(r.inbox.size, 0, 'a waiter-only entry is forgotten after its waiter');
  }));

test('inbox: ACK via DELETE, /ack state, /await in both orders', () =>
  withRelay({}, async (r) => {
    const u = `${r.url}/inbox/ackme`;
    assert.equal((await req(`${u}/ack`)).status, 404);
    assert.equal((await req(u, { method: 'DELETE' })).status, 404);
    assert.equal((await req(`${u}/await`)).status, 404);
    await req(u, { method: 'POST', body: 'x' });
    assert.equal((await req(`${u}/ack`)).text, 'false');
    const awaiting = req(`${u}/await`);
    await sleep(30);
    // Reading does not ACK.
    assert.equal((await req(u)).status, 200);
    assert.equal((await req(u, { method: 'DELETE' })).status, 200);
    assert.equal((await awaiting).status, 200);
    assert.equal((await req(`${u}/ack`)).text, 'true');
    assert.equal((await req(`${u}/await`)).status, 200, 'already acked answers at once');
  }));

test('inbox: after ACK the body is dropped and GET waits again', () =>
  withRelay({ inboxTimeoutMs: 80 }, async (r) => {
    const u = `${r.url}/inbox/dropped`;
    await req(u, { method: 'POST', body: 'x' });
    await req(u, { method: 'DELETE' });
    assert.equal((await req(u)).status, 408);
  }));

test('inbox: /await times out with 408; overwrite drops awaiters (404)', () =>
  withRelay({ inboxTimeoutMs: 150 }, async (r) => {
    const u = `${r.url}/inbox/aw`;
    await req(u, { method: 'POST', body: 'one' });
    assert.equal((await req(`${u}/await`)).status, 408);
    const awaiting = req(`${u}/await`);
    await sleep(30);
    await req(u, { method: 'POST', body: 'two' });
    assert.equal((await awaiting).status, 404);
    assert.equal((await req(u)).text, 'two');
    assert.equal((await req(`${u}/ack`)).text, 'false', 'overwrite resets the ACK');
  }));

test('inbox: entry expires after TTL; a waiter on it gets 404 Entry expired/Not found', () =>
  withRelay({ inboxTtlMs: 120, sweepIntervalMs: 40 }, async (r) => {
    const u = `${r.url}/inbox/ttl`;
    await req(u, { method: 'POST', body: 'x' });
    const awaiting = req(`${u}/await`);
    const res = await awaiting;
    assert.equal(res.status, 404);
    assert.equal((await req(`${u}/ack`)).status, 404);
    assert.equal(r.inbox.size, 0);
  }));

test('id of 256 bytes is fine, 257 is 400 (inbox and link)', () =>
  withRelay({}, async (r) => {
    const ok = 'a'.repeat(256);
    const bad = 'a'.repeat(257);
    assert.equal((await req(`${r.url}/inbox/${ok}`, { method: 'POST', body: 'x' })).status, 200);
    const res = await req(`${r.url}/inbox/${bad}`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 400);
    assert.equal(res.text, 'Inbox ID too long');
    assert.equal((await req(`${r.url}/inbox/${bad}`)).status, 400);
    assert.equal((await req(`${r.url}/inbox/${bad}/ack`)).status, 400);
    assert.equal((await req(`${r.url}/link/${bad}`)).status, 400);
    // multi-byte: 129 × 'é' = 258 bytes
    assert.equal((await req(`${r.url}/inbox/${encodeURIComponent('é'.repeat(129))}`)).status, 400);
    assert.equal((await req(`${r.url}/inbox/%E0%A4%A`)).status, 400);
  }));

test('body of 2048 bytes is stored, 2049 is 413 (limit configurable)', () =>
  withRelay({}, async (r) => {
    assert.equal((await req(`${r.url}/inbox/b`, { method: 'POST', body: Buffer.alloc(2048, 1) })).status, 200);
    assert.equal((await req(`${r.url}/inbox/b`)).text.length, 2048);
    const res = await req(`${r.url}/inbox/b2`, { method: 'POST', body: Buffer.alloc(2049, 1) });
    assert.equal(res.status, 413);
    assert.equal((await req(`${r.url}/link/b3`, { method: 'POST', body: Buffer.alloc(2049, 1) })).status, 413);
  }).then(() =>
    withRelay({ maxBodyBytes: 10 }, async (r) => {
      assert.equal((await req(`${r.url}/inbox/b`, { method: 'POST', body: 'x'.repeat(11) })).status, 413);
    }),
  ));

test('more than 10 waiters per id answer 503; a client that hangs up frees its slot', () =>
  withRelay({}, async (r) => {
    const u = `${r.url}/inbox/crowd`;
    const aborts = Array.from({ length: 10 }, () => new AbortController());
    const waiting = aborts.map((a) => fetch(u, { signal: a.signal }).catch(() => null));
    await sleep(80);
    const res = await req(u);
    assert.equal(res.status, 503);
    assert.equal(res.text, 'Too many concurrent requests');
    aborts.forEach((a) => a.abort());
    await Promise.all(waiting);
    await sleep(50);
    const later = req(u);
    await sleep(30);
    await req(u, { method: 'POST', body: 'finally' });
    assert.equal((await later).text, 'finally');
  }));

test('capacity: the oldest inbox entry is evicted; link answers 503 at capacity', () =>
  withRelay({ maxEntries: 2, linkTimeoutMs: 150 }, async (r) => {
    for (const id of ['a', 'b', 'c']) await req(`${r.url}/inbox/${id}`, { method: 'POST', body: id });
    assert.equal((await req(`${r.url}/inbox/a/ack`)).status, 404);
    assert.equal((await req(`${r.url}/inbox/c`)).text, 'c');
    const l1 = req(`${r.url}/link/1`);
    const l2 = req(`${r.url}/link/2`);
    await sleep(30);
    const full = await req(`${r.url}/link/3`);
    assert.equal(full.status, 503);
    assert.equal((await l1).status, 408);
    assert.equal((await l2).status, 408);
  }));

test('link: producer first blocks until consumed', () =>
  withRelay({}, async (r) => {
    let produced = false;
    const producer = req(`${r.url}/link/ch1`, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/x' } }).then((x) => {
      produced = true;
      return x;
    });
    await sleep(80);
    assert.equal(produced, false, 'producer must still be blocked');
    const consumer = await req(`${r.url}/link/ch1`);
    assert.equal(consumer.status, 200);
    assert.equal(consumer.text, 'payload');
    assert.equal(consumer.headers.get('content-type'), 'text/x');
    assert.equal(consumer.headers.get('deprecation'), 'true');
    const p = await producer;
    assert.equal(p.status, 200);
    assert.equal(p.headers.get('deprecation'), 'true');
    assert.equal(r.link.size, 0);
  }));

test('link: consumer first receives the later producer', () =>
  withRelay({}, async (r) => {
    const consumer = req(`${r.url}/link/ch2`);
    await sleep(50);
    const p = await req(`${r.url}/link/ch2`, { method: 'POST', body: 'late' });
    assert.equal(p.status, 200);
    assert.equal((await consumer).text, 'late');
    // not cached: the next consumer waits
    assert.equal(r.link.size, 0);
  }));

test('link: both sides time out with 408', () =>
  withRelay({ linkTimeoutMs: 80 }, async (r) => {
    const c = await req(`${r.url}/link/t`);
    assert.equal(c.status, 408);
    assert.equal(c.text, 'Request timed out');
    const p = await req(`${r.url}/link/t`, { method: 'POST', body: 'x' });
    assert.equal(p.status, 408);
    assert.equal(r.link.size, 0);
  }));

test('CORS only when enabled', async () => {
  await withRelay({ corsAllowAll: true }, async (r) => {
    const pre = await req(`${r.url}/inbox/x`, { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.equal((await req(`${r.url}/`)).headers.get('access-control-allow-origin'), '*');
  });
  await withRelay({}, async (r) => {
    assert.equal((await req(`${r.url}/`)).headers.get('access-control-allow-origin'), null);
  });
});

test('close() answers pending waiters and releases the port', async () => {
  const r = await startHttpRelay({});
  const pending = req(`${r.url}/inbox/shutdown`);
  await sleep(30);
  await r.close();
  const res = await pending;
  assert.equal(res.status, 503);
});

test('hostile paths, methods and bodies never cause a 500 and never stop the relay', () =>
  withRelay({ inboxTimeoutMs: 30, linkTimeoutMs: 30 }, async (r) => {
    const paths = [
      '/inbox',
      '/inbox/',
      '/inbox//ack',
      '/inbox/a/b/c',
      '/link/a/b',
      '/%',
      '/inbox/%FF%FE',
      '/inbox/a%2Fb',
      '/inbox/x/await?y=1',
      '/link/x?' + 'q'.repeat(3000),
    ];
    for (let i = 0; i < 20; i++)
      paths.push(
        '/inbox/' + encodeURIComponent(Buffer.from(Array.from({ length: 12 }, () => Math.floor(Math.random() * 256))).toString('latin1')),
      );
    for (const p of paths) {
      for (const method of ['GET', 'POST', 'DELETE', 'PUT', 'PATCH']) {
        const res = await fetch(`${r.url}${p}`, {
          method,
          body: method === 'GET' || method === 'DELETE' ? undefined : Buffer.from([0, 255, 1]),
        });
        await res.arrayBuffer();
        assert.ok(res.status < 500 || res.status === 503, `${method} ${p} ⇒ ${res.status}`);
      }
    }
    assert.equal((await req(`${r.url}/`)).text, 'Http Relay');
  }));
