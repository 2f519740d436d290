import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { SignedPacket } from '@pubky-ts/pkarr';
import { MemoryPacketSource } from './memory-source.ts';
import { Pubky } from './pubky.ts';
import { parsePubkyTarget, parseResourceAddress } from './pubky-url.ts';

const KEY = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';

test('address forms: pubky://, pubky<key>, https://_pubky.<key>, https://<key>, plain URLs', () => {
  for (const u of [`pubky://${KEY}/pub/a.txt`, `pubky${KEY}/pub/a.txt`, `https://_pubky.${KEY}/pub/a.txt`]) {
    const t = parsePubkyTarget(u);
    assert.ok(t && t.kind === 'user' && t.owner.z32 === KEY && t.pathAndQuery === '/pub/a.txt', u);
  }
  const host = parsePubkyTarget(`https://${KEY}/signup?signup_token=X`);
  assert.ok(host && host.kind === 'host' && host.pathAndQuery === '/signup?signup_token=X');
  assert.equal(parsePubkyTarget('https://example.com/x'), null);
  assert.throws(() => parsePubkyTarget('pubky://notakey/pub/x'), { code: 'invalid_pubky_url' });
  assert.deepEqual(
    { ...parseResourceAddress(`pubky://${KEY}/pub/dir/../b c/`), owner: undefined },
    { owner: undefined, path: '/pub/b c/', isDirectory: true },
  );
  assert.throws(() => parseResourceAddress('/pub/a'), { code: 'invalid_pubky_url' });
  assert.throws(() => parseResourceAddress(`pubky://${KEY}/pub/../../x`), { code: 'invalid_path' });
});

test('testnet mode: relay on :15411, HTTP relay on :15412, plain HTTP to the testnet host', async () => {
  const seen: string[] = [];
  const fakeFetch = async (input: string | URL | Request) => {
    seen.push(input.toString());
    return new Response('', { status: 404 });
  };
  const pubky = new Pubky({ testnet: { host: 'devbox' }, fetch: fakeFetch });
  assert.equal(pubky.httpRelay, 'http://devbox:15412/inbox');
  assert.equal(await pubky.getHomeserverOf(KEY), null);
  assert.ok(
    seen.some((u) => u.startsWith(`http://devbox:15411/${KEY}`)),
    seen.join(','),
  );
  assert.equal(Pubky.testnet().httpRelay, 'http://localhost:15412/inbox');
  assert.equal(new Pubky({ fetch: fakeFetch }).httpRelay, 'https://httprelay.pubky.app/inbox');
  assert.throws(() => new Pubky({ relays: [] }), { code: 'invalid_argument' });
});

test('an unreachable homeserver is a network_error; resolution failures are PkarrResolutionError', async () => {
  const source = new MemoryPacketSource();
  const hs = Keypair.random();
  // A port nobody listens on: bind and close.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  await source.publish(
    SignedPacket.sign(hs, [
      {
        type: 'HTTPS',
        name: '.',
        ttl: 3600,
        priority: 10,
        target: 'localhost',
        params: { other: [{ key: 65280, value: Uint8Array.of(port >> 8, port & 0xff) }] },
      },
    ]),
  );
  const pubky = new Pubky({ packetSource: source });
  await assert.rejects(pubky.signer(Keypair.random()).signup(hs.publicKey), { code: 'network_error' });
  const stranger = Keypair.random().publicKey;
  await assert.rejects(pubky.publicStorage.getText(`pubky://${stranger.z32}/pub/x`), {
    name: 'PkarrResolutionError',
    code: 'user_packet_not_found',
  });
  await assert.rejects(pubky.fetch(`pubky://${stranger.z32}/pub/x`), { code: 'user_packet_not_found' });
});

test('ordinary URLs go to plain fetch untouched', async () => {
  const calls: Array<[string, RequestInit | undefined]> = [];
  const pubky = new Pubky({
    packetSource: new MemoryPacketSource(),
    fetch: async (input, init) => {
      calls.push([input.toString(), init]);
      return new Response('plain');
    },
  });
  const res = await pubky.fetch('https://example.com/x', { method: 'POST' });
  assert.equal(await res.text(), 'plain');
  assert.equal(calls[0][0], 'https://example.com/x');
  assert.equal(calls[0][1]?.method, 'POST');
});
