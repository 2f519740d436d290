// `npm install` on a fresh clone must leave `git status` clean (the committed lock file agrees with
// every package.json) and print no engine warning on the Node version the README names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.ts';

test('npm install against the committed lock file changes nothing and warns of no engine', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pubky-install-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
  for (const name of readdirSync(join(ROOT, 'packages'))) {
    mkdirSync(join(dir, 'packages', name), { recursive: true });
    cpSync(join(ROOT, 'packages', name, 'package.json'), join(dir, 'packages', name, 'package.json'));
  }
  // The lock-only install resolves the whole tree as `npm install` does, from the cache when it can.
  const r = spawnSync('npm', ['install', '--package-lock-only', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, npm_config_loglevel: 'warn' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EBADENGINE/, 'a dependency refuses this Node version');
  const before = readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
  const after = readFileSync(join(dir, 'package-lock.json'), 'utf8');
  assert.ok(before === after, 'npm install rewrote package-lock.json: run `npm install` and commit the lock file');
});
