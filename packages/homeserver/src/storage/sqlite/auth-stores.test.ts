import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from '../errors.ts';
import { randomUserKey, tempStore } from '../test-helpers.ts';
import { openHomeserverStore } from '../open-store.ts';
import type { Revocation } from '../types.ts';
import { bearerHash } from '../grant-row.ts';

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]+$/;

test('signup tokens: format, single use inside user creation, quota copy, listing', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const t1 = await store.signupTokens.create({ storageQuotaMb: 5, allowedWritePaths: ['/pub/app/'] });
    assert.match(t1, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const tokens = [t1];
    for (let i = 0; i < 4; i++) tokens.push(await store.signupTokens.create());

    const u = randomUserKey();
    const user = await store.users.create(u, { signupToken: t1 });
    assert.equal(user.storageQuotaMb, 5);
    assert.deepEqual(user.allowedWritePaths, ['/pub/app/']);
    const rec = await store.signupTokens.get(t1);
    assert.equal(rec?.usedBy, u);
    assert.ok(rec!.usedAt! > 0);

    await assert.rejects(store.users.create(randomUserKey(), { signupToken: t1 }), (e) => e instanceof StorageError && e.code === 'signup_token_used' && e.status === 401);
    await assert.rejects(store.users.create(randomUserKey(), { signupToken: 'AAAA-BBBB-CCCC' }), (e) => e instanceof StorageError && e.code === 'signup_token_invalid');
    // An existing user is reported before the token is looked at, and the token stays unused.
    await assert.rejects(store.users.create(u, { signupToken: tokens[1] }), (e) => e instanceof StorageError && e.code === 'user_exists' && e.status === 409);
    assert.equal((await store.signupTokens.get(tokens[1]))?.usedBy, null);
    assert.equal(await store.signupTokens.get('NOPE'), null);

    const sorted = [...tokens].sort();
    const p1 = await store.signupTokens.list({ limit: 3 });
    assert.deepEqual(p1.items.map((i) => i.token), sorted.slice(0, 3));
    assert.equal(p1.nextCursor, sorted[2]);
    const p2 = await store.signupTokens.list({ limit: 3, cursor: p1.nextCursor });
    assert.deepEqual(p2.items.map((i) => i.token), sorted.slice(3));
    assert.equal(p2.nextCursor, null);
    assert.deepEqual((await store.signupTokens.list({ limit: 10, state: 'used' })).items.map((i) => i.token), [t1]);
    assert.equal((await store.signupTokens.list({ limit: 10, state: 'unused' })).items.length, 4);
    assert.deepEqual(await store.signupTokens.stats(), { total: 5, unused: 4 });
  } finally {
    await cleanup();
  }
});

test('cookie sessions: 26-char Crockford secret, lookup, delete publishes a revocation', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const s = await store.sessions.create(u, '/:rw');
    assert.equal(s.secret.length, 26);
    assert.match(s.secret, CROCKFORD);
    const got = await store.sessions.getBySecret(s.secret);
    assert.deepEqual(got, s);
    assert.equal(await store.sessions.getBySecret('x'), null);
    assert.equal(await store.sessions.getBySecret('A'.repeat(26)), null);
    await assert.rejects(store.sessions.create(randomUserKey(), '/:rw'), (e) => e instanceof StorageError && e.status === 404);
    const revoked: Revocation[] = [];
    store.revocations.subscribe((r) => revoked.push(r));
    assert.equal(await store.sessions.delete(s.secret), true);
    assert.equal(await store.sessions.delete(s.secret), false);
    assert.deepEqual(revoked, [{ kind: 'cookie_session', id: s.id }]);
    assert.equal(await store.sessions.getBySecret(s.secret), null);
  } finally {
    await cleanup();
  }
});

