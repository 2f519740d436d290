import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signup, startTestServer, type TestServer } from './helpers.ts';

// Debian's litmus (WebDAV compliance suite, installed by scripts/ensure-tools.sh) against the
// operator's WebDAV mount of a real homeserver: every test of every suite must pass.
let hs: TestServer;
let base = '';
before(async () => {
  hs = await startTestServer({ storage: { default_quota_mb: 50 } });
  const { kp } = await signup(hs);
  base = `${hs.adminUrl}/dav/${kp.publicKey.z32}/pub/`;
});
after(() => hs.stop());

function litmus(suite: string): Promise<{ code: number; out: string }> {
  const home = mkdtempSync(join(tmpdir(), 'litmus-'));
  return new Promise((resolve) => {
    execFile(
      'litmus',
      [base, 'admin', 'admin'],
      { env: { ...process.env, HOME: home, TESTS: suite }, timeout: 120_000, cwd: home },
      (err, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true });
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
      },
    );
  });
}

for (const suite of ['basic', 'copymove', 'props', 'locks', 'http']) {
  test(`litmus ${suite}: every test passes`, async () => {
    const { code, out } = await litmus(suite);
    const summary = /<- summary for `[^']+': of (\d+) tests run: (\d+) passed, (\d+) failed/.exec(out);
    assert.ok(summary, out);
    assert.equal(summary[3], '0', out);
    assert.ok(
      !/\bSKIPPED\b|skipped/i.test(
        out
          .split('\n')
          .filter((l) => /^\s*\d+\./.test(l))
          .join('\n'),
      ),
      out,
    );
    assert.equal(code, 0, out);
  });
}
