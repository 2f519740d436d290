import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AuthToken } from './auth-token.ts';
import { renderErrorTable, readErrorSection } from './error-docs.ts';
import { COMMON_ERROR_DOCS, COMMON_ERRORS, PubkyError, type CommonErrorCode } from './errors.ts';
import type { GrantError } from './grant.ts';
import { PublicKey } from './keys.ts';
import type { MerkleErrorCode } from './merkle/errors.ts';
import { parseStrictStoragePath } from './storage-path.ts';
import { z32Decode } from './z32.ts';

// The subclasses' codes are catalogued too (a compile-time check: tsc fails when one is missing).
const subclassCodes: Record<MerkleErrorCode | GrantError['code'], string> = COMMON_ERRORS;

test('every common error code is lower_snake with a description', () => {
  assert.ok(Object.keys(subclassCodes).length > 30);
  for (const [code, summary] of Object.entries(COMMON_ERRORS)) {
    assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, code);
    assert.ok(summary.length > 10, code);
  }
});

test('the README table is the one the catalogue renders (npm run docs:errors rewrites it)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.equal(readErrorSection(readme), renderErrorTable(COMMON_ERROR_DOCS), 'stale: run npm run docs:errors');
});

test('hostile input is refused with catalogued codes', () => {
  const code = (f: () => unknown): CommonErrorCode => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof PubkyError, String(e));
      assert.ok(e.code in COMMON_ERRORS, e.code);
      return e.code as CommonErrorCode;
    }
    assert.fail('did not throw');
  };
  assert.equal(
    code(() => PublicKey.parseZ32('not-a-key')),
    'invalid_public_key',
  );
  assert.equal(
    code(() => z32Decode('0lv')),
    'invalid_z32',
  );
  assert.equal(
    code(() => AuthToken.parse(new Uint8Array(10))),
    'auth_token_truncated',
  );
  assert.equal(
    code(() => parseStrictStoragePath('/pub/a\u0000b')),
    'invalid_path',
  );
  for (let i = 0; i < 200; i++) {
    const junk = new Uint8Array(Math.floor(Math.random() * 200)).map(() => Math.floor(Math.random() * 256));
    code(() => AuthToken.verify(junk));
  }
});
