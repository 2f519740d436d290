import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGrant, createPop, grantIdOf, verifyGrant, verifyPop, type GrantFailure } from './grant.ts';
import { signJws } from './jws.ts';
import { Keypair } from './keys.ts';

const user = Keypair.fromSecretKey(new Uint8Array(32));
const client = Keypair.fromSecretKey(new Uint8Array(32).fill(1));
const hs = Keypair.fromSecretKey(new Uint8Array(32).fill(2));
const NOW = 1700000000;

function failure(fn: () => unknown): GrantFailure {
  try {
    fn();
  } catch (e) {
    return (e as { failure: GrantFailure }).failure;
  }
  assert.fail('expected a GrantError');
}

test('a created grant and its PoP verify; grantIdOf reads the id back', () => {
  const jws = createGrant(user, {
    clientId: 'example.app',
    clientKey: client.publicKey,
    capabilities: '/pub/example.app/:rw',
    issuedAt: NOW,
    lifetimeSeconds: 60,
  });
  const g = verifyGrant(jws, NOW);
  assert.equal(g.issuer.z32, user.publicKey.z32);
  assert.equal(g.clientKey.z32, client.publicKey.z32);
  assert.deepEqual(g.capabilities.toArray(), ['/pub/example.app/:rw']);
  assert.equal(grantIdOf(jws), g.claims.jti);
  const pop = createPop(client, hs.publicKey, g.claims.jti, NOW);
  assert.equal(verifyPop(pop, { clientKey: g.clientKey, grantId: g.claims.jti }, hs.publicKey.z32, NOW).gid, g.claims.jti);
});

test('each failed check is named, in the spec order (format, signature, type, expiry)', () => {
  const claims = {
    iss: user.publicKey.z32,
    client_id: 'x',
    caps: ['/pub/x/:rw'],
    cnf: client.publicKey.z32,
    jti: 'abc',
    iat: NOW,
    exp: NOW + 10,
  };
  assert.equal(
    failure(() => verifyGrant('a.b', NOW)),
    'grant_format',
  );
  assert.equal(
    failure(() => verifyGrant(signJws(user, 'pubky-grant', { ...claims, jti: 'a.b' }), NOW)),
    'grant_format',
  );
  assert.equal(
    failure(() => verifyGrant(signJws(client, 'pubky-pop', claims), NOW)),
    'grant_signature',
  );
  assert.equal(
    failure(() => verifyGrant(signJws(user, 'pubky-pop', claims), NOW)),
    'grant_type',
  );
  assert.equal(
    failure(() => verifyGrant(signJws(user, 'pubky-grant', claims), NOW + 10)),
    'grant_expired',
  );
  const g = { clientKey: client.publicKey, grantId: 'abc' };
  const pop = (over: Record<string, unknown>, typ = 'pubky-pop', key = client) =>
    signJws(key, typ, { aud: hs.publicKey.z32, gid: 'abc', nonce: 'n1', iat: NOW, ...over });
  assert.equal(
    failure(() => verifyPop('garbage', g, hs.publicKey.z32, NOW)),
    'pop_format',
  );
  assert.equal(
    failure(() => verifyPop(pop({ iat: 'x' }), g, hs.publicKey.z32, NOW)),
    'pop_format',
  );
  assert.equal(
    failure(() => verifyPop(pop({ nonce: 'a/b' }), g, hs.publicKey.z32, NOW)),
    'pop_signature',
  );
  assert.equal(
    failure(() => verifyPop(pop({}, 'pubky-pop', user), g, hs.publicKey.z32, NOW)),
    'pop_signature',
  );
  assert.equal(
    failure(() => verifyPop(pop({}, 'pubky-grant'), g, hs.publicKey.z32, NOW)),
    'pop_type',
  );
  assert.equal(
    failure(() => verifyPop(pop({ aud: user.publicKey.z32 }), g, hs.publicKey.z32, NOW)),
    'pop_audience',
  );
  assert.equal(
    failure(() => verifyPop(pop({ gid: 'other' }), g, hs.publicKey.z32, NOW)),
    'pop_grant',
  );
  assert.equal(
    failure(() => verifyPop(pop({}), g, hs.publicKey.z32, NOW + 181)),
    'pop_timestamp',
  );
});

test('random bytes and mutated grants fail with a GrantError, never anything else', () => {
  const jws = createGrant(user, { clientId: 'x', clientKey: client.publicKey, capabilities: '/:rw', issuedAt: NOW });
  for (let i = 0; i < 300; i++) {
    const chars = jws.split('');
    chars[Math.floor(Math.random() * chars.length)] = String.fromCharCode(33 + Math.floor(Math.random() * 90));
    const random = Array.from({ length: Math.floor(Math.random() * 300) }, () => String.fromCharCode(Math.floor(Math.random() * 256))).join(
      '',
    );
    for (const token of [chars.join(''), random]) {
      try {
        verifyGrant(token, NOW);
      } catch (e) {
        assert.equal((e as Error).name, 'GrantError', String(e));
      }
    }
  }
});
