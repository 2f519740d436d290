// The HTTP core (src/http/core/) against fastify, which served the client app before it: the same
// requests, sent as raw bytes to two client apps over one store and the same route modules — one
// on the core, one on fastify — must get byte-identical responses (status line, every header in
// order, body), the `Date` header aside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Keypair } from '@pubky-ts/common';
import { BandwidthThrottle } from '../src/http/bandwidth.ts';
import { EventStreams } from '../src/http/event-streams.ts';
import { MirrorService } from '../src/mirror/service.ts';
import { buildFastifyClientApp } from './support/fastify-client-app.ts';
import { signup, startTestServer, type TestServer } from './helpers.ts';

let hs: TestServer;
let plain: FastifyInstance;
let corePort: number;
let plainPort: number;
let alice: { kp: Keypair; cookie: string };
let bob: { kp: Keypair; cookie: string };
let z: string;

/** One raw HTTP/1.1 exchange (`Connection: close`): everything the server sent, `Date` removed. */
function raw(port: number, head: string, body: Buffer | string = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer to ${head.split('\r\n')[0]}`));
    }, 10_000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => {}); // an early answer may reset the upload
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(
        Buffer.concat(chunks)
          .toString('latin1')
          .replace(/\r\nDate: [^\r]*/, ''),
      );
    });
    sock.on('connect', () => {
      sock.write(`${head}\r\nConnection: close\r\n\r\n`);
      if (body.length) sock.write(body);
    });
  });
}

/** Sends the same request to both apps and checks the answers are identical; returns it. */
async function same(head: string, body: Buffer | string = ''): Promise<string> {
  const viaCore = await raw(corePort, head, body);
  const viaCoreifyApp = await raw(plainPort, head, body);
  assert.equal(viaCore, viaCoreifyApp, `answers differ for:\n${head}`);
  assert.match(viaCore, /^HTTP\/1\.1 \d{3} /, `no answer for:\n${head}`);
  return viaCore;
}

/** PUTs `body` to `<path>a` on the core app and `<path>b` on fastify, answers compared. */
async function samePut(path: string, headers: string, body: Buffer | string): Promise<string> {
  const len = Buffer.byteLength(body);
  const viaCore = await raw(corePort, `PUT ${path}a HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Content-Length: ${len}`, body);
  const viaCoreifyApp = await raw(plainPort, `PUT ${path}b HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Content-Length: ${len}`, body);
  assert.equal(viaCore, viaCoreifyApp, `answers differ for PUT ${path}`);
  return viaCore;
}

const status = (answer: string): number => Number(answer.slice(9, 12));

before(async () => {
  hs = await startTestServer({
    general: { user_storage_quota_mb: 1 },
    metrics: { enabled: true, listen_socket: '127.0.0.1:0' },
    drive: {
      max_file_bytes: 1_500_000,
      rate_limits: [{ path: '/pub/limited/**', method: 'GET', quota: '1r/m', key: 'ip' }],
    },
  });
  const deps = {
    config: hs.config,
    keypair: hs.keypair,
    store: hs.store,
    log: hs.log,
    streams: new EventStreams(),
    bandwidth: new BandwidthThrottle(hs.config.defaultQuotas),
    metrics: null,
    mirrors: new MirrorService({
      config: hs.config,
      keypair: hs.keypair,
      store: hs.store,
      log: hs.log,
      nowMicros: () => Date.now() * 1000,
    }),
    nowSeconds: () => Math.floor(Date.now() / 1000),
    nowMicros: () => Date.now() * 1000,
  };
  plain = buildFastifyClientApp(deps);
  await plain.listen({ host: '127.0.0.1', port: 0 });
  plainPort = (plain.server.address() as AddressInfo).port;
  corePort = Number(new URL(hs.url).port);
  alice = await signup(hs, Keypair.random(), '/:rw');
  bob = await signup(hs, Keypair.random(), '/pub/bob/:rw');
  z = alice.kp.publicKey.z32;
  const put = (path: string, body: Uint8Array, who = alice) =>
    hs.req(path, { method: 'PUT', body: new Uint8Array(body), headers: { 'pubky-host': who.kp.publicKey.z32, cookie: who.cookie } });
  for (const [path, body] of [
    ['/pub/f.txt', Buffer.from('hello, fast path\n')],
    ['/pub/dir/a.json', Buffer.from('{"a":1}')],
    ['/pub/dir/b.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])],
    ['/pub/dir/sub/c', Buffer.alloc(10, 1)],
    ['/pub/big.bin', Buffer.alloc(100_000, 7)],
    ['/pub/limited/x', Buffer.from('x')],
    ['/pub/coll/file', Buffer.from('x')],
    ['/pub/del/1a', Buffer.from('x')],
    ['/pub/del/1b', Buffer.from('x')],
    ['/priv/secret', Buffer.from('s3cret')],
  ] as const) {
    assert.equal((await put(path, body)).status, 201, path);
  }
});

after(async () => {
  await plain?.close();
  await hs?.stop();
});

test('reads: public, private, conditional, listings, all addressings, with and without Origin', async () => {
  const h = `pubky-host: ${z}\r\n`;
  const c = `Cookie: ${alice.cookie}\r\n`;
  const get = (url: string, extra = '') => `GET ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}`.replace(/\r\n$/, '');
  const ok = await same(get('/pub/f.txt', h));
  assert.equal(status(ok), 200);
  assert.ok(ok.endsWith('hello, fast path\n'));
  const etag = /\r\netag: ("[^"]+")/.exec(ok)![1]!;
  const lastModified = /\r\nlast-modified: ([^\r]+)/.exec(ok)![1]!;
  const cases: Array<[string, number]> = [
    [get('/pub/f.txt', `${h}Origin: https://app.example\r\n`), 200],
    [get('/pub/f.txt', `${h}If-None-Match: ${etag}\r\n`), 304],
    [get('/pub/f.txt', `${h}If-None-Match: "nope", ${etag}\r\n`), 304],
    [get('/pub/f.txt', `${h}If-None-Match: "nope"\r\n`), 200],
    [get('/pub/f.txt', `${h}If-Modified-Since: ${lastModified}\r\n`), 304],
    [get('/pub/f.txt', `${h}If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n`), 200],
    [get('/pub/f.txt', `${h}If-Modified-Since: garbage\r\n`), 200],
    [`HEAD /pub/f.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n${h}`.replace(/\r\n$/, ''), 200],
    [`HEAD /pub/f.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n${h}If-None-Match: ${etag}`, 304],
    [`HEAD /pub/missing HTTP/1.1\r\nHost: 127.0.0.1\r\n${h}`.replace(/\r\n$/, ''), 404],
    [`HEAD /pub/dir/ HTTP/1.1\r\nHost: 127.0.0.1\r\n${h}`.replace(/\r\n$/, ''), 404],
    [get(`/storage/${z}/pub/f.txt`), 200],
    [get(`/storage/${z}/pub/f.txt`, 'Origin: https://app.example\r\n'), 200],
    [get(`/storage/${z}/pub/f.txt`, `If-None-Match: ${etag}\r\n`), 304],
    [`GET /pub/f.txt HTTP/1.1\r\nHost: ${z}`, 200],
    [get(`/pub/f.txt?pubky-host=${z}`), 200],
    [get('/pub/f.txt?x=%FF', h), 200],
    [get('/pub/dir/a.json', h), 200],
    [get('/pub/dir/b.png', h), 200],
    [get('/pub/dir/sub/c', h), 200],
    [get('/pub/missing', h), 404],
    [get('/pub/missing', `${h}Origin: https://o.example\r\n`), 404],
    [get('/pub/f.txt'), 400],
    [get('/pub/dir/', h), 200],
    [get('/pub/dir/?limit=1&reverse=true', h), 200],
    [get('/pub/dir/?shallow=true', h), 200],
    [get('/pub/dir/?reverse=maybe', h), 400],
    [get('/pub/nothing/', h), 404],
    [get(`/storage/${z}/pub/dir/`), 200],
    [get('/priv/secret', h), 401],
    [get('/priv/secret', h + c), 200],
    [get('/priv/secret', `${h}${c}Origin: https://app.example\r\n`), 200],
    [`HEAD /priv/secret HTTP/1.1\r\nHost: 127.0.0.1\r\n${h}${c}`.replace(/\r\n$/, ''), 200],
    [get('/priv/secret', `${h}Cookie: ${bob.cookie}\r\n`), 401],
    [get(`/storage/${z}/priv/secret`, c), 200],
    [get(`/storage/${z}/priv/secret`), 401],
    [get('/priv/missing', h + c), 404],
    [get('/pub/a/../f.txt', h), 200],
    [get('/pub/a/../../f.txt', h), 403],
    [get('/pub/%2e%2e/priv/secret', h), 401],
    [get('/pub/a//b', h), 404],
    [get('/pub/%FF', h), 400],
    [get('/priv/%FF', h), 400],
    [get('/pub/%zz', h), 400],
    [get('/pub/caf%C3%A9', h), 404],
    [get('/pub/a%2Fb', h), 404],
    [get('/pub/f%2etxt', h), 200],
    [get(`/storage/${z}/pub/%FF`), 400],
    [get('/storage/not-a-key/pub/f.txt'), 400],
    [get(`/storage/${z}/`), 400],
    [get(`/storage/${z}/other/x`), 403],
    [get('/pub/big.bin', h), 200],
    [`HEAD /pub/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n${h}`.replace(/\r\n$/, ''), 200],
  ];
  const unexpected: string[] = [];
  for (const [head, expected] of cases) {
    const got = status(await same(head));
    if (got !== expected) unexpected.push(`${head.split('\r\n')[0]}: ${got}, expected ${expected}`);
  }
  assert.deepEqual(unexpected, []);
});

