import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { Keypair, readErrorSection, renderErrorTable } from '@pubky-ts/common';
import { HOMESERVER_ERROR_DOCS, HOMESERVER_ERRORS, type HomeserverErrorCode } from '../src/errors/catalogue.ts';
import { httpError } from '../src/errors/http-error.ts';
import { storageErrors } from '../src/storage/errors.ts';
import { as, authToken, signup, startTestServer, type TestServer } from './helpers.ts';

/** Sample details for a message function, one per declared parameter (strings fill numbers' places too). */
function sampleDetails(fn: (...a: never[]) => string): string[] {
  return Array.from({ length: fn.length }, (_, i) => `detail-${i}`);
}

describe('the homeserver error catalogue', () => {
  test('every entry has an UPPER_SNAKE code, a real 4xx/5xx status, a summary and a message', () => {
    const codes = Object.keys(HOMESERVER_ERRORS) as HomeserverErrorCode[];
    assert.ok(codes.length > 100, `only ${codes.length} codes`);
    for (const code of codes) {
      const entry = HOMESERVER_ERRORS[code];
      assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
      assert.ok(Number.isInteger(entry.status) && entry.status >= 400 && entry.status <= 599, `${code}: status ${entry.status}`);
      assert.ok(STATUS_CODES[entry.status], `${code}: ${entry.status} is not an HTTP status`);
      assert.match(entry.summary, /^\S.*\.$/, `${code}: summary must be a sentence`);
      const details = sampleDetails(entry.message);
      const err = (httpError as (code: HomeserverErrorCode, ...details: string[]) => ReturnType<typeof httpError>)(code, ...details);
      assert.equal(err.code, code);
      assert.equal(err.status, entry.status);
      assert.ok(err.message.length > 0 && !err.message.includes('undefined'), `${code}: message ${JSON.stringify(err.message)}`);
      for (const d of details) assert.ok(err.message.includes(d), `${code}: message drops ${d}`);
      for (const [k, v] of Object.entries('headers' in entry ? entry.headers : {})) assert.equal(err.headers[k], v, `${code}: header ${k}`);
    }
  });

  test('storage errors are catalogue errors with the catalogue status and message', () => {
    for (const make of Object.values(storageErrors)) {
      const err = make();
      const entry = HOMESERVER_ERRORS[err.code];
      assert.equal(err.status, entry.status, err.code);
      assert.equal(err.message, (entry.message as () => string)(), err.code);
    }
  });

  test('every catalogued code is thrown somewhere in src (no dead entries in the README)', () => {
    const src = new URL('../src/', import.meta.url);
    const text = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('catalogue.ts'))
      .map((f) => readFileSync(new URL(f, src), 'utf8'))
      .join('\n');
    const unused = Object.keys(HOMESERVER_ERRORS).filter((code) => !text.includes(`'${code}'`));
    assert.deepEqual(unused, [], 'catalogued but never thrown: remove them from src/errors/catalogue.ts (then npm run docs:errors)');
  });

  test('the README table is the one the catalogue renders (npm run docs:errors rewrites it)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    assert.equal(readErrorSection(readme), renderErrorTable(HOMESERVER_ERROR_DOCS), 'stale: run npm run docs:errors');
  });
});

describe('failing requests carry their catalogued code', () => {
  let hs: TestServer;
  let kp: Keypair;
  let cookie: string;
  before(async () => {
    hs = await startTestServer({ general: { user_storage_quota_mb: 1 } });
    ({ kp, cookie } = await signup(hs));
  });
  after(() => hs.stop());

  /** Status, header and (for messages without details) body are the catalogue's. */
  async function expectCode(res: Response, code: HomeserverErrorCode): Promise<void> {
    const body = await res.text();
    assert.equal(res.headers.get('pubky-error-code'), code, `${res.status} ${body}`);
    const entry = HOMESERVER_ERRORS[code];
    assert.equal(res.status, entry.status, code);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    if (entry.message.length === 0) assert.equal(body, (entry.message as () => string)(), code);
  }

  test('client API', async () => {
    const host = as(kp, cookie);
    const someone = Keypair.random();
    await expectCode(await hs.req('/pub/a.txt', { method: 'PUT', body: 'x', headers: as(kp) }), 'NO_SESSION');
    await expectCode(await hs.req(`/storage/${kp.publicKey.z32}/pub/dir/`, { method: 'PUT', body: 'x', headers: host }), 'NOT_A_FILE');
    await expectCode(await hs.req('/pub/dir/', { method: 'PUT', body: 'x', headers: host }), 'INVALID_URL');
    // The root rule is checked by the HTTP layer and by the store: one code either way.
    await expectCode(await hs.req('/etc/a.txt', { method: 'PUT', body: 'x', headers: host }), 'WRITE_FORBIDDEN_ROOT');
    await expectCode(await hs.req('/priv/a.txt', { headers: as(kp) }), 'PRIVATE_READ_UNAUTHENTICATED');
    await expectCode(await hs.req('/pub/missing.txt', { headers: as(kp) }), 'NOT_FOUND');
    await expectCode(await hs.req('/pub/?reverse=maybe', { headers: as(kp) }), 'INVALID_BOOLEAN');
    await expectCode(await hs.req('/pub/?%FF=1', { headers: as(kp) }), 'INVALID_QUERY');
    await expectCode(await hs.req(`/pub/big.bin`, { method: 'PUT', body: new Uint8Array(1_100_000), headers: host }), 'QUOTA_EXCEEDED');
    await expectCode(await hs.req('/signup', { method: 'POST', body: new Uint8Array(3), headers: as(someone) }), 'AUTH_TOKEN_TRUNCATED');
    const token = authToken(someone);
    assert.equal((await hs.req('/signup', { method: 'POST', body: token, headers: as(someone) })).status, 200);
    await expectCode(await hs.req('/signup', { method: 'POST', body: token, headers: as(someone) }), 'AUTH_TOKEN_REPLAYED');
    await expectCode(await hs.req('/signup', { method: 'POST', body: authToken(someone), headers: as(someone) }), 'USER_EXISTS');
    await expectCode(await hs.req('/events-stream'), 'USER_REQUIRED');
    await expectCode(await hs.req(`/events-stream?user=${kp.publicKey.z32}&live=true&reverse=true`), 'LIVE_WITH_REVERSE');
    await expectCode(await hs.req('/events/?cursor=not-a-cursor'), 'INVALID_CURSOR');
  });

  test('admin API', async () => {
    await expectCode(await fetch(`${hs.adminUrl}/info`), 'ADMIN_PASSWORD_MISSING');
    await expectCode(await fetch(`${hs.adminUrl}/info`, { headers: { 'x-admin-password': 'wrong' } }), 'ADMIN_PASSWORD_INVALID');
    const res = await fetch(`${hs.adminUrl}/dav/`, { method: 'PROPFIND' });
    assert.equal(res.headers.get('www-authenticate'), HOMESERVER_ERRORS.ADMIN_BASIC_AUTH.headers['www-authenticate']);
    await expectCode(res, 'ADMIN_BASIC_AUTH');
    await expectCode(await hs.admin(`/users/${Keypair.random().publicKey.z32}`, { method: 'DELETE' }), 'USER_NOT_FOUND');
  });

  test('bytes that are not HTTP', async () => {
    const u = new URL(hs.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /\r\npubky-error-code: MALFORMED_REQUEST\r\n/i);
  });
});
