import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { createGrant, createPop, decodeJws, signJws, verifyGrant, type PopClaims } from './grant.ts';

const GRANT =
  'eyJhbGciOiJFZERTQSIsInR5cCI6InB1Ymt5LWdyYW50In0.eyJpc3MiOiI4cGlueHhncXM0MW40YWlkaWRlbnc1YXBxcDF1cmZtemR6dHI4anQ0YWJya2RuNDM1ZXdvIiwiY2xpZW50X2lkIjoiZXhhbXBsZS5hcHAiLCJjYXBzIjpbIi9wdWIvZXhhbXBsZS5hcHAvOnJ3Il0sImNuZiI6InRrcnE4em13YjhhM205azE1Y3N1M3ExN3FtZmdxbnA5ZHNrYnJnOXVxMXJ5ZHB5eHA3cXkiLCJqdGkiOiJBQUFBQUFBQUFBQUFBQUFBQUFBQUFBIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE4MDAwMDAwMDB9.2NnnR-D1txZYgFtncfRNjqiPQlYxzCIglOemmuqLxyMIZ0JKyg_grbdfcELKH2clOkp5cvJIAZxvV_bY9-QaBQ';

const user = Keypair.fromSecretKey(new Uint8Array(32));
const client = Keypair.fromSecretKey(new Uint8Array(32).fill(1));
const hs = Keypair.fromSecretKey(new Uint8Array(32).fill(2));

test('verifies the spec grant vector (§3.6.7) and reproduces it byte for byte', () => {
  const g = verifyGrant(GRANT, { expectedClientKey: client.publicKey, nowSeconds: 1700000001 });
  assert.equal(g.issuer.z32, '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo');
  assert.equal(g.clientKey.z32, 'tkrq8zmwb8a3m9k15csu3q17qmfgqnp9dskbrg9uq1rydpyxp7qy');
  assert.deepEqual(g.capabilities.toArray(), ['/pub/example.app/:rw']);
  assert.equal(g.claims.jti, 'AAAAAAAAAAAAAAAAAAAAAA');
  // Ed25519 is deterministic: same claims, same key ⇒ same JWS.
  assert.equal(signJws(user, 'pubky-grant', g.claims), GRANT);
});

test('created grants and PoPs verify; wrong client, expiry and tampering are refused', () => {
  const grant = createGrant(user, { clientId: 'example.app', clientKey: client.publicKey, capabilities: '/pub/example.app/:rw' });
  const g = verifyGrant(grant, { expectedClientKey: client.publicKey });
  assert.match(g.claims.jti, /^[A-Za-z0-9_-]{22}$/);
  assert.ok(g.claims.exp - g.claims.iat > 365 * 24 * 3600);
  assert.throws(() => verifyGrant(grant, { expectedClientKey: hs.publicKey }), { code: 'invalid_grant' });
  assert.throws(() => verifyGrant(grant, { nowSeconds: g.claims.exp }), { code: 'invalid_grant' });
  const parts = grant.split('.');
  const forged = `${parts[0]}.${Buffer.from(JSON.stringify({ ...g.claims, caps: ['/:rw'] })).toString('base64url')}.${parts[2]}`;
  assert.throws(() => verifyGrant(forged), /signature/);
  const pop = createPop(client, hs.publicKey, g.claims.jti);
  const d = decodeJws<PopClaims>(pop);
  assert.equal(d.header.typ, 'pubky-pop');
  assert.equal(d.claims.aud, hs.publicKey.z32);
  assert.equal(d.claims.gid, g.claims.jti);
  assert.ok(client.publicKey.verify(d.signingInput, d.signature));
});

test('malformed JWS text is refused with invalid_grant', () => {
  for (const bad of ['', 'a.b', 'a.b.c.d', '!!.!!.!!', 'e30.e30.AAAA', `${GRANT.slice(0, -3)}`, 'x'.repeat(20000)]) {
    assert.throws(() => verifyGrant(bad), { code: 'invalid_grant' }, bad.slice(0, 30));
  }
});
