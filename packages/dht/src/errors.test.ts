import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readErrorSection, renderErrorTable } from '@pubky-ts/common';
import { bdecode } from './bencode.ts';
import { DHT_ERROR_DOCS, DHT_ERRORS, DhtError } from './errors.ts';
import { decodeMessage } from './krpc.ts';
import { DhtNode } from './node.ts';

test('every DHT error code is lower_snake with a description', () => {
  for (const [code, summary] of Object.entries(DHT_ERRORS)) {
    assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, code);
    assert.ok(summary.length > 10, code);
  }
});

test('the README table is the one the catalogue renders (npm run docs:errors rewrites it)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.equal(readErrorSection(readme), renderErrorTable(DHT_ERROR_DOCS), 'stale: run npm run docs:errors');
});

test('real failures carry catalogued codes', async () => {
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof DhtError, String(e));
      assert.ok(e.code in DHT_ERRORS, e.code);
      return e.code;
    }
    assert.fail('did not throw');
  };
  assert.equal(
    code(() => bdecode(new TextEncoder().encode('d1:a-3:e'))),
    'bencode_invalid',
  );
  assert.equal(
    code(() => decodeMessage(new TextEncoder().encode('le'))),
    'krpc_invalid',
  );
  const node = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [] });
  await assert.rejects(node.putMutable({ key: new Uint8Array(3), signature: new Uint8Array(64), seq: 1, value: new Uint8Array(1) }), {
    code: 'invalid_argument',
  });
  await node.close();
  await assert.rejects(node.getMutable(new Uint8Array(32)).next(), { code: 'closed' });
});
