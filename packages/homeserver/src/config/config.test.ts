import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.ts';
import { loadConfig, parseConfigFlags, resolveConfig } from './load-config.ts';
import { loadOrCreateSecretKey } from './secret-key.ts';

test('defaults come from config.sample.toml', () => {
  const c = resolveConfig('/tmp/x');
  assert.equal(c.general.signupMode, 'token_required');
  assert.deepEqual(c.drive.icannListen, { host: '127.0.0.1', port: 6286 });
  assert.deepEqual(c.admin.listen, { host: '127.0.0.1', port: 6288 });
  assert.equal(c.admin.password, 'admin');
  assert.equal(c.drive.rateLimits.length, 1);
  assert.deepEqual(
    { ...c.drive.rateLimits[0], whitelist: [] },
    { path: '/signup_tokens/*', method: 'GET', count: 10, periodMs: 60000, key: 'ip', burst: 10, whitelist: [] },
  );
  assert.equal(c.drive.compatSession404, false);
  assert.equal(c.storage.defaultQuotaMb, null);
  assert.equal(c.logging.level, 'info');
});

test('layers: file < env < flags; arrays replace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-cfg-'));
  try {
    writeFileSync(
      join(dir, 'config.toml'),
      '[general]\nsignup_mode = "open"\n[drive]\nrate_limits = []\nicann_listen_socket = "0.0.0.0:1"\n',
    );
    const c = loadConfig({
      argv: ['--data-dir', dir, '--set', 'drive.icann_listen_socket=127.0.0.1:3', '--set=logging.level=warn'],
      env: { PUBKY_DRIVE__ICANN_LISTEN_SOCKET: '127.0.0.1:2', PUBKY_STORAGE__DEFAULT_QUOTA_MB: '5', PUBKY_ADMIN__ADMIN_PASSWORD: 'pw' },
    });
    assert.equal(c.dataDir, dir);
    assert.equal(c.general.signupMode, 'open');
    assert.deepEqual(c.drive.rateLimits, []);
    assert.equal(c.drive.icannListen.port, 3);
    assert.equal(c.storage.defaultQuotaMb, 5);
    assert.equal(c.admin.password, 'pw');
    assert.equal(c.logging.level, 'warn');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad config names the key', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ general: { signup_mode: 'closed' } }, /general\.signup_mode: expected one of "open", "token_required"/],
    [{ drive: { icann_listen_socket: 'nope' } }, /drive\.icann_listen_socket: expected "host:port"/],
    [{ drive: { icann_listen_socket: '1.2.3.4:70000' } }, /drive\.icann_listen_socket/],
    [{ drive: { rate_limits: [{ path: '/x', method: 'GET', quota: '5/m', key: 'ip' }] } }, /drive\.rate_limits\[0\]\.quota/],
    [{ drive: { rate_limits: [{ path: '/x', method: 'GET', quota: '5r/m', key: 'host' }] } }, /drive\.rate_limits\[0\]\.key/],
    [{ drive: { typo: 1 } }, /unknown key drive\.typo/],
    [{ nonsense: {} }, /unknown table \[nonsense\]/],
    [{ logging: { level: 'loud' } }, /logging\.level/],
    [{ storage: { default_quota_mb: -1 } }, /storage\.default_quota_mb/],
    [{ admin: { admin_password: '' } }, /admin\.admin_password/],
  ];
  for (const [over, re] of cases)
    assert.throws(
      () => resolveConfig('/tmp/x', over),
      (e: Error) => e instanceof ConfigError && re.test(e.message),
      JSON.stringify(over),
    );
  assert.throws(() => parseConfigFlags(['--bogus']), ConfigError);
  assert.throws(() => parseConfigFlags(['--data-dir']), ConfigError);
  assert.throws(() => loadConfig({ argv: ['--config', '/nonexistent/x.toml'], env: {} }), /cannot read config file/);
});

test('secret key: created 0600 with 64 hex chars, reused, garbage refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-key-'));
  try {
    const k1 = loadOrCreateSecretKey(join(dir, 'sub'));
    const text = readFileSync(join(dir, 'sub', 'secret'), 'utf8');
    assert.match(text, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(dir, 'sub', 'secret')).mode & 0o777, 0o600);
    assert.ok(loadOrCreateSecretKey(join(dir, 'sub')).publicKey.equals(k1.publicKey));
    writeFileSync(join(dir, 'secret'), '00'.repeat(32) + '\n');
    assert.equal(loadOrCreateSecretKey(dir).publicKey.z32, '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo');
    writeFileSync(join(dir, 'secret'), 'xyz');
    assert.throws(() => loadOrCreateSecretKey(dir), /64 hex characters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
