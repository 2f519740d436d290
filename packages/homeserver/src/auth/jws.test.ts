import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Keypair } from '@pubky-ts/common';
import { HttpError } from '../http/errors.ts';
import { decodeJws, signJws, verifyGrant, verifyPop } from './jws.ts';

// Spec homeserver §3.6.7.
const GRANT =
  'eyJhbGciOiJFZERTQSIsInR5cCI6InB1Ymt5LWdyYW50In0.eyJpc3MiOiI4cGlueHhncXM0MW40YWlkaWRlbnc1YXBxcDF1cmZtemR6dHI4anQ0YWJya2RuNDM1ZXdvIiwiY2xpZW50X2lkIjoiZXhhbXBsZS5hcHAiLCJjYXBzIjpbIi9wdWIvZXhhbXBsZS5hcHAvOnJ3Il0sImNuZiI6InRrcnE4em13YjhhM205azE1Y3N1M3ExN3FtZmdxbnA5ZHNrYnJnOXVxMXJ5ZHB5eHA3cXkiLCJqdGkiOiJBQUFBQUFBQUFBQUFBQUFBQUFBQUFBIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE4MDAwMDAwMDB9.2NnnR-D1txZYgFtncfRNjqiPQlYxzCIglOemmuqLxyMIZ0JKyg_grbdfcELKH2clOkp5cvJIAZxvV_bY9-QaBQ';
const POP =
  'eyJhbGciOiJFZERTQSIsInR5cCI6InB1Ymt5LXBvcCJ9.eyJhdWQiOiJvcmh6cWRpZXh3bWk2aWlka3R1Y2d1ZDYzdWZhNW53dHN1emR4ZTE3NmE4aXpkNmpzcWt5IiwiZ2lkIjoiQUFBQUFBQUFBQUFBQUFBQUFBQUFBQSIsIm5vbmNlIjoiQVFFQkFRRUJBUUVCQVFFQkFRRUJBUSIsImlhdCI6MTcwMDAwMDAwMH0.kvXVIi9CtNCQwtF0tFKEuFmxmByZxL3RcG6Q8Am59OyOVEZLJycNxDf4dsHGeYrTtg2T7uHsaWRyiI_Ckgf1AA';
const HS = 'orhzqdiexwmi6iidktucgud63ufa5nwtsuzdxe176a8izd6jsqky';
const NOW = 1700000000;

function status(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HttpError, String(e));
    return [e.status, e.message];
  }
  assert.fail('expected an HttpError');
}

test('spec §3.6.7 grant and PoP vectors verify', () => {
  const g = verifyGrant(GRANT, NOW);
  assert.equal(g.iss.z32, '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo');
  assert.equal(g.cnf.z32, 'tkrq8zmwb8a3m9k15csu3q17qmfgqnp9dskbrg9uq1rydpyxp7qy');
  assert.equal(g.clientId, 'example.app');
  assert.deepEqual(g.caps.toArray(), ['/pub/example.app/:rw']);
  assert.equal(g.jti, 'AAAAAAAAAAAAAAAAAAAAAA');
  assert.equal(g.exp, 1800000000);
  const p = verifyPop(POP, g, HS, NOW);
  assert.equal(p.nonce, 'AQEBAQEBAQEBAQEBAQEBAQ');
  // The keys of the vector are the 32×00 / 32×01 / 32×02 seeds.
  assert.equal(Keypair.fromSecretKey(new Uint8Array(32).fill(2)).publicKey.z32, HS);
});

test('bearer hash vector (spec §3.6.7)', () => {
  const bearer = 'A'.repeat(43);
  assert.equal(createHash('sha256').update(bearer).digest('hex'), '0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a');
});

