import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, normalizeStoragePath } from '@pubky-ts/common';
import { HttpError } from './errors.ts';
import { isPrivateRawPath, legacyStoragePath, legacyTenant, plainStoragePath, resolveTarget } from './tenant.ts';
import { percentDecode, splitUrl } from './url.ts';

const a = Keypair.random().publicKey.z32;
const b = Keypair.random().publicKey.z32;

function err(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HttpError, String(e));
    return [e.status, e.message];
  }
  assert.fail('expected HttpError');
}

test('legacy tenant precedence: pubky-host > Host > ?pubky-host=', () => {
  assert.equal(legacyTenant({ host: a, 'pubky-host': b }, '')?.z32, b);
  assert.equal(legacyTenant({ host: a }, `pubky-host=${b}`)?.z32, a);
  assert.equal(legacyTenant({ host: 'localhost:6286' }, `x=1&pubky-host=${b}&pubky-host=${a}`)?.z32, b);
  assert.equal(legacyTenant({ host: `_pubky.${a}` }, '')?.z32, a);
  assert.equal(legacyTenant({ host: `${a}:6287` }, ''), null, 'host:port does not parse, as in the reference');
  assert.equal(legacyTenant({ 'pubky-host': `pubky${b}` }, ''), null, 'pubky prefix ignored');
  assert.equal(legacyTenant({ 'pubky-host': 'garbage' }, ''), null);
});

test('path-addressed resolution and its 400s', () => {
  const t = resolveTarget(`/storage/${a}/pub/%C3%BC.txt`, '', { 'pubky-host': b });
  assert.equal(t.addressing, 'path');
  assert.ok(t.addressing === 'path' && t.tenant.z32 === a && t.storagePath.path === '/pub/ü.txt');
  assert.deepEqual(
    err(() => resolveTarget('/storage', '', {})),
    [400, 'Missing storage owner or path'],
  );
  assert.deepEqual(
    err(() => resolveTarget('/storage/', '', {})),
    [400, 'Missing storage owner or path'],
  );
  assert.deepEqual(
    err(() => resolveTarget(`/storage/${a}`, '', {})),
    [400, 'Missing storage path'],
  );
  assert.deepEqual(
    err(() => resolveTarget(`/storage/${a}/`, '', {})),
    [400, 'Missing storage path'],
  );
  assert.deepEqual(
    err(() => resolveTarget(`/storage/pubky${a}/pub/x`, '', {})),
    [400, 'Invalid storage owner public key'],
  );
  assert.deepEqual(
    err(() => resolveTarget(`/storage/${a}/pub/%FF`, '', {})),
    [400, 'Storage path is not valid UTF-8'],
  );
  assert.deepEqual(
    err(() => resolveTarget(`/storage/${a}/../x`, '', {})),
    [400, 'Invalid storage path: path traverses above root'],
  );
  assert.equal(err(() => resolveTarget(`/storage/${a}/pub/a%00b`, '', {}))[0], 400);
  assert.equal(err(() => resolveTarget(`/storage/${a}/pub/${'x'.repeat(256)}`, '', {}))[0], 400);
});

test('legacy paths: decoding, normalising, Invalid URL', () => {
  assert.deepEqual(legacyStoragePath('/pub/file%25.txt'), { path: '/pub/file%.txt', isDirectory: false });
  assert.deepEqual(legacyStoragePath('/pub/a/%2e%2e/b/'), { path: '/pub/b/', isDirectory: true });
  for (const bad of ['/..', '/pub/report%20', '/pub/report%C2%A0', '/pub/scope/%5C..%5Creport', '/pub/%00', '/pub/%FF%FE']) {
    const [s, m] = err(() => legacyStoragePath(bad));
    assert.equal(s, 400);
    assert.match(m, /^Invalid URL: /, bad);
  }
});

test('private detection on raw, decoded and normalised forms', () => {
  assert.ok(isPrivateRawPath('/priv/x'));
  assert.ok(isPrivateRawPath('/pub/../priv/x'));
  assert.ok(isPrivateRawPath('/pub/%2e%2e/priv/x'));
  assert.ok(isPrivateRawPath('/%70riv/x'));
  assert.ok(!isPrivateRawPath('/pub/priv/x'));
  assert.ok(!isPrivateRawPath('/privstuff/x'));
});

test('percent decoding keeps stray % and refuses invalid UTF-8; url splitting', () => {
  assert.equal(percentDecode('/a%zz%4'), '/a%zz%4');
  assert.equal(percentDecode('a+b', true), 'a b');
  assert.equal(percentDecode('%E2%82'), null);
  assert.deepEqual(splitUrl('http://h:1/x?y=1#f'), { path: '/x', query: 'y=1' });
  assert.deepEqual(splitUrl('/x'), { path: '/x', query: '' });
});

test('plainStoragePath agrees with normalizeStoragePath wherever it answers', () => {
  const alphabet = ['a', 'b', '/', '/', '.', '..', '%2e', ' ', '\\', '\u00e9', 'x'.repeat(255), 'y'.repeat(256), '\u0000', '~'];
  let answered = 0;
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const cases = [
    '/',
    '/pub/',
    '/pub/a',
    '/pub/a/',
    '/pub/./a',
    '/pub/../a',
    '/pub//a',
    '/pub/a.',
    '/pub/.a',
    '/pub/..a',
    `/${'z'.repeat(971)}`,
    `/${'z'.repeat(972)}`,
  ];
  for (let i = 0; i < 3000; i++) {
    let p = '/';
    for (let k = rnd(8); k > 0; k--) p += alphabet[rnd(alphabet.length)];
    cases.push(p);
  }
  for (const p of cases) {
    const fast = plainStoragePath(p);
    if (fast === null) continue;
    answered++;
    assert.deepEqual(fast, normalizeStoragePath(p), p);
  }
  assert.ok(answered > 300, `the fast path answered ${answered} cases`);
  for (const p of [
    '/pub/./a',
    '/pub/../a',
    '/pub//a',
    '/a b',
    '/a%2e',
    '/a\\b',
    '/\u00e9',
    `/${'y'.repeat(256)}`,
    `/${'z'.repeat(972)}`,
    'pub/a',
  ]) {
    assert.equal(plainStoragePath(p), null, p);
  }
});
