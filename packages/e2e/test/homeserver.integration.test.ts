// The SDK against a real homeserver over HTTP: sign-up, sign-in, storage in both addressings,
// sessions (cookie and grant), export/restore, events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { base64Encode, base64urlDecode, base64urlEncode, blake3, Keypair, utf8Decode, utf8Encode, type PubkyEvent } from '@pubky-ts/common';
import { Pubky, MemoryPacketSource, homeserverFromPacket, PubkyHttpError } from '@pubky-ts/client';
import { recordingFetch, startTestHomeserver, type TestHomeserver } from './helpers.ts';

const source = new MemoryPacketSource();
let hs: TestHomeserver;

before(async () => {
  hs = await startTestHomeserver(source);
});
after(async () => {
  await hs.stop();
});

describe('sign-up and storage', () => {
  test('signup with a token publishes _pubky and returns a root session', async () => {
    const pubky = new Pubky({ packetSource: source });
    const keypair = Keypair.random();
    const signer = pubky.signer(keypair);
    await assert.rejects(
      signer.signup(hs.publicKey),
      (e: PubkyHttpError) => e instanceof PubkyHttpError && e.status === 400 && /Token required/i.test(e.serverMessage),
    );
    await assert.rejects(
      signer.signup(hs.publicKey, 'AAAA-AAAA-AAAA'),
      (e: PubkyHttpError) => e.status === 401 && e.code === 'unauthorized',
    );
    const session = await signer.signup(hs.publicKey, await hs.signupToken());
    assert.ok(session.publicKey.equals(keypair.publicKey));
    assert.deepEqual(session.capabilities, ['/:rw']);
    assert.equal(session.kind, 'cookie');
    const packet = source.packets.get(keypair.publicKey.z32)!;
    assert.ok(homeserverFromPacket(packet)!.equals(hs.publicKey));
    assert.ok((await pubky.getHomeserverOf(keypair.publicKey))!.equals(hs.publicKey));
    await assert.rejects(pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken()), { status: 409, code: 'conflict' });
  });

  test('bytes, text, JSON and streams round-trip; stats, exists, list, delete', async () => {
    const pubky = new Pubky({ packetSource: source });
    const keypair = Keypair.random();
    const session = await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
    const s = session.storage;
    await s.putText('/pub/app/hello.txt', 'hello');
    assert.equal(await s.getText('/pub/app/hello.txt'), 'hello');
    await s.putJson('/pub/app/data.json', { a: 1, b: ['x'] });
    assert.deepEqual(await s.getJson('/pub/app/data.json'), { a: 1, b: ['x'] });
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    await s.putBytes('/pub/app/bin/raw', bytes);
    assert.deepEqual(await s.getBytes('/pub/app/bin/raw'), bytes);
    // A 300 KB stream from an async iterable (the same buffer yielded again and again).
    const chunk = new Uint8Array(30_000).fill(7);
    async function* gen(n: number) {
      for (let i = 0; i < n; i++) yield chunk;
    }
    await s.putStream('/pub/app/big.bin', gen(10));
    assert.equal((await s.stats('/pub/app/big.bin'))?.size, 300_000);
    // Read back as a stream. (60 KB: the homeserver currently answers an empty body for contents it
    // keeps as files, above its 64 KiB inline threshold; reported to its owner.)
    await s.putStream('/pub/app/mid.bin', gen(2));
    let total = 0;
    for await (const c of (await s.getStream('/pub/app/mid.bin')) as unknown as AsyncIterable<Uint8Array>) total += c.length;
    assert.equal(total, 60_000);
    await s.delete('/pub/app/mid.bin');

    const stats = await s.stats('/pub/app/hello.txt');
    assert.ok(stats);
    assert.equal(stats.size, 5);
    assert.equal(stats.etag, `"${base64Encode(await blake3(utf8Encode('hello')))}"`);
    assert.match(stats.contentType ?? '', /^text\/plain/);
    assert.ok(stats.lastModified instanceof Date && Math.abs(stats.lastModified.getTime() - Date.now()) < 60_000);
    assert.equal(await s.exists('/pub/app/hello.txt'), true);
    assert.equal(await s.exists('/pub/app/nope.txt'), false);
    assert.equal(await s.stats('/pub/app/nope.txt'), null);

    const base = `pubky://${keypair.publicKey.z32}`;
    assert.deepEqual(await s.list('/pub/app/'), [
      `${base}/pub/app/big.bin`,
      `${base}/pub/app/bin/raw`,
      `${base}/pub/app/data.json`,
      `${base}/pub/app/hello.txt`,
    ]);
    assert.deepEqual(await s.list('/pub/app/', { shallow: true }), [
      `${base}/pub/app/big.bin`,
      `${base}/pub/app/bin/`,
      `${base}/pub/app/data.json`,
      `${base}/pub/app/hello.txt`,
    ]);
    const page1 = await s.list('/pub/app/', { limit: 2 });
    assert.deepEqual(page1, [`${base}/pub/app/big.bin`, `${base}/pub/app/bin/raw`]);
    assert.deepEqual(await s.list('/pub/app/', { limit: 2, cursor: page1[1] }), [`${base}/pub/app/data.json`, `${base}/pub/app/hello.txt`]);
    assert.deepEqual(await s.list('/pub/app/', { reverse: true, limit: 1 }), [`${base}/pub/app/hello.txt`]);
    const all: string[] = [];
    for await (const e of s.listAll('/pub/app/', { limit: 3 })) all.push(e);
    assert.equal(all.length, 4);

    // Anyone can read public data by address, without a session.
    const stranger = new Pubky({ packetSource: source });
    assert.equal(await stranger.publicStorage.getText(`${base}/pub/app/hello.txt`), 'hello');
    assert.equal(await stranger.publicStorage.getText(`pubky${keypair.publicKey.z32}/pub/app/hello.txt`), 'hello');
    assert.equal((await stranger.publicStorage.list(`${base}/pub/app/`)).length, 4);
    const viaFetch = await stranger.fetch(`pubky://${keypair.publicKey.z32}/pub/app/hello.txt`);
    assert.equal(await viaFetch.text(), 'hello');

    await s.delete('/pub/app/hello.txt');
    await assert.rejects(
      s.getText('/pub/app/hello.txt'),
      (e: PubkyHttpError) => e instanceof PubkyHttpError && e.status === 404 && e.code === 'not_found',
    );
    await assert.rejects(s.delete('/pub/app/hello.txt'), { status: 404 });
    await assert.rejects(s.putText('/elsewhere/x', 'no'), { status: 403, code: 'forbidden' });
    await assert.rejects(s.putText('/pub/app/', 'dir'), { code: 'invalid_argument' });
    await assert.rejects(s.putText('/pub/../../x', 'bad'), { code: 'invalid_path' });
  });

  test('private data: the owner reads /priv/, strangers get 401', async () => {
    const pubky = new Pubky({ packetSource: source });
    const keypair = Keypair.random();
    const session = await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
    await session.storage.putText('/priv/app/secret.txt', 'mine');
    assert.equal(await session.storage.getText('/priv/app/secret.txt'), 'mine');
    const stranger = new Pubky({ packetSource: source });
    await assert.rejects(stranger.publicStorage.getText(`pubky://${keypair.publicKey.z32}/priv/app/secret.txt`), { status: 401 });
  });

  test('storage requests are path-addressed when /info says so, legacy with pubky-host otherwise', async () => {
    for (const hideInfo of [false, true]) {
      const rec = recordingFetch({ hideInfo });
      const pubky = new Pubky({ packetSource: source, fetch: rec.fn });
      const keypair = Keypair.random();
      const session = await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
      await session.storage.putText('/pub/app/a file.txt', 'x');
      assert.equal(await session.storage.getText('/pub/app/a file.txt'), 'x');
      const puts = rec.log.filter((r) => r.method === 'PUT');
      assert.equal(puts.length, 1);
      const url = new URL(puts[0].url);
      if (hideInfo) {
        assert.equal(url.pathname, '/pub/app/a%20file.txt');
        assert.equal(puts[0].headers['pubky-host'], keypair.publicKey.z32);
      } else {
        assert.equal(url.pathname, `/storage/${keypair.publicKey.z32}/pub/app/a%20file.txt`);
        assert.equal(puts[0].headers['pubky-host'], undefined);
      }
      assert.equal(puts[0].headers.cookie?.split('=')[0], keypair.publicKey.z32, 'only the owner cookie is sent');
      assert.equal(rec.log.filter((r) => r.url.endsWith('/info')).length, 1, '/info is cached');
    }
  });
});

