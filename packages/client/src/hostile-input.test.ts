// Network and user input that is garbage must fail with a precise code, never with a TypeError.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { base64urlEncode, utf8Encode } from '@pubky-ts/common';
import { AuthFlow, type AuthFlowHost } from './auth-flow.ts';
import { receiveFromChannel } from './channel.ts';
import { parseGrantSessionResponse } from './grant.ts';
import { parseSessionExport } from './session.ts';
import { parseListing } from './storage.ts';
import { readBytesLimited } from './read-limited.ts';

const KEY = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';

function mutations(valid: string, rounds: number, seed = 1): string[] {
  const out: string[] = [];
  const alphabet = `:/.,;"{}[]=\\\u0000 \n\u00ff0aZ${KEY.slice(0, 3)}`;
  for (let i = 0; i < rounds; i++) {
    const chars = [...valid];
    const n = 1 + (i % 5);
    for (let j = 0; j < n; j++) {
      seed = (seed * 48271) % 2147483647;
      const pos = seed % (chars.length + 1);
      const c = alphabet[seed % alphabet.length];
      if (seed % 3 === 0) chars.splice(pos, 1);
      else if (seed % 3 === 1) chars.splice(pos, 0, c);
      else chars[pos] = c;
    }
    out.push(chars.join(''));
  }
  return out;
}

function expectCodes(fn: () => unknown, codes: string[], label: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(codes.includes((e as { code?: string }).code ?? ''), `${label}: ${(e as Error).stack}`);
  }
}

test('listings: https://_pubky lines are normalised, garbage lines refused', () => {
  assert.deepEqual(parseListing(`pubky://${KEY}/pub/a\r\n\nhttps://_pubky.${KEY}/pub/b\n`), [
    `pubky://${KEY}/pub/a`,
    `pubky://${KEY}/pub/b`,
  ]);
  assert.throws(() => parseListing('/pub/a'), { code: 'invalid_response' });
  assert.throws(() => parseListing(`pubky://${KEY.slice(0, 51)}z/pub/a`), { code: 'invalid_response' });
  for (const m of mutations(`pubky://${KEY}/pub/a\npubky://${KEY}/pub/b/`, 1500))
    expectCodes(() => parseListing(m), ['invalid_response'], m);
});

test('session exports: mutated text is invalid_session_export', () => {
  const valid = `pubky-session:${base64urlEncode(utf8Encode(JSON.stringify({ v: 1, kind: 'cookie', user: KEY, homeserver: KEY, secret: 'ABCDEFGHJKMNPQRSTVWXYZ0123' })))}`;
  assert.equal(parseSessionExport(valid).kind, 'cookie');
  for (const m of mutations(valid, 1500, 7)) expectCodes(() => parseSessionExport(m), ['invalid_session_export'], m);
  const json = (o: unknown) => `pubky-session:${base64urlEncode(utf8Encode(JSON.stringify(o)))}`;
  for (const bad of [
    null,
    [],
    { v: 2 },
    { v: 1, kind: 'cookie', user: KEY },
    { v: 1, kind: 'cookie', user: KEY, homeserver: KEY, secret: 'a;b' },
    { v: 1, kind: 'grant', user: KEY, homeserver: KEY, grant: 'x', clientSecret: 'zz' },
    { v: 1, kind: 'other', user: KEY, homeserver: KEY },
  ]) {
    assert.throws(() => parseSessionExport(json(bad)), { code: 'invalid_session_export' }, JSON.stringify(bad));
  }
});

test('saved auth flows: garbage state is invalid_auth_flow_state', () => {
  const host = {} as AuthFlowHost;
  const valid = JSON.stringify({
    v: 1,
    kind: 'signin',
    capabilities: '/pub/a/:rw',
    relay: 'https://r.example/inbox',
    secret: base64urlEncode(new Uint8Array(32)),
    createdAt: 1,
  });
  assert.match(AuthFlow.resume(host, valid).authorizationUrl, /^pubkyauth:\/\/signin\?/);
  for (const m of mutations(valid, 1500, 3))
    expectCodes(() => AuthFlow.resume(host, m), ['invalid_auth_flow_state', 'invalid_deep_link'], m);
});

test('grant exchange answers: garbage is invalid_response', () => {
  const valid = JSON.stringify({ token: 'A'.repeat(43), session: { pubky: KEY, capabilities: ['/pub/a/:rw'], token_expires_at: 1 } });
  assert.equal(parseGrantSessionResponse(valid).token, 'A'.repeat(43));
  for (const m of mutations(valid, 1500, 5)) expectCodes(() => parseGrantSessionResponse(m), ['invalid_response'], m);
});

test('bodies without Content-Length are cut at the limit, not buffered whole', async () => {
  let sent = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(16 * 1024);
    const pump = () => {
      while (sent < 64 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.equal(await readBytesLimited(await fetch(base), 100_000), null);
    await assert.rejects(receiveFromChannel(`${base}/inbox/x`, { maxBytes: 100_000 }), { code: 'auth_flow_bad_payload' });
    assert.ok(sent < 16 * 1024 * 1024, `stopped early (${sent} bytes sent)`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