test('grants: first copy wins, one bearer per grant, expiry, revocation, nonces', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const now = 1_800_000_000;
    const base = { id: 'g1', user: u, clientId: 'app', clientCnfKey: randomUserKey(), capabilities: '/pub/app/:rw', issuedAt: now - 10, expiresAt: now + 1000 };
    const g = await store.grants.upsert(base);
    assert.equal(g.capabilities, '/pub/app/:rw');
    const again = await store.grants.upsert({ ...base, capabilities: '/:rw' });
    assert.equal(again.capabilities, '/pub/app/:rw', 'first stored copy wins');
    await assert.rejects(store.grants.upsert({ ...base, id: 'g2', user: randomUserKey() }), (e) => e instanceof StorageError && e.status === 404);

    const m1 = await store.grants.mintSession('g1', now + 3600);
    assert.match(m1.token, /^[A-Za-z0-9_-]{43}$/);
    const stored = store.db.prepare('SELECT token_hash FROM grant_sessions').all() as { token_hash: Buffer }[];
    assert.deepEqual(stored.map((r) => r.token_hash), [bearerHash(m1.token)], 'only the SHA-256 is stored');
    const r1 = await store.grants.resolveBearer(m1.token, now);
    assert.equal(r1?.grant.id, 'g1');
    assert.equal(r1?.grant.user, u);
    const m2 = await store.grants.mintSession('g1', now + 3600);
    assert.equal(await store.grants.resolveBearer(m1.token, now), null, 'older bearer stops working');
    assert.ok(await store.grants.resolveBearer(m2.token, now));
    assert.equal(await store.grants.resolveBearer(m2.token, now + 3600), null, 'session expired');
    assert.equal(await store.grants.resolveBearer(m2.token, now + 1000), null, 'grant expired');
    assert.equal(await store.grants.resolveBearer('short', now), null);
    await assert.rejects(store.grants.mintSession('nope', now + 1), (e) => e instanceof StorageError && e.status === 404);

    await store.grants.upsert({ ...base, id: 'g3', expiresAt: now + 5 });
    await store.grants.upsert({ ...base, id: 'g4' });
    assert.deepEqual((await store.grants.listActive(u, now)).map((x) => x.id), ['g1', 'g3', 'g4']);
    assert.deepEqual((await store.grants.listActive(u, now + 5)).map((x) => x.id), ['g1', 'g4']);

    const revoked: Revocation[] = [];
    store.revocations.subscribe((r) => revoked.push(r));
    assert.equal(await store.grants.revoke('g1', now), true);
    assert.equal(await store.grants.resolveBearer(m2.token, now), null, 'revoked grant');
    assert.equal((await store.grants.get('g1'))?.revokedAt, now);
    assert.deepEqual(revoked, [{ kind: 'grant', id: 'g1' }]);
    assert.equal(await store.grants.revoke('missing', now), false);
    assert.deepEqual((await store.grants.listActive(u, now)).map((x) => x.id), ['g3', 'g4']);

    assert.equal(await store.grants.useNonce('n1', now), true);
    assert.equal(await store.grants.useNonce('n1', now + 10), false);
    assert.equal(await store.grants.useNonce('n1', now + 361), true, 'expired nonces are purged');
  } finally {
    await cleanup();
  }
});

test('AuthToken replay guard holds across two store instances on one database', async () => {
  const { store, dataDir, cleanup } = await tempStore();
  const second = await openHomeserverStore({ dataDir });
  try {
    const id = new Uint8Array(40).fill(7);
    const later = Date.now() * 1000 + 360_000_000;
    assert.equal(await store.authTokenReplay.markUsed(id, later), true);
    assert.equal(await second.authTokenReplay.markUsed(id, later), false);
    assert.equal(await store.authTokenReplay.markUsed(id, later), false);
    const other = new Uint8Array(40).fill(8);
    assert.equal(await second.authTokenReplay.markUsed(other, later), true);
    // An expired record no longer blocks the id.
    const stale = new Uint8Array(40).fill(9);
    assert.equal(await store.authTokenReplay.markUsed(stale, Date.now() * 1000 - 1), true);
    assert.equal(await second.authTokenReplay.markUsed(stale, later), true);
    assert.equal(await store.authTokenReplay.markUsed(stale, later), false);
  } finally {
    await second.close();
    await cleanup();
  }
});
