// The README's demo must keep running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from './demo.ts';

test('examples/demo.ts runs end to end', async () => {
  const lines: string[] = [];
  await main((l) => lines.push(l));
  assert.match(lines[0], /^signed up /);
  assert.ok(lines.includes('profile name: Alice'));
  assert.ok(lines.includes('app session capabilities: /pub/demo.app/:rw'));
  assert.equal(lines.filter((l) => l.startsWith('event PUT')).length, 3);
  assert.equal(lines.at(-1), 'signed out');
});