test('writes: PUT and DELETE answers, including every early and late failure', async () => {
  const auth = `pubky-host: ${z}\r\nCookie: ${alice.cookie}\r\n`;
  assert.equal(status(await samePut('/pub/w/n', auth, Buffer.alloc(1024, 0x61))), 201);
  assert.equal(status(await samePut('/pub/w/t', `${auth}Content-Type: text/plain\r\n`, 'text')), 201);
  assert.equal(status(await samePut('/pub/w/e', auth, '')), 201);
  assert.equal(status(await samePut('/pub/w/o', `${auth}Origin: https://app.example\r\n`, 'x')), 201);
  assert.equal(status(await samePut('/priv/w/p', auth, 'x')), 201);
  assert.equal(status(await samePut(`/storage/${z}/pub/w/s`, `Cookie: ${alice.cookie}\r\n`, 'x')), 201);
  assert.equal(status(await samePut('/pub/w/ct', `${auth}Content-Type: garbage\r\n`, 'x')), 400);
  assert.equal(status(await samePut('/pub/w/nocookie', `pubky-host: ${z}\r\n`, 'x')), 401);
  assert.equal(status(await samePut('/pub/w/bob', `pubky-host: ${z}\r\nCookie: ${bob.cookie}\r\n`, 'x')), 401);
  assert.equal(status(await same(`PUT /pub/w/x/ HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Length: 1`, 'x')), 400);
  assert.equal(
    status(await same(`PUT /storage/${z}/pub/w/x/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${alice.cookie}\r\nContent-Length: 1`, 'x')),
    400,
  );
  assert.equal(status(await samePut('/pub/coll/file/sub', auth, 'x')), 409);
  // Refused from Content-Length, before the body is read (then Connection: close): too large, over quota.
  const tooLarge = await same(`PUT /pub/w/big HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Length: 1500001`, Buffer.alloc(1000));
  assert.equal(status(tooLarge), 413);
  const quota = await same(`PUT /pub/w/huge HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Length: 1400000`, Buffer.alloc(1000));
  assert.equal(status(quota), 507);
  assert.match(quota, /\r\nconnection: close\r\n/i);
  // Chunked uploads (no Content-Length) stream; over the quota they fail while streaming.
  const chunked = (n: number) => `${n.toString(16)}\r\n${'z'.repeat(n)}\r\n0\r\n\r\n`;
  const te = `PUT /pub/w/chunkedPATH HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Transfer-Encoding: chunked`;
  const c1 = await raw(corePort, te.replace('PATH', 'a'), chunked(5));
  assert.equal(c1, await raw(plainPort, te.replace('PATH', 'b'), chunked(5)));
  assert.equal(status(c1), 201);
  assert.equal(status(await same(te.replace('PATH', 'big'), chunked(1_200_000))), 507);
  const bobAuth = `pubky-host: ${bob.kp.publicKey.z32}\r\nCookie: ${bob.cookie}\r\n`;
  assert.equal(status(await samePut('/pub/bob/ok', bobAuth, 'x')), 201);
  assert.equal(status(await samePut('/pub/other', bobAuth, 'x')), 403);
  assert.equal(status(await samePut(`/storage/${z}/pub/w/cross`, `Cookie: ${bob.cookie}\r\n`, 'x')), 401);
  // DELETE: one file each, then both missing.
  const viaCore = await raw(corePort, `DELETE /pub/del/1a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`.replace(/\r\n$/, ''));
  const viaCoreifyApp = await raw(plainPort, `DELETE /pub/del/1b HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`.replace(/\r\n$/, ''));
  assert.equal(viaCore, viaCoreifyApp);
  assert.equal(status(viaCore), 204);
  assert.equal(status(await same(`DELETE /pub/del/1a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`.replace(/\r\n$/, ''))), 404);
  assert.equal(status(await same(`DELETE /pub/del/ HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`.replace(/\r\n$/, ''))), 400);
  assert.equal(status(await same(`DELETE /pub/f.txt HTTP/1.1\r\nHost: 127.0.0.1\r\npubky-host: ${z}`)), 401);
  // The writes really happened, through both apps.
  for (const path of ['/pub/w/na', '/pub/w/nb', '/priv/w/pa', '/priv/w/pb']) {
    assert.ok(await hs.store.files.head(z, path), path);
  }
});