test('grant failures map to the reference statuses', () => {
  assert.deepEqual(
    status(() => verifyGrant(GRANT, 1800000000)),
    [401, 'Invalid grant: grant has expired'],
  );
  const [h, p, s] = GRANT.split('.');
  const flipped = s![0] === 'A' ? `B${s!.slice(1)}` : `A${s!.slice(1)}`;
  assert.deepEqual(
    status(() => verifyGrant(`${h}.${p}.${flipped}`, NOW)),
    [401, 'Invalid grant: invalid grant signature'],
  );
  assert.deepEqual(
    status(() => verifyGrant('a.b', NOW)),
    [400, 'Invalid grant: invalid grant format'],
  );
  assert.deepEqual(
    status(() => verifyGrant('', NOW)),
    [400, 'Invalid grant: invalid grant format'],
  );
  const user = Keypair.fromSecretKey(new Uint8Array(32));
  const client = Keypair.fromSecretKey(new Uint8Array(32).fill(1));
  const claims = {
    iss: user.publicKey.z32,
    client_id: 'x',
    caps: ['/pub/x/:rw'],
    cnf: client.publicKey.z32,
    jti: 'abc',
    iat: NOW,
    exp: NOW + 10,
  };
  assert.deepEqual(
    status(() => verifyGrant(signJws(user, 'pubky-pop', claims), NOW)),
    [400, 'Invalid grant: invalid grant header type, expected pubky-grant'],
  );
  for (const bad of [
    { caps: ['/pub//x/:rw'] },
    { caps: ['/pub/x/:'] },
    { jti: 'a.b' },
    { jti: 'x'.repeat(23) },
    { iss: `pubky${user.publicKey.z32}` },
    { iat: 1.5 },
    { client_id: '' },
  ]) {
    assert.deepEqual(
      status(() => verifyGrant(signJws(user, 'pubky-grant', { ...claims, ...bad }), NOW)),
      [400, 'Invalid grant: invalid grant format'],
      JSON.stringify(bad),
    );
  }
  // Signed by someone else than iss.
  assert.equal(status(() => verifyGrant(signJws(client, 'pubky-grant', claims), NOW))[0], 401);
});

test('PoP failures are all 401 with the reference texts', () => {
  const g = verifyGrant(GRANT, NOW);
  const client = Keypair.fromSecretKey(new Uint8Array(32).fill(1));
  const pop = (over: Record<string, unknown>, typ = 'pubky-pop', key = client) =>
    signJws(key, typ, { aud: HS, gid: g.jti, nonce: 'n1', iat: NOW, ...over });
  assert.equal(verifyPop(pop({}), g, HS, NOW).gid, g.jti);
  assert.deepEqual(
    status(() => verifyPop(pop({ aud: 'x' }), g, HS, NOW)),
    [401, 'Invalid PoP proof: PoP audience mismatch'],
  );
  assert.deepEqual(
    status(() => verifyPop(pop({ gid: 'other' }), g, HS, NOW)),
    [401, 'Invalid PoP proof: PoP grant ID mismatch'],
  );
  assert.deepEqual(
    status(() => verifyPop(pop({}), g, HS, NOW + 181)),
    [401, 'Invalid PoP proof: PoP timestamp out of range'],
  );
  assert.deepEqual(
    status(() => verifyPop(pop({ nonce: 'a/b' }), g, HS, NOW)),
    [401, 'Invalid PoP proof: invalid PoP signature'],
  );
  assert.deepEqual(
    status(() => verifyPop(pop({}, 'pubky-grant'), g, HS, NOW)),
    [401, 'Invalid PoP proof: invalid PoP header type, expected pubky-pop'],
  );
  assert.deepEqual(
    status(() => verifyPop(pop({}, 'pubky-pop', Keypair.random()), g, HS, NOW)),
    [401, 'Invalid PoP proof: invalid PoP signature'],
  );
  assert.equal(status(() => verifyPop('garbage', g, HS, NOW))[0], 401);
});

test('decodeJws refuses random garbage without throwing', () => {
  for (let i = 0; i < 500; i++) {
    const len = Math.floor(Math.random() * 200);
    const s = Array.from({ length: len }, () => String.fromCharCode(Math.floor(Math.random() * 128))).join('');
    assert.equal(decodeJws(s), null);
    const mutated = GRANT.split('');
    mutated[Math.floor(Math.random() * mutated.length)] = String.fromCharCode(33 + Math.floor(Math.random() * 90));
    try {
      verifyGrant(mutated.join(''), NOW);
    } catch (e) {
      assert.ok(e instanceof HttpError);
    }
  }
});
