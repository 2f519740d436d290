// Reads that fall back to a user's mirrors, against real homeservers on a local testnet: the primary
// closed, a primary answering 503, a primary that hangs (before or in the middle of a body), and
// hostile "mirrors" (tiny HTTP servers published in PKARR like a homeserver) whose bytes do not
// hash to their ETag. The mirror copies are written directly here; mirror-failover.test.ts has the
// homeserver following the primary.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { base64Encode, blake3, Keypair, PubkyError, type PublicKey } from '@pubky-ts/common';
import { withHomeserver, withMirrors } from '@pubky-ts/pkarr';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { Pubky } from '@pubky-ts/client';
import { homeserverPacket } from './helpers.ts';

let testnet: Testnet;
let primary: ExtraHomeserver;
let mirror: ExtraHomeserver;
const fakes: FakeHomeserver[] = [];

interface FakeHomeserver {
  key: PublicKey;
  requests: string[];
  close(): Promise<void>;
}

function client(options: { readTimeoutMs?: number } = {}): Pubky {
  return new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' }, ...options });
}

/** A node:http server published in PKARR like a homeserver, answering with `handler`. */
async function fakeHomeserver(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeHomeserver> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url === '/info') {
      res.writeHead(404).end('Not Found');
      return;
    }
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const keypair = Keypair.random();
  await client().pkdns.source.publish(homeserverPacket(keypair, (server.address() as AddressInfo).port));
  const fake = {
    key: keypair.publicKey,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  fakes.push(fake);
  return fake;
}

const etag = async (bytes: Uint8Array) => `"${base64Encode(await blake3(bytes))}"`;
const isCode = (code: string, pattern?: RegExp) => (e: unknown) =>
  e instanceof PubkyError && e.code === code && (!pattern || pattern.test(e.message));

/**
 * A user with an account on `mirror` holding `files` (written there directly, without publishing),
 * and a packet naming `primaryKey` as primary and `mirrors` after it.
 */
async function mirroredUser(primaryKey: PublicKey, mirrors: PublicKey[], files: Record<string, string>): Promise<Keypair> {
  const pubky = client();
  const keypair = Keypair.random();
  const session = await pubky.signer(keypair).signup(mirror.publicKey, null, { publish: false });
  for (const [path, text] of Object.entries(files)) await session.storage.putText(path, text);
  await pubky.pkdns.source.publish(withMirrors(keypair, mirrors, withHomeserver(keypair, primaryKey, null)));
  return keypair;
}

before(async () => {
  testnet = await startTestnet({ signupMode: 'open' });
  primary = await startExtraHomeserver(testnet);
  mirror = await startExtraHomeserver(testnet);
});
after(async () => {
  for (const f of fakes) await f.close().catch(() => {});
  await mirror?.close();
  await primary?.close().catch(() => {});
  await testnet?.close();
});