describe('sessions', () => {
  test('signin from a fresh client, signout, revalidate', async () => {
    const keypair = Keypair.random();
    await new Pubky({ packetSource: source }).signer(keypair).signup(hs.publicKey, await hs.signupToken());
    const pubky = new Pubky({ packetSource: source });
    const session = await pubky.signer(keypair).signin({ awaitRepublish: true });
    await session.storage.putText('/pub/app/x', '1');
    assert.equal(await session.revalidate(), true);
    await session.signout();
    assert.equal(await session.revalidate(), false);
    await assert.rejects(session.storage.putText('/pub/app/x', '2'), { status: 401 });
    await assert.rejects(new Pubky({ packetSource: source }).signer(Keypair.random()).signin(), { code: 'user_packet_not_found' });
  });

  test('cookie session export/restore in another client; a signed-out export fails to restore', async () => {
    const keypair = Keypair.random();
    const session = await new Pubky({ packetSource: source }).signer(keypair).signup(hs.publicKey, await hs.signupToken());
    const exported = session.export();
    assert.match(exported, /^pubky-session:/);
    const other = new Pubky({ packetSource: source });
    const restored = await other.restoreSession(exported);
    assert.ok(restored.publicKey.equals(keypair.publicKey));
    await restored.storage.putText('/pub/app/restored', 'yes');
    assert.equal(await other.publicStorage.getText(`pubky://${keypair.publicKey.z32}/pub/app/restored`), 'yes');
    await restored.signout();
    await assert.rejects(new Pubky({ packetSource: source }).restoreSession(exported), { status: 401 });
    await assert.rejects(other.restoreSession('pubky-session:garbage'), { code: 'invalid_session_export' });
  });

  test('grant sessions: scoped bearer, export/restore, signout revokes', async () => {
    const keypair = Keypair.random();
    const pubky = new Pubky({ packetSource: source });
    await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
    const session = await pubky.signer(keypair).signinWithGrant({ clientId: 'test.app', capabilities: '/pub/test.app/:rw' });
    assert.equal(session.kind, 'grant');
    assert.deepEqual(session.capabilities, ['/pub/test.app/:rw']);
    await session.storage.putText('/pub/test.app/note', 'granted');
    await assert.rejects(session.storage.putText('/pub/other.app/note', 'no'), { status: 403 });
    assert.equal(await session.revalidate(), true);
    const restored = await new Pubky({ packetSource: source }).restoreSession(session.export());
    assert.equal(await restored.storage.getText('/pub/test.app/note'), 'granted');
    await session.signout();
    assert.equal(await restored.revalidate(), false);
  });

  test('a grant bearer close to expiry is refreshed with a new PoP before use', async () => {
    const keypair = Keypair.random();
    const pubky = new Pubky({ packetSource: source });
    await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
    const session = await pubky.signer(keypair).signinWithGrant({ clientId: 'refresh.app', capabilities: '/pub/refresh.app/:rw' });
    // Pretend the bearer expires in 10 s: restoring must refresh it before the first request.
    const exported = session.export();
    const data = JSON.parse(utf8Decode(base64urlDecode(exported.slice('pubky-session:'.length))));
    const oldToken = data.token;
    data.tokenExpiresAt = Math.floor(Date.now() / 1000) + 10;
    const restored = await new Pubky({ packetSource: source }).restoreSession(
      `pubky-session:${base64urlEncode(utf8Encode(JSON.stringify(data)))}`,
    );
    const again = JSON.parse(utf8Decode(base64urlDecode(restored.export().slice('pubky-session:'.length))));
    assert.notEqual(again.token, oldToken, 'a new bearer was minted');
    assert.ok(again.tokenExpiresAt > Date.now() / 1000 + 3000);
    await restored.storage.putText('/pub/refresh.app/x', 'ok');
  });
});

