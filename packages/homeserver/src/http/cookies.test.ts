import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { cookieHost, isSecureCookieHost, readCookie, removalCookie, sessionCookie } from './cookies.ts';

test('Secure/SameSite only on z32 and dotted DNS hosts (spec §3.3.2)', () => {
  const k = Keypair.random().publicKey.z32;
  assert.ok(isSecureCookieHost(k));
  assert.ok(isSecureCookieHost('homeserver.example.com'));
  for (const h of ['localhost', '127.0.0.1', '::1', '[::1]', 'example.com:443', 'intranet', undefined])
    assert.ok(!isSecureCookieHost(h), String(h));
  assert.equal(cookieHost({ forwarded: 'for=1.2.3.4;host="a.example";proto=https', host: 'localhost' }), 'a.example');
  assert.equal(cookieHost({ 'x-forwarded-host': 'b.example, c', host: 'localhost' }), 'b.example');
});

test('session cookie: named after the user, one year, attributes by host', () => {
  const c = sessionCookie('user', 'SECRET', { host: 'hs.example.com' }, 0);
  assert.equal(c, 'user=SECRET; HttpOnly; SameSite=None; Secure; Path=/; Max-Age=31536000; Expires=Fri, 01 Jan 1971 00:00:00 GMT');
  assert.equal(
    sessionCookie('u', 's', { host: 'localhost:6286' }, 0),
    'u=s; HttpOnly; Path=/; Max-Age=31536000; Expires=Fri, 01 Jan 1971 00:00:00 GMT',
  );
  assert.match(removalCookie('u', {}), /^u=; HttpOnly; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970/);
  assert.equal(readCookie({ cookie: 'a=1; user=XYZ; b=2' }, 'user'), 'XYZ');
  assert.equal(readCookie({ cookie: 'garbage;;;=%%' }, 'user'), undefined);
});
