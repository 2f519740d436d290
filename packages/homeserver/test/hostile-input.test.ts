import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { AuthToken, type Keypair } from '@pubky-ts/common';
import { HOMESERVER_ERRORS, type HomeserverErrorCode } from '../src/errors/catalogue.ts';
import { as, rawRequest, signup, startTestServer, type TestServer } from './helpers.ts';

// Deterministic PRNG so a failure can be replayed.
let seed = 0x5eed;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}
function pick<T>(xs: readonly T[]): T {
  return xs[rnd(xs.length)]!;
}
function randomPathBytes(): string {
  const pieces = [
    'pub',
    'priv',
    '..',
    '.',
    '%2e%2e',
    '%2E',
    '%00',
    '%FF',
    '%C3%BC',
    '%5C',
    '%20',
    '%',
    '%%',
    'a'.repeat(rnd(300)),
    '',
    '~',
    '%E2%80%A8',
    'x?y',
    '*',
    ';',
    'storage',
    '%2F',
  ];
  let p = '';
  for (let i = 0, n = 1 + rnd(6); i < n; i++) p += `/${pick(pieces)}`;
  if (rnd(3) === 0) p += '/';
  return p;
}
function randomQuery(): string {
  const keys = ['limit', 'cursor', 'reverse', 'shallow', 'user', 'path', 'live', 'signup_token', 'pubky-host', 'state'];
  const vals = [
    '',
    '0',
    '-1',
    '99999999999',
    'true',
    'maybe',
    '%FF',
    'pubky://x',
    'AAAA-BBBB-CCCC',
    '%00',
    '/priv/',
    'x:y:z',
    'a'.repeat(100),
  ];
  const parts: string[] = [];
  for (let i = 0, n = rnd(5); i < n; i++) parts.push(rnd(4) === 0 ? pick(keys) : `${pick(keys)}=${pick(vals)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

describe('hostile input never crashes and is answered with a 4xx', () => {
  let hs: TestServer;
  let kp: Keypair;
  let cookie: string;
  before(async () => {
    hs = await startTestServer({ drive: { body_idle_timeout_ms: 300 } });
    ({ kp, cookie } = await signup(hs));
  });
  after(() => hs.stop());

  test('random paths, queries, headers and bodies on every route', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/signup'],
      ['POST', '/session'],
      ['GET', '/session'],
      ['DELETE', '/session'],
      ['POST', '/auth/grant/signup'],
      ['POST', '/auth/grant/session'],
      ['GET', '/auth/grant/session'],
      ['DELETE', '/auth/grant/session'],
      ['GET', '/auth/grant/sessions'],
      ['DELETE', '/auth/grant/session/x'],
      ['GET', '/events/'],
      ['GET', '/events-stream'],
      ['GET', '/signup_tokens/x'],
      ['GET', '/info'],
      ['GET', '/'],
    ];
    const z = kp.publicKey.z32;
    const headerSets = [
      {},
      as(kp, cookie),
      { 'pubky-host': 'pubky' + z, cookie: `${z}=${'A'.repeat(26)}` },
      { authorization: 'Bearer ' + 'A'.repeat(43) },
      { authorization: 'Bearer garbage', cookie: '%%%;;;==' },
      { 'content-type': 'application/json' },
      { host: `x.${z}` },
    ];
    const token = AuthToken.sign(kp, '/:rw').serialize();
    const bodies = (): Array<Uint8Array | string | undefined> => {
      const mutated = new Uint8Array(token);
      mutated[rnd(mutated.length)] ^= 1 << rnd(8);
      return [
        undefined,
        '',
        '{',
        '{"grant":"a.b.c","pop":"a.b.c"}',
        '[]',
        'null',
        randomBytes(rnd(400)),
        token.subarray(0, rnd(token.length)),
        mutated,
      ];
    };
    let count = 0;
    for (let i = 0; i < 300; i++) {
      const [method, base] =
        rnd(2) === 0
          ? pick(routes)
          : [
              pick(['GET', 'HEAD', 'PUT', 'DELETE', 'POST']),
              rnd(2) ? randomPathBytes() : `/storage/${pick([z, 'junk', 'pubky' + z])}${randomPathBytes()}`,
            ];
      const path = base + randomQuery();
      const headers = { ...pick(headerSets) } as Record<string, string>;
      const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies());
      let res;
      try {
        res = await rawRequest(hs.url, method, path, headers, body);
      } catch (e) {
        assert.fail(`${method} ${path}: ${(e as Error).message}`);
      }
      count++;
      assert.ok(res.status < 500, `${method} ${path} ${JSON.stringify(headers)} → ${res.status} ${res.body.toString().slice(0, 200)}`);
      if (res.status >= 400) {
        assert.match(String(res.headers['content-type']), /^text\/plain/, `${method} ${path}`);
        if (method !== 'HEAD') assert.ok(res.body.length > 0, `error body for ${method} ${path}`);
        // Every refusal names its rule with a catalogued code, answered with that code's status.
        const code = String(res.headers['pubky-error-code']) as HomeserverErrorCode;
        assert.equal(HOMESERVER_ERRORS[code]?.status, res.status, `${method} ${path} → ${res.status} with code ${code}`);
      }
    }
    assert.equal(count, 300);
    assert.equal((await hs.req('/')).status, 200);
  });

  test('garbage on the raw socket and a stalled upload do not hurt the server', async () => {
    const junk = [
      'GARBAGE\r\n\r\n',
      'GET /pub/\x00 HTTP/1.1\r\nHost: x\r\n\r\n',
      `PUT /pub/x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n`,
      `POST /session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
      randomBytes(512).toString('latin1'),
    ];
    const u = new URL(hs.url);
    for (const j of junk) {
      await new Promise<void>((resolve) => {
        const s = connect(Number(u.port), u.hostname, () => s.end(j, 'latin1'));
        s.on('data', () => {});
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.setTimeout(2000, () => s.destroy());
      });
    }
    // Slow upload: headers promise 100 bytes, 10 arrive, then silence → 408 after the idle timeout.
    ({ kp, cookie } = await signup(hs));
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      const s = connect(Number(u.port), u.hostname, () => {
        s.write(
          `PUT /pub/slow HTTP/1.1\r\nHost: localhost\r\npubky-host: ${kp.publicKey.z32}\r\nCookie: ${cookie}\r\nContent-Length: 100\r\n\r\n0123456789`,
        );
      });
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => resolve(text));
      s.on('error', () => resolve(text));
      s.setTimeout(3000, () => s.destroy());
    });
    assert.match(reply, /^HTTP\/1\.1 408/);
    assert.match(reply, /Request body stalled/);
    assert.equal((await hs.req('/pub/slow', { headers: as(kp) })).status, 404, 'nothing stored');
    assert.equal((await hs.req('/')).status, 200);
  });
});