describe('events', () => {
  test('stream with cursor and limit, live delivery with abort, and the /events/ feed', async () => {
    const pubky = new Pubky({ packetSource: source });
    const keypair = Keypair.random();
    const session = await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
    for (let i = 0; i < 3; i++) await session.storage.putText(`/pub/ev/${i}.txt`, `v${i}`);
    await session.storage.delete('/pub/ev/0.txt');
    const events: PubkyEvent[] = [];
    for await (const e of pubky.events({ users: [keypair.publicKey] })) events.push(e);
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.path}`),
      ['PUT /pub/ev/0.txt', 'PUT /pub/ev/1.txt', 'PUT /pub/ev/2.txt', 'DEL /pub/ev/0.txt'],
    );
    assert.equal(events[1].contentHash, base64Encode(await blake3(utf8Encode('v1'))));
    assert.equal(events[3].contentHash, null);
    const rest: PubkyEvent[] = [];
    for await (const e of pubky.events({ users: [{ key: keypair.publicKey, cursor: events[1].cursor }], limit: 1 })) rest.push(e);
    assert.deepEqual(
      rest.map((e) => e.path),
      ['/pub/ev/2.txt'],
    );

    const ac = new AbortController();
    const live = pubky.events({ users: [{ key: keypair.publicKey, cursor: events[3].cursor }], live: true, signal: ac.signal });
    const first = live.next();
    await new Promise((r) => setTimeout(r, 50));
    await session.storage.putText('/pub/ev/live.txt', 'now');
    const got = await first;
    assert.equal(got.done, false);
    assert.equal((got.value as PubkyEvent).path, '/pub/ev/live.txt');
    const pending = live.next();
    ac.abort();
    await assert.rejects(pending);

    const feedPages = [];
    for await (const p of pubky.eventsFeedPages(hs.publicKey, { limit: 2 })) feedPages.push(p);
    assert.ok(feedPages.length >= 3 && feedPages.every((p) => p.events.length <= 2 && p.cursor));
    const page = await pubky.eventsFeed(hs.publicKey, { limit: 1000 });
    assert.ok(page.events.some((e) => e.user.equals(keypair.publicKey) && e.path === '/pub/ev/live.txt'));
    assert.ok(page.cursor);
    const empty = await pubky.eventsFeed(hs.publicKey, { cursor: page.cursor! });
    assert.deepEqual(empty, { events: [], cursor: null });
  });
});

describe('events across homeservers and private paths', () => {
  test('one iterator merges the streams of users on two homeservers', async () => {
    const hs2 = await startTestHomeserver(source, { open: true });
    try {
      const pubky = new Pubky({ packetSource: source });
      const a = Keypair.random();
      const b = Keypair.random();
      const sa = await pubky.signer(a).signup(hs.publicKey, await hs.signupToken());
      const sb = await pubky.signer(b).signup(hs2.publicKey);
      await sa.storage.putText('/pub/m/a1', '1');
      await sb.storage.putText('/pub/m/b1', '1');
      await sb.storage.putText('/pub/m/b2', '2');
      const seen: string[] = [];
      for await (const e of pubky.events({ users: [a.publicKey, b.publicKey.z32] }))
        seen.push(`${e.user.z32 === a.publicKey.z32 ? 'a' : 'b'}${e.path}`);
      assert.deepEqual(seen.sort(), ['a/pub/m/a1', 'b/pub/m/b1', 'b/pub/m/b2']);
      const limited: string[] = [];
      for await (const e of pubky.events({ users: [a.publicKey, b.publicKey], limit: 2 })) limited.push(e.path);
      assert.equal(limited.length, 2);
    } finally {
      await hs2.stop();
    }
  });

  test('a session follows its own private paths; anonymous readers are refused', async () => {
    const pubky = new Pubky({ packetSource: source });
    const keypair = Keypair.random();
    const session = await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
    await session.storage.putText('/priv/notes/1', 'secret');
    await session.storage.putText('/pub/notes/1', 'public');
    const mine: string[] = [];
    for await (const e of session.events({ users: [keypair.publicKey], paths: ['/priv/notes/'] })) mine.push(e.path);
    assert.deepEqual(mine, ['/priv/notes/1']);
    const anon = new Pubky({ packetSource: source }).events({ users: [keypair.publicKey], paths: ['/priv/notes/'] });
    await assert.rejects(anon.next(), { status: 401 });
    const pub: string[] = [];
    for await (const e of new Pubky({ packetSource: source }).events({ users: [keypair.publicKey] })) pub.push(e.path);
    assert.deepEqual(pub, ['/pub/notes/1'], 'default filter is /pub/');
  });
});
