// Every error answer of both relays carries its stable code in `pubky-error-code`, with the
// catalogue's status, over real HTTP on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Keypair, PubkyError, readErrorSection, renderErrorTable } from '@pubky-ts/common';
import { startPkarrRelay, type PkarrRelayHandle, type PkarrRelayOptions } from '../src/pkarr-relay.ts';
import { startHttpRelay } from '../src/http-relay.ts';
import { RELAY_ERROR_DOCS, RELAY_ERRORS, type RelayErrorCode } from '../src/relay-errors.ts';
import { makePacket, MemoryDht } from './helpers.ts';

async function withRelay(opts: PkarrRelayOptions, fn: (r: PkarrRelayHandle) => Promise<void>): Promise<void> {
  const relay = await startPkarrRelay(opts);
  try {
    await fn(relay);
  } finally {
    await relay.close();
  }
}

/** Sends one request and checks status, code header and a text body. */
async function expectCode(url: string, init: RequestInit, code: RelayErrorCode): Promise<Response> {
  const r = await fetch(url, init);
  const text = await r.text();
  assert.equal(r.headers.get('pubky-error-code'), code, `${init.method ?? 'GET'} ${url}: ${r.status} ${text}`);
  assert.equal(r.status, RELAY_ERRORS[code].status, `${code}: ${text}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8$/);
  assert.ok(text.length > 0, `${code} has a message`);
  return r;
}

test('pkarr relay: each refusal has its code; CORS exposes the header; answers that succeed carry none', () => {
  const dht = new MemoryDht();
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    const z = kp.publicKey.z32;
    await expectCode(`${r.url}/not-a-key`, {}, 'INVALID_PUBLIC_KEY');
    await expectCode(`${r.url}/%FF`, {}, 'INVALID_PUBLIC_KEY');
    await expectCode(`${r.url}/${z}?policy=Sometimes`, {}, 'INVALID_POLICY');
    await expectCode(`${r.url}/${z}?policy=CacheOnly`, {}, 'NOT_FOUND');
    await expectCode(`${r.url}/${z}/extra`, {}, 'NOT_FOUND');
    const refused = await expectCode(`${r.url}/${z}`, { method: 'DELETE' }, 'METHOD_NOT_ALLOWED');
    assert.equal(refused.headers.get('allow'), 'GET, PUT');
    assert.match(refused.headers.get('access-control-expose-headers') ?? '', /pubky-error-code/);
    await expectCode(`${r.url}/${z}`, { method: 'PUT', body: Buffer.from('garbage') }, 'INVALID_SIGNED_PACKET');
    await expectCode(`${r.url}/${z}`, { method: 'PUT', body: Buffer.alloc(2000) }, 'BODY_TOO_LARGE');
    const first = makePacket(kp);
    await expectCode(
      `${r.url}/${z}`,
      { method: 'PUT', body: Buffer.from(first.payload), headers: { 'if-match': '*' } },
      'PRECONDITION_FAILED',
    );
    const stored = await fetch(`${r.url}/${z}`, { method: 'PUT', body: Buffer.from(first.payload) });
    assert.equal(stored.status, 204);
    assert.equal(stored.headers.get('pubky-error-code'), null);
    const second = makePacket(kp);
    await expectCode(
      `${r.url}/${z}`,
      { method: 'PUT', body: Buffer.from(second.payload), headers: { 'if-match': 'soon' } },
      'INVALID_IF_MATCH',
    );
    const older = makePacket(kp, { timestamp: first.timestamp - 10 });
    await expectCode(`${r.url}/${z}`, { method: 'PUT', body: Buffer.from(older.payload) }, 'NEWER_PACKET_CACHED');
    dht.putError = new PubkyError('not_most_recent', 'majority 302');
    await expectCode(`${r.url}/${z}`, { method: 'PUT', body: Buffer.from(second.payload) }, 'NEWER_PACKET_ON_DHT');
    dht.putError = new PubkyError('cas_failed', 'seq moved');
    await expectCode(`${r.url}/${z}`, { method: 'PUT', body: Buffer.from(second.payload) }, 'DHT_PRECONDITION_FAILED');
    dht.putError = new PubkyError('timeout', 'no ack');
    await expectCode(`${r.url}/${z}`, { method: 'PUT', body: Buffer.from(second.payload) }, 'DHT_PUBLISH_FAILED');
    dht.putError = null;
    const other = Keypair.random().publicKey.z32;
    dht.getError = new PubkyError('no_nodes_responded', 'nobody');
    await expectCode(`${r.url}/${other}`, {}, 'DHT_UNAVAILABLE');
    const ok = await fetch(`${r.url}/${z}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('pubky-error-code'), null);
  });
});

test('pkarr relay: 429 RATE_LIMITED with Retry-After', () =>
  withRelay({ rateLimit: { quota: { rate: 1, burst: 1 } } }, async (r) => {
    const z = Keypair.random().publicKey.z32;
    assert.equal((await fetch(`${r.url}/${z}`)).status, 404);
    const limited = await expectCode(`${r.url}/${z}`, {}, 'RATE_LIMITED');
    assert.equal(limited.headers.get('retry-after'), '1');
  }));

test('HTTP relay: each refusal has its code', async () => {
  const relay = await startHttpRelay({ maxBodyBytes: 16, maxIdBytes: 8, inboxTimeoutMs: 50, maxWaitersPerId: 1, corsAllowAll: true });
  try {
    const u = relay.url;
    await expectCode(`${u}/nowhere/x`, {}, 'NOT_FOUND');
    await expectCode(`${u}/inbox/%FF`, {}, 'INVALID_ID');
    await expectCode(`${u}/inbox/123456789`, {}, 'INVALID_ID');
    await expectCode(`${u}/link/123456789`, {}, 'INVALID_ID');
    await expectCode(`${u}/`, { method: 'POST' }, 'METHOD_NOT_ALLOWED');
    await expectCode(`${u}/inbox/a`, { method: 'PUT', body: 'x' }, 'METHOD_NOT_ALLOWED');
    await expectCode(`${u}/inbox/a/ack`, { method: 'POST', body: 'x' }, 'METHOD_NOT_ALLOWED');
    await expectCode(`${u}/inbox/a`, { method: 'POST', body: 'x'.repeat(17) }, 'BODY_TOO_LARGE');
    await expectCode(`${u}/inbox/a/ack`, {}, 'NOT_FOUND');
    await expectCode(`${u}/inbox/a`, { method: 'DELETE' }, 'NOT_FOUND');
    await expectCode(`${u}/inbox/a`, {}, 'REQUEST_TIMEOUT');
    const posted = await fetch(`${u}/inbox/a`, { method: 'POST', body: 'hi' });
    assert.equal(posted.status, 200);
    assert.equal(posted.headers.get('pubky-error-code'), null);
    // One waiter per id: a second concurrent long poll is refused at once.
    const waiting = fetch(`${u}/inbox/b`);
    await new Promise((r) => setTimeout(r, 10));
    await expectCode(`${u}/inbox/b`, {}, 'TOO_MANY_WAITERS');
    assert.equal((await waiting).status, 408);
  } finally {
    await relay.close();
  }
});

test('the README table is the one the catalogue renders (npm run docs:errors rewrites it)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.equal(readErrorSection(readme), renderErrorTable(RELAY_ERROR_DOCS), 'stale: run npm run docs:errors');
  for (const code of Object.keys(RELAY_ERRORS)) assert.match(code, /^[A-Z][A-Z0-9_]*$/, 'UPPER_SNAKE on the wire, as the homeserver');
});
