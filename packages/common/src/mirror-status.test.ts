import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PubkyError } from './errors.ts';
import { Keypair } from './keys.ts';
import { parseMirrorStatus } from './mirror-status.ts';

const user = Keypair.random().publicKey.z32;
const primary = Keypair.random().publicKey.z32;
const good = {
  user,
  primary,
  private: true,
  state: 'live',
  cursor: '0000000000042',
  appliedEvents: 42,
  pendingEvents: 0,
  lagMs: 0,
  lastAppliedAt: '2026-11-21T03:00:00.000Z',
  lastError: null,
};

test('parseMirrorStatus reads the contract status JSON', () => {
  assert.deepEqual(parseMirrorStatus(JSON.stringify(good)), good);
  const retrying = {
    ...good,
    state: 'retrying',
    lastAppliedAt: null,
    lastError: 'primary unreachable',
    pendingEvents: 3,
    lagMs: 1200,
    extra: 'ignored',
  };
  const parsed = parseMirrorStatus(JSON.stringify(retrying));
  assert.equal(parsed.state, 'retrying');
  assert.equal(parsed.lastError, 'primary unreachable');
  assert.equal(parsed.lagMs, 1200);
  assert.equal((parsed as unknown as Record<string, unknown>).extra, undefined);
});

test('parseMirrorStatus rejects garbage naming the field', () => {
  const rejects = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseMirrorStatus(text),
      (e: unknown) => e instanceof PubkyError && e.code === 'invalid_response' && pattern.test(e.message),
    );
  rejects('not json', /not JSON/);
  rejects('[1]', /not a JSON object/);
  rejects('null', /not a JSON object/);
  rejects(JSON.stringify({ ...good, user: 'nobody' }), /"user" is not a public key/);
  rejects(JSON.stringify({ ...good, primary: 7 }), /"primary" is not a string/);
  rejects(JSON.stringify({ ...good, private: 'yes' }), /"private" is not a boolean/);
  rejects(JSON.stringify({ ...good, state: 'asleep' }), /"state" is not one of catching_up, live, retrying, stopped/);
  rejects(JSON.stringify({ ...good, cursor: null }), /"cursor" is not a string/);
  rejects(JSON.stringify({ ...good, appliedEvents: -1 }), /"appliedEvents" is not a non-negative integer/);
  rejects(JSON.stringify({ ...good, pendingEvents: 1.5 }), /"pendingEvents"/);
  rejects(JSON.stringify({ ...good, lagMs: '0' }), /"lagMs"/);
  rejects(JSON.stringify({ ...good, lastAppliedAt: 'yesterday' }), /"lastAppliedAt" is not an ISO time or null/);
  rejects(JSON.stringify({ ...good, lastError: 5 }), /"lastError" is not a string or null/);
});