test('a primary answering 503: every kind of public read comes from the mirror; private reads and writes do not fall back', async () => {
  const down = await fakeHomeserver((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance'));
  const files = { '/pub/app/a.txt': 'alpha', '/pub/app/b.json': '{"n":2}', '/pub/app/dir/c.txt': 'gamma' };
  const user = await mirroredUser(down.key, [mirror.publicKey], files);
  const pubky = client();
  const base = `pubky://${user.publicKey.z32}`;
  assert.deepEqual(
    (await pubky.getMirrorsOf(user.publicKey)).map((k) => k.z32),
    [mirror.publicKey.z32],
  );
  assert.equal(await pubky.publicStorage.getText(`${base}/pub/app/a.txt`), 'alpha');
  assert.deepEqual(await pubky.publicStorage.getJson(`${base}/pub/app/b.json`), { n: 2 });
  assert.deepEqual(await pubky.publicStorage.getBytes(`${base}/pub/app/dir/c.txt`), new TextEncoder().encode('gamma'));
  const stream = await pubky.publicStorage.getStream(`${base}/pub/app/a.txt`);
  assert.equal(await new Response(stream).text(), 'alpha');
  const stats = await pubky.publicStorage.stats(`${base}/pub/app/a.txt`);
  assert.equal(stats?.size, 5);
  assert.equal(stats?.etag, await etag(new TextEncoder().encode('alpha')));
  assert.equal(await pubky.publicStorage.exists(`${base}/pub/app/missing.txt`), false, 'a 404 from the mirror is an answer');
  assert.deepEqual(await pubky.publicStorage.list(`${base}/pub/app/`), [
    `${base}/pub/app/a.txt`,
    `${base}/pub/app/b.json`,
    `${base}/pub/app/dir/c.txt`,
  ]);
  assert.deepEqual(await pubky.publicStorage.list(`${base}/pub/app/`, { shallow: true }), [
    `${base}/pub/app/a.txt`,
    `${base}/pub/app/b.json`,
    `${base}/pub/app/dir/`,
  ]);
  assert.equal(
    down.requests.filter((r) => r.startsWith('GET /pub/app/a.txt')).length,
    1,
    'the primary was asked first, then the mirror while it is known down',
  );
  // /priv/ is not public: the primary's 503 stands
  await assert.rejects(
    pubky.publicStorage.getText(`${base}/priv/app/a.txt`),
    (e: unknown) => e instanceof PubkyError && (e as { status?: number }).status === 503,
  );
});

test("the primary closed: public reads come from the mirror; writes and the owner's private reads fail as before", async () => {
  const pubky = client();
  const keypair = Keypair.random();
  const signer = pubky.signer(keypair);
  const onPrimary = await signer.signup(primary.publicKey);
  await onPrimary.storage.putText('/pub/app/same.txt', 'the same bytes on both');
  await onPrimary.storage.putText('/priv/app/secret.txt', 'private');
  const onMirror = await signer.signup(mirror.publicKey, null, { publish: false });
  await onMirror.storage.putText('/pub/app/same.txt', 'the same bytes on both');
  assert.equal(
    (await pubky.getHomeserverOf(keypair.publicKey))?.z32,
    primary.publicKey.z32,
    'signing up on the mirror did not move the user',
  );
  const current = await pubky.pkdns.source.resolve(keypair.publicKey, { fresh: true });
  await pubky.pkdns.source.publish(withMirrors(keypair, [mirror.publicKey], current));
  const base = `pubky://${keypair.publicKey.z32}`;

  // the primary answers: its bytes
  await onPrimary.storage.putText('/pub/app/only-primary.txt', 'primary');
  assert.equal(await client().publicStorage.getText(`${base}/pub/app/only-primary.txt`), 'primary');

  await primary.close();
  const reader = client();
  assert.equal(await reader.publicStorage.getText(`${base}/pub/app/same.txt`), 'the same bytes on both');
  assert.equal(await onPrimary.storage.getText('/pub/app/same.txt'), 'the same bytes on both', "the owner's public reads fall back too");
  await assert.rejects(
    reader.publicStorage.getText(`${base}/pub/app/only-primary.txt`),
    isCode('not_found'),
    'the mirror has no copy: its 404',
  );
  await assert.rejects(onPrimary.storage.getText('/priv/app/secret.txt'), isCode('network_error'));
  await assert.rejects(onPrimary.storage.putText('/pub/app/new.txt', 'x'), isCode('network_error'), 'writes go to the primary only');
  const res = await fetch(`${mirror.url}/pub/app/new.txt`, { headers: { 'pubky-host': keypair.publicKey.z32 } });
  assert.equal(res.status, 404, 'nothing was written to the mirror');
  await res.body?.cancel();
});

test('a primary that hangs (before answering, or in the middle of a body) falls back after readTimeoutMs', {
  timeout: 30_000,
}, async () => {
  const silent = await fakeHomeserver(() => {
    // never answers
  });
  const stalls = await fakeHomeserver((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
    res.write('partial');
  });
  const files = { '/pub/app/h.txt': 'from the mirror' };
  const a = await mirroredUser(silent.key, [mirror.publicKey], files);
  const b = await mirroredUser(stalls.key, [mirror.publicKey], files);
  const pubky = client({ readTimeoutMs: 700 });
  for (const user of [a, b]) {
    const started = Date.now();
    assert.equal(await pubky.publicStorage.getText(`pubky://${user.publicKey.z32}/pub/app/h.txt`), 'from the mirror');
    assert.ok(Date.now() - started >= 650, `waited ${Date.now() - started} ms for the primary`);
  }
  assert.equal(silent.requests.filter((r) => r.startsWith('GET /pub/app/h.txt')).length, 1);
  assert.equal(stalls.requests.filter((r) => r.startsWith('GET /pub/app/h.txt')).length, 1);
  // for a while after, the mirrors are asked first: no second wait for a primary that hangs
  const started = Date.now();
  assert.equal(await pubky.publicStorage.getText(`pubky://${a.publicKey.z32}/pub/app/h.txt`), 'from the mirror');
  assert.ok(Date.now() - started < 650, `the second read took ${Date.now() - started} ms`);
  assert.equal(silent.requests.filter((r) => r.startsWith('GET /pub/app/h.txt')).length, 1);
  // without mirrors the timeout is an error, not a hang
  const lonely = Keypair.random();
  await pubky.pkdns.source.publish(withHomeserver(lonely, silent.key, null));
  await assert.rejects(pubky.publicStorage.getText(`pubky://${lonely.publicKey.z32}/pub/app/h.txt`), isCode('network_error', /700 ms/));
});

test('hostile mirrors: bytes that do not hash to the ETag are not believed; the next mirror is used, or integrity_error names them', async () => {
  const good = new TextEncoder().encode('the true content of the file');
  const goodEtag = await etag(good);
  const down = await fakeHomeserver((_req, res) => res.writeHead(502).end('bad gateway'));
  // serves flipped bytes under the ETag of the true content
  const flipper = await fakeHomeserver((req, res) => {
    const body = Uint8Array.from(good, (b, i) => (i === 3 ? b ^ 1 : b));
    res.writeHead(200, { 'content-type': 'text/plain', etag: goodEtag, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // serves other bytes with no ETag at all
  const noEtag = await fakeHomeserver((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('trust me'));
  const path = '/pub/app/file.txt';
  const files = { [path]: 'the true content of the file' };

  const withGoodMirror = await mirroredUser(down.key, [flipper.key, noEtag.key, mirror.publicKey], files);
  const pubky = client();
  assert.equal(await pubky.publicStorage.getText(`pubky://${withGoodMirror.publicKey.z32}${path}`), 'the true content of the file');
  assert.equal(flipper.requests.filter((r) => r.startsWith(`GET ${path}`)).length, 1, 'the hostile mirror was asked first and passed over');

  const onlyHostile = await mirroredUser(down.key, [flipper.key, noEtag.key], files);
  const url = `pubky://${onlyHostile.publicKey.z32}${path}`;
  await assert.rejects(pubky.publicStorage.getBytes(url), (e: unknown) => {
    assert.ok(isCode('integrity_error')(e), String(e));
    const message = (e as Error).message;
    assert.match(message, new RegExp(flipper.key.z32));
    assert.match(message, new RegExp(noEtag.key.z32));
    assert.match(message, /no ETag/);
    return true;
  });
  await assert.rejects(pubky.publicStorage.getText(url), isCode('integrity_error'));
  await assert.rejects(pubky.publicStorage.getJson(url), isCode('integrity_error'));
  // streams from a mirror are checked at their end
  const onlyFlipper = await mirroredUser(down.key, [flipper.key], files);
  const stream = await pubky.publicStorage.getStream(`pubky://${onlyFlipper.publicKey.z32}${path}`);
  await assert.rejects(new Response(stream).arrayBuffer(), isCode('integrity_error', new RegExp(`${flipper.key.z32}.*not believed`)));
  // HEAD has no body to check: the mirror's headers are the answer
  assert.equal((await pubky.publicStorage.stats(`pubky://${onlyFlipper.publicKey.z32}${path}`))?.etag, goodEtag);
});

test('after a fallback the mirrors are asked first, but the primary still answers what no mirror has, and is used again once it answers', async () => {
  let up = false;
  const flaky = await fakeHomeserver((_req, res) => {
    if (!up) res.writeHead(503).end('down for a moment');
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('fresh from the primary');
  });
  const user = await mirroredUser(flaky.key, [mirror.publicKey], { '/pub/app/old.txt': 'copied to the mirror' });
  const pubky = client();
  const base = `pubky://${user.publicKey.z32}`;
  assert.equal(await pubky.publicStorage.getText(`${base}/pub/app/old.txt`), 'copied to the mirror');
  up = true;
  // the mirror has no new.txt (404): the primary is asked again and answers
  assert.equal(await pubky.publicStorage.getText(`${base}/pub/app/new.txt`), 'fresh from the primary');
  // it answered, so it is the first one asked again
  assert.equal(await pubky.publicStorage.getText(`${base}/pub/app/old.txt`), 'fresh from the primary');
  assert.equal(flaky.requests.filter((r) => r.startsWith('GET /pub/app/old.txt')).length, 2);
});