test('rate limits count each request once, whichever path answers it', async () => {
  const get = `GET /pub/limited/x HTTP/1.1\r\nHost: 127.0.0.1\r\npubky-host: ${z}`;
  assert.equal(status(await same(get)), 200);
  // Retry-After counts down from each app's own first request: the seconds may differ by one.
  const retryAfter = /\r\nretry-after: (\d+)\r\n/;
  const viaCore = await raw(corePort, get);
  const viaCoreifyApp = await raw(plainPort, get);
  assert.equal(status(viaCore), 429);
  assert.ok(Math.abs(Number(retryAfter.exec(viaCore)![1]) - Number(retryAfter.exec(viaCoreifyApp)![1])) <= 1);
  assert.equal(viaCore.replace(retryAfter, '\r\nretry-after: N\r\n'), viaCoreifyApp.replace(retryAfter, '\r\nretry-after: N\r\n'));
});

test('the rest of the client API: root, info, sessions, events, CORS preflights, unknown routes and methods', async () => {
  const h = `pubky-host: ${z}\r\n`;
  const c = `Cookie: ${alice.cookie}\r\n`;
  const req = (line: string, extra = '') => `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}`.replace(/\r\n$/, '');
  const cases: Array<[string, number]> = [
    [req('GET /'), 200],
    [req('HEAD /'), 200],
    [req('GET /info'), 200],
    [req('HEAD /info', 'Origin: https://app.example\r\n'), 200],
    [req('GET /session', h + c), 200],
    [req('GET /session', h), 401],
    [req('GET /session'), 400],
    [req('GET /events/?limit=2'), 200],
    [req('GET /events/?cursor=zzz'), 400],
    [req('GET /events-stream'), 400],
    [req('GET /signup_tokens/not-a-token'), 400],
    [req('OPTIONS /pub/f.txt', 'Origin: https://app.example\r\nAccess-Control-Request-Method: PUT\r\n'), 204],
    [req('PATCH /pub/f.txt', h), 405],
    [req('POST /pub/f.txt', h), 405],
    [req('PROPFIND /pub/f.txt', h), 404],
    [req('GET /nowhere'), 400],
    [req('POST /session', `${h}Content-Type: garbage\r\nContent-Length: 1`), 400],
    [req('GET /%FF'), 400],
    [req('GET /session/%FF', h), 400],
  ];
  const unexpected: string[] = [];
  for (const [head, expected] of cases) {
    const got = status(await same(head, head.includes('Content-Length: 1') ? 'x' : ''));
    if (got !== expected) unexpected.push(`${head.split('\r\n')[0]}: ${got}, expected ${expected}`);
  }
  assert.deepEqual(unexpected, []);
});

/** The sum of storage_request_count_total over its labels. */
async function storageRequestCount(): Promise<number> {
  const text = await (await fetch(`${hs.metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^storage_request_count_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  return sum;
}

test('a GET of a file stored as a blob runs its handler once (storage_request_count counts it once)', async () => {
  const core = `GET /pub/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\npubky-host: ${z}`;
  for (const head of [core, `GET /pub/f.txt HTTP/1.1\r\nHost: 127.0.0.1\r\npubky-host: ${z}`]) {
    const before = await storageRequestCount();
    const answer = await raw(corePort, head);
    assert.equal(status(answer), 200);
    assert.equal(await storageRequestCount(), before + 1, head.split('\r\n')[0]);
  }
});
