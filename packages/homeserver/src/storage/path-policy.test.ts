// Roots, file-shaped targets, users, the policy order and aborted uploads are tested by the shared
// store suite (test/postgres/store-suite.ts, also run against SQLite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAllowed } from './path-policy.ts';

test('writeAllowed: directory entries by prefix, files exactly, [] read-only, null unrestricted', () => {
  assert.equal(writeAllowed(null, '/pub/x'), true);
  assert.equal(writeAllowed([], '/pub/x'), false);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/app/a/b'), true);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/apps/a'), false);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/app'), false);
  assert.equal(writeAllowed(['/pub/f.txt'], '/pub/f.txt'), true);
  assert.equal(writeAllowed(['/pub/f.txt'], '/pub/f.txt2'), false);
});
