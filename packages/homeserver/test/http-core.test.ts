// The HTTP core on its own: a real node:http server on loopback, raw bytes on a socket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import pino from 'pino';
import { httpError } from '../src/http/errors.ts';
import { HttpApp } from '../src/http/core/http-app.ts';

const log = pino({ level: 'silent' });
let app: HttpApp;
let port: number;
const seen: string[] = [];

/** One raw HTTP/1.1 exchange (`Connection: close`): everything the server sent, `Date` removed. */
function raw(head: string, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer to ${head}`));
    }, 5000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(
        Buffer.concat(chunks)
          .toString('latin1')
          .replace(/\r\nDate: [^\r]*/, ''),
      );
    });
    sock.on('connect', () => sock.write(`${head}\r\nHost: x\r\nConnection: close\r\n\r\n${body}`));
  });
}

const status = (answer: string): number => Number(answer.slice(9, 12));
const header = (answer: string, name: string): string | undefined => new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(answer)?.[1];

before(async () => {
  app = new HttpApp({
    log,
    headersTimeoutMs: 5000,
    onRequest: (request, reply) => {
      seen.push(`${request.method} ${request.url}`);
      if (request.headers['x-refuse'] !== undefined) {
        reply.code(403).send('refused by onRequest');
        return false;
      }
      return true;
    },
    onSend: (_request, reply) => {
      reply.header('x-on-send', 'yes');
    },
  });
  app.get('/text', (_q, r) => void r.send('hello'));
  app.get('/json', (_q, r) => void r.type('application/json').send('{"a":1}'));
  app.get('/bytes', (_q, r) => void r.send(Buffer.from([1, 2, 3])));
  app.get('/cookies', (_q, r) => void r.header('set-cookie', 'a=1').header('set-cookie', 'b=2').send());
  app.get('/throws', () => {
    throw new Error('boom');
  });
  app.get('/rejects', async () => {
    throw httpError('USER_EXISTS');
  });
  app.get('/silent', async () => {});
  app.get('/stream', (_q, r) => void r.header('content-length', '6').send(Readable.from([Buffer.from('abc'), Buffer.from('def')])));
  app.get('/stream-fails-first', (_q, r) => {
    const s = new Readable({ read() {} });
    r.header('etag', '"x"').send(s);
    setImmediate(() => s.destroy(httpError('NOT_FOUND')));
  });
  app.get('/user/:id', (q, r) => void r.send(`user ${q.params.id}`));
  app.put('/upload', (_q, r) => void r.code(201).send());
  app.mount('/raw/', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`raw ${req.method} ${req.url}`);
  });
  port = (await app.listen({ host: '127.0.0.1', port: 0 })).port;
});

after(() => app.close());

test('text, JSON, bytes: content types and lengths as clients have always seen them; onSend runs', async () => {
  const t = await raw('GET /text HTTP/1.1');
  assert.equal(status(t), 200);
  assert.equal(header(t, 'content-type'), 'text/plain; charset=utf-8');
  assert.equal(header(t, 'content-length'), '5');
  assert.equal(header(t, 'x-on-send'), 'yes');
  assert.ok(t.endsWith('\r\n\r\nhello'));
  assert.equal(header(await raw('GET /json HTTP/1.1'), 'content-type'), 'application/json; charset=utf-8');
  assert.equal(header(await raw('GET /bytes HTTP/1.1'), 'content-type'), 'application/octet-stream');
  const cookies = await raw('GET /cookies HTTP/1.1');
  assert.deepEqual(
    [...cookies.matchAll(/\r\nset-cookie: ([^\r]*)/g)].map((m) => m[1]),
    ['a=1', 'b=2'],
  );
  assert.equal(header(cookies, 'content-length'), '0');
  const head = await raw('HEAD /text HTTP/1.1');
  assert.equal(status(head), 404, 'HEAD is served only where a route declares it');
});

test('errors: a thrown HttpError answers its status and code, anything else 500 INTERNAL; a handler that never answers is a 500', async () => {
  const conflict = await raw('GET /rejects HTTP/1.1');
  assert.equal(status(conflict), 409);
  assert.equal(header(conflict, 'pubky-error-code'), 'USER_EXISTS');
  assert.ok(conflict.endsWith('User already exists'));
  for (const path of ['/throws', '/silent']) {
    const a = await raw(`GET ${path} HTTP/1.1`);
    assert.equal(status(a), 500, path);
    assert.equal(header(a, 'pubky-error-code'), 'INTERNAL');
  }
  const missing = await raw('GET /nowhere HTTP/1.1');
  assert.equal(status(missing), 404);
  assert.equal(header(missing, 'pubky-error-code'), 'NOT_FOUND');
  assert.equal(header(missing, 'x-on-send'), 'yes', '404s go through onSend too');
});

test('URLs the router cannot read are 400 INVALID_URL before onRequest; router parameters are decoded', async () => {
  seen.length = 0;
  const bad = await raw('GET /user/%FF HTTP/1.1');
  assert.equal(status(bad), 400);
  assert.equal(header(bad, 'pubky-error-code'), 'INVALID_URL');
  assert.equal(header(bad, 'x-on-send'), undefined);
  assert.deepEqual(seen, []);
  assert.ok((await raw('GET /user/caf%C3%A9 HTTP/1.1')).endsWith(Buffer.from('user café').toString('latin1')));
  const long = await raw(`GET /user/${'a'.repeat(5000)} HTTP/1.1`);
  assert.equal(status(long), 400, 'a parameter over 4096 bytes');
});

test('onRequest may answer; a body with a Content-Type that does not parse is refused before the handler', async () => {
  const refused = await raw('GET /text HTTP/1.1\r\nx-refuse: 1');
  assert.equal(status(refused), 403);
  assert.ok(refused.endsWith('refused by onRequest'));
  for (const type of ['garbage', '', 'text/', '/plain', 'a b/c']) {
    const a = await raw(`PUT /upload HTTP/1.1\r\nContent-Type: ${type}\r\nContent-Length: 1`, 'x');
    assert.equal(status(a), 400, JSON.stringify(type));
    assert.equal(header(a, 'pubky-error-code'), 'INVALID_BODY');
  }
  assert.equal(status(await raw('PUT /upload HTTP/1.1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 1', 'x')), 201);
  assert.equal(status(await raw('GET /text HTTP/1.1\r\nContent-Type: garbage')), 200, 'GET bodies are not checked');
});

test('streams: headers go out with the first chunk; a stream failing before it gets an error answer instead', async () => {
  const ok = await raw('GET /stream HTTP/1.1');
  assert.equal(status(ok), 200);
  assert.equal(header(ok, 'content-length'), '6');
  assert.ok(ok.endsWith('\r\n\r\nabcdef'));
  const failed = await raw('GET /stream-fails-first HTTP/1.1');
  assert.equal(status(failed), 404);
  assert.equal(header(failed, 'pubky-error-code'), 'NOT_FOUND');
  assert.equal(header(failed, 'etag'), undefined, "the failed answer's headers are not sent");
});

test('a mounted raw handler takes every request under its prefix, after onRequest', async () => {
  const a = await raw('PROPFIND /raw/x/y HTTP/1.1');
  assert.equal(status(a), 200);
  assert.match(a, /\r\nraw PROPFIND \/raw\/x\/y\r\n/);
  assert.equal(status(await raw('GET /raw/x HTTP/1.1\r\nx-refuse: 1')), 403);
  assert.match(await raw('GET /raw?q=1 HTTP/1.1'), /\r\nraw GET \/raw\?q=1\r\n/);
  assert.equal(status(await raw('GET /rawer HTTP/1.1')), 404, 'not below the prefix');
});

test('closing: a request on a connection still open gets 503 SHUTTING_DOWN with Connection: close', async () => {
  const closing = new HttpApp({ log, headersTimeoutMs: 5000 });
  closing.get('/', (_q, r) => void r.send('up'));
  const p = (await closing.listen({ host: '127.0.0.1', port: 0 })).port;
  const sock = connect(p, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => sock.once('connect', r));
  sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  while (!Buffer.concat(chunks).toString().endsWith('up')) await new Promise((r) => setTimeout(r, 5));
  // The connection is busy with a second request (headers not finished) when close starts.
  sock.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const closed = closing.close();
  await new Promise((r) => setTimeout(r, 20));
  sock.write('\r\n');
  await new Promise((r) => sock.once('close', r));
  await closed;
  const second = Buffer.concat(chunks).toString('latin1').split('HTTP/1.1 ').slice(2).join('');
  assert.match(second, /^503 /);
  assert.match(second, /\r\npubky-error-code: SHUTTING_DOWN\r\n/);
  assert.match(second, /\r\nconnection: close\r\n/i);
});
