import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthToken, decodeSessionInfo, Keypair } from '@pubky-ts/common';
import { signJws } from '../src/auth/jws.ts';
import { as, authToken, signup, startTestServer, type TestServer } from './helpers.ts';

const json = { 'content-type': 'application/json' };

describe('cookie auth: signup, session, tokens, replay', () => {
  let hs: TestServer;
  before(async () => {
    hs = await startTestServer({ general: { signup_mode: 'token_required' } });
  });
  after(() => hs.stop());

  test('token_required signup: 400 without token, 401 unknown/used, 200 with SessionInfo + cookie', async () => {
    const kp = Keypair.random();
    const post = (q: string, body = authToken(kp)) => hs.req(`/signup${q}`, { method: 'POST', body });
    let r = await post('');
    assert.equal(r.status, 400);
    assert.equal(await r.text(), 'Token required');
    r = await post('?signup_token=nope');
    assert.equal(r.status, 400);
    assert.equal(await r.text(), 'Invalid signup token format: Invalid signup code id');
    r = await post('?signup_token=AAAA-BBBB-CCCC');
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'Invalid token');
    const token = await (await hs.admin('/generate_signup_token')).text();
    assert.match(token, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    let st = await hs.req(`/signup_tokens/${token}`);
    assert.equal(st.headers.get('cache-control'), 'no-store');
    assert.equal((await st.json()).status, 'valid');
    r = await post(`?signup_token=${token}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/octet-stream');
    const info = decodeSessionInfo(new Uint8Array(await r.arrayBuffer()));
    assert.ok(info.publicKey.equals(kp.publicKey));
    assert.deepEqual(info.capabilities, ['/:rw']);
    assert.ok(Math.abs(info.createdAt - Date.now() * 1000) < 60e6, 'µs');
    const setCookie = r.headers.get('set-cookie')!;
    assert.match(setCookie, new RegExp(`^${kp.publicKey.z32}=[0-9A-Z]{26}; HttpOnly; Path=/; Max-Age=31536000; Expires=`));
    st = await hs.req(`/signup_tokens/${token}`);
    const body = await st.json();
    assert.equal(body.status, 'used');
    assert.match(body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    r = await post('', authToken(kp));
    assert.equal(r.status, 409, 'existing user before token checks');
    const other = Keypair.random();
    r = await hs.req(`/signup?signup_token=${token}`, { method: 'POST', body: authToken(other) });
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'Token already used');
    assert.equal((await hs.req('/signup_tokens/nope')).status, 400);
    assert.equal((await hs.req('/signup_tokens/AAAA-BBBB-CCCC')).status, 404);
  });

  test('AuthToken garbage: truncated, forged, stale, replayed → 400 with the reason', async () => {
    const kp = Keypair.random();
    const cases: Array<[Uint8Array<ArrayBuffer>, RegExp]> = [
      [new Uint8Array(0), /at least/],
      [new Uint8Array(50), /at least/],
      [authToken(kp).subarray(0, 100), /at least|end of buffer|Hit the end/i],
      [authToken(kp, '/:rw', Date.now() * 1000 - 200e6), /more than 3 minutes in the past/],
      [authToken(kp, '/:rw', Date.now() * 1000 + 200e6), /more than 3 minutes in the future/],
    ];
    const forged = authToken(kp);
    forged[100] ^= 1;
    cases.push([forged, /Invalid Signature|public key/]);
    const badCaps = authToken(kp, '/pub/a/:rw');
    const fixedCaps = new Uint8Array(badCaps);
    fixedCaps[fixedCaps.length - 3] = 0x2f; // '/pub/a//rw'-like corruption of the caps string
    cases.push([fixedCaps, /Serde Deserialization Error|Invalid Signature/]);
    for (const [body, re] of cases) {
      const r = await hs.req('/session', { method: 'POST', body });
      assert.equal(r.status, 400, re.source);
      assert.match(await r.text(), re);
    }
    const token = authToken(kp);
    // unknown user → 404 … but the token is now spent
    assert.equal((await hs.req('/session', { method: 'POST', body: token })).status, 404);
    const r = await hs.req('/session', { method: 'POST', body: token });
    assert.equal(r.status, 400);
    assert.equal(await r.text(), 'AuthToken already used');
    assert.equal((await hs.req('/session', { method: 'POST', body: new Uint8Array(3 * 1024 * 1024) })).status, 413);
  });
});

describe('sessions in open mode', () => {
  let hs: TestServer;
  before(async () => {
    hs = await startTestServer();
  });
  after(() => hs.stop());

  test('sign-in, GET /session (401 default), DELETE /session clears the cookie', async () => {
    const { kp, cookie } = await signup(hs, Keypair.random(), '/pub/app/:rw');
    let r = await hs.req('/session', { headers: as(kp, cookie) });
    assert.equal(r.status, 200);
    const info = decodeSessionInfo(new Uint8Array(await r.arrayBuffer()));
    assert.deepEqual(info.capabilities, ['/pub/app/:rw']);
    assert.ok(info.createdAt < 1e11, 'seconds here');
    r = await hs.req('/session', { method: 'POST', body: authToken(kp, '/pub/other/:r'), headers: as(kp) });
    assert.equal(r.status, 200);
    const second = r.headers.get('set-cookie')!.split(';')[0]!;
    assert.notEqual(second, cookie);
    r = await hs.req('/session', { headers: as(kp) });
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'No authenticated session found');
    r = await hs.req('/session', { method: 'DELETE', headers: as(kp, cookie) });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('set-cookie')!, new RegExp(`^${kp.publicKey.z32}=; .*Max-Age=0`));
    assert.equal((await hs.req('/session', { headers: as(kp, cookie) })).status, 401);
    assert.equal((await hs.req('/session', { headers: as(kp, second) })).status, 200, 'other session intact');
    assert.equal((await hs.req('/session', { method: 'DELETE' })).status, 400, 'no tenant');
    // secure cookie on a dotted host
    r = await hs.req('/session', { method: 'POST', body: authToken(kp), headers: { 'x-forwarded-host': 'hs.example.com' } });
    assert.match(r.headers.get('set-cookie')!, /SameSite=None; Secure/);
  });

  test('files above the inline threshold stream back whole (blob path)', async () => {
    const { kp, cookie } = await signup(hs);
    const body = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
    assert.equal((await hs.req('/pub/big.bin', { method: 'PUT', body, headers: as(kp, cookie) })).status, 201);
    const r = await hs.req('/pub/big.bin', { headers: as(kp) });
    assert.equal(r.headers.get('content-length'), '300000');
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), body);
  });

  test('compat_session_404 answers 404 for 0.6.0 clients', async () => {
    const compat = await startTestServer({ drive: { compat_session_404: true } });
    try {
      const r = await compat.req('/session', { headers: { 'pubky-host': Keypair.random().publicKey.z32 } });
      assert.equal(r.status, 404);
    } finally {
      await compat.stop();
    }
  });
});

describe('grant auth (spec §3.6) with the §3.6.7 keys and a fixed clock', () => {
  const NOW = 1_700_000_000;
  const user = Keypair.fromSecretKey(new Uint8Array(32));
  const client = Keypair.fromSecretKey(new Uint8Array(32).fill(1));
  const hsKey = Keypair.fromSecretKey(new Uint8Array(32).fill(2));
  let hs: TestServer;
  let nonce = 0;
  const pop = (gid: string, over: Record<string, unknown> = {}) =>
    signJws(client, 'pubky-pop', { aud: hsKey.publicKey.z32, gid, nonce: `n${nonce++}`, iat: NOW, ...over });
  const grant = (over: Record<string, unknown> = {}) =>
    signJws(user, 'pubky-grant', {
      iss: user.publicKey.z32,
      client_id: 'example.app',
      caps: ['/pub/example.app/:rw'],
      cnf: client.publicKey.z32,
      jti: 'grant1',
      iat: NOW,
      exp: NOW + 86400,
      ...over,
    });
  const exchange = (g: string, p: string) =>
    hs.req('/auth/grant/session', {
      method: 'POST',
      body: JSON.stringify({ grant: g, pop: p }),
      headers: { ...json, 'pubky-host': user.publicKey.z32 },
    });

  before(async () => {
    hs = await startTestServer({}, { keypair: hsKey, nowMs: () => NOW * 1000 });
  });
  after(() => hs.stop());

  test('the spec vector pair is accepted once the user exists; nonce replay refused', async () => {
    const GRANT =
      'eyJhbGciOiJFZERTQSIsInR5cCI6InB1Ymt5LWdyYW50In0.eyJpc3MiOiI4cGlueHhncXM0MW40YWlkaWRlbnc1YXBxcDF1cmZtemR6dHI4anQ0YWJya2RuNDM1ZXdvIiwiY2xpZW50X2lkIjoiZXhhbXBsZS5hcHAiLCJjYXBzIjpbIi9wdWIvZXhhbXBsZS5hcHAvOnJ3Il0sImNuZiI6InRrcnE4em13YjhhM205azE1Y3N1M3ExN3FtZmdxbnA5ZHNrYnJnOXVxMXJ5ZHB5eHA3cXkiLCJqdGkiOiJBQUFBQUFBQUFBQUFBQUFBQUFBQUFBIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE4MDAwMDAwMDB9.2NnnR-D1txZYgFtncfRNjqiPQlYxzCIglOemmuqLxyMIZ0JKyg_grbdfcELKH2clOkp5cvJIAZxvV_bY9-QaBQ';
    const POP =
      'eyJhbGciOiJFZERTQSIsInR5cCI6InB1Ymt5LXBvcCJ9.eyJhdWQiOiJvcmh6cWRpZXh3bWk2aWlka3R1Y2d1ZDYzdWZhNW53dHN1emR4ZTE3NmE4aXpkNmpzcWt5IiwiZ2lkIjoiQUFBQUFBQUFBQUFBQUFBQUFBQUFBQSIsIm5vbmNlIjoiQVFFQkFRRUJBUUVCQVFFQkFRRUJBUSIsImlhdCI6MTcwMDAwMDAwMH0.kvXVIi9CtNCQwtF0tFKEuFmxmByZxL3RcG6Q8Am59OyOVEZLJycNxDf4dsHGeYrTtg2T7uHsaWRyiI_Ckgf1AA';
    let r = await exchange(GRANT, pop('AAAAAAAAAAAAAAAAAAAAAA'));
    assert.equal(r.status, 404, 'user not registered yet');
    // grant signup for the user (client_id pubky.signup, root caps, ≤ 5 min)
    const sg = grant({ client_id: 'pubky.signup', caps: ['/:rw'], jti: 'signup1', exp: NOW + 300 });
    const signupBody = (g: string, p: string) => ({ method: 'POST', body: JSON.stringify({ grant: g, pop: p }), headers: json });
    r = await hs.req('/auth/grant/signup', signupBody(grant({ client_id: 'x', caps: ['/:rw'], jti: 's0', exp: NOW + 300 }), pop('s0')));
    assert.equal(r.status, 400);
    r = await hs.req('/auth/grant/signup', signupBody(grant({ client_id: 'pubky.signup', jti: 's2', exp: NOW + 300 }), pop('s2')));
    assert.equal(r.status, 403);
    assert.equal(await r.text(), 'Root capability required');
    r = await hs.req(
      '/auth/grant/signup',
      signupBody(grant({ client_id: 'pubky.signup', caps: ['/:rw'], jti: 's3', exp: NOW + 301 }), pop('s3')),
    );
    assert.equal(await r.text(), 'Invalid signup grant: signup grant lifetime exceeds 5 minutes');
    r = await hs.req('/auth/grant/signup', signupBody(sg, pop('signup1')));
    assert.equal(r.status, 204);
    r = await hs.req('/auth/grant/signup', signupBody(sg, pop('signup1')));
    assert.equal(r.status, 409);
    r = await exchange(GRANT, POP);
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.token.length, 43);
    assert.deepEqual(body.session, {
      homeserver: hsKey.publicKey.z32,
      pubky: user.publicKey.z32,
      client_id: 'example.app',
      capabilities: ['/pub/example.app/:rw'],
      grant_id: 'AAAAAAAAAAAAAAAAAAAAAA',
      token_expires_at: NOW + 3600,
      grant_expires_at: 1800000000,
      created_at: NOW,
    });
    r = await exchange(GRANT, POP);
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'PoP nonce already used');
  });

  test('bearer: storage writes by capability, info, listing, revocation', async () => {
    let r = await exchange(grant(), pop('grant1'));
    assert.equal(r.status, 200);
    const { token } = await r.json();
    const bearer = { authorization: `Bearer ${token}` };
    const z = user.publicKey.z32;
    r = await hs.req(`/storage/${z}/pub/example.app/x`, { method: 'PUT', body: 'x', headers: bearer });
    assert.equal(r.status, 201);
    r = await hs.req(`/storage/${z}/pub/other/x`, { method: 'PUT', body: 'x', headers: bearer });
    assert.equal(r.status, 403);
    r = await hs.req(`/storage/${Keypair.random().publicKey.z32}/pub/example.app/x`, { method: 'PUT', body: 'x', headers: bearer });
    assert.equal(r.status, 403);
    assert.equal(await r.text(), 'Session user does not match target tenant');
    r = await hs.req('/auth/grant/session', { headers: bearer });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).grant_id, 'grant1');
    assert.equal((await hs.req('/auth/grant/sessions', { headers: bearer })).status, 403, 'not root');
    // a refresh mints a new bearer and kills the old one
    r = await exchange(grant(), pop('grant1'));
    const token2 = (await r.json()).token;
    assert.equal((await hs.req('/auth/grant/session', { headers: bearer })).status, 401);
    const bearer2 = { authorization: `Bearer ${token2}` };
    // root session lists and revokes
    const rootToken = (await (await exchange(grant({ jti: 'root1', caps: ['/:rw'] }), pop('root1'))).json()).token;
    const root = { authorization: `Bearer ${rootToken}` };
    r = await hs.req('/auth/grant/sessions', { headers: root });
    assert.equal(r.status, 200);
    const list = await r.json();
    assert.deepEqual(list.map((g: { grant_id: string }) => g.grant_id).sort(), ['AAAAAAAAAAAAAAAAAAAAAA', 'grant1', 'root1']);
    assert.equal(list.find((g: { grant_id: string }) => g.grant_id === 'grant1').capabilities, '/pub/example.app/:rw');
    assert.equal((await hs.req('/auth/grant/session/a.b', { method: 'DELETE', headers: root })).status, 400);
    assert.equal((await hs.req('/auth/grant/session/unknown', { method: 'DELETE', headers: root })).status, 404);
    assert.equal((await hs.req('/auth/grant/session/grant1', { method: 'DELETE', headers: root })).status, 200);
    assert.equal((await hs.req('/auth/grant/session', { headers: bearer2 })).status, 401);
    r = await exchange(grant(), pop('grant1'));
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'Grant has been revoked');
    assert.equal((await hs.req('/auth/grant/session', { method: 'DELETE', headers: root })).status, 200);
    assert.equal((await hs.req('/auth/grant/sessions', { headers: root })).status, 401);
    assert.equal((await hs.req('/auth/grant/sessions')).status, 401);
  });

  test('grant body rejections: 415, 400, 422; expired grant 401', async () => {
    let r = await hs.req('/auth/grant/session', { method: 'POST', body: '{}' });
    assert.equal(r.status, 415);
    r = await hs.req('/auth/grant/session', { method: 'POST', body: '{', headers: json });
    assert.equal(r.status, 400);
    r = await hs.req('/auth/grant/session', { method: 'POST', body: '{"grant":"a.b","pop":"a.b.c"}', headers: json });
    assert.equal(r.status, 422);
    r = await hs.req('/auth/grant/session', { method: 'POST', body: '[1]', headers: json });
    assert.equal(r.status, 422);
    r = await exchange(grant({ exp: NOW - 1, jti: 'old' }), pop('old'));
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'Invalid grant: grant has expired');
  });
});
