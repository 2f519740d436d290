// `pubky homeserver doctor` as an operator runs it, and the systemd unit that runs the homeserver.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bytesToHex, Keypair } from '@pubky-ts/common';
import { ROOT, runCli, scratch, show } from './helpers.ts';

const tmp = scratch();
after(() => tmp.cleanup());

test('doctor --offline on a data directory with a readable key and an exposed default password: exit 1, each finding with what to do', async () => {
  writeFileSync(join(tmp.dir, 'secret'), bytesToHex(Keypair.random().secretKey));
  chmodSync(join(tmp.dir, 'secret'), 0o644);
  const r = await runCli([
    'homeserver',
    'doctor',
    '--data-dir',
    tmp.dir,
    '--offline',
    '--set',
    'admin.listen_socket=0.0.0.0:0',
    '--set',
    'drive.icann_listen_socket=127.0.0.1:0',
  ]);
  assert.equal(r.code, 1, show(r));
  assert.match(r.out, /^WARN {2}the homeserver key .*secret is readable by other users \(mode 0644\)\n {6}→ chmod 600 /m);
  assert.match(r.out, /^FAIL {2}the admin password is the default "admin" and the admin API listens on 0\.0\.0\.0:0/m);
  assert.match(r.out, /^1 check\(s\) failed, 1 warning\(s\)\.$/m);
  assert.equal(r.err, '', 'nothing on stderr');

  const json = await runCli(['homeserver', 'doctor', '--data-dir', tmp.dir, '--offline', '--json']);
  const report = JSON.parse(json.out) as { ok: boolean; results: { check: string; status: string }[] };
  assert.equal(report.ok, true, show(json)); // the default admin socket is loopback: a warning only
  assert.equal(json.code, 0);
  assert.ok(report.results.some((x) => x.check === 'secret-key' && x.status === 'warn'));

  const bad = await runCli(['homeserver', 'doctor', '--timeout', 'soon']);
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.err, /--timeout needs a number of milliseconds/);
  const help = await runCli(['homeserver', 'doctor', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^pubky homeserver doctor /);
});

test('the systemd unit in the repository is valid for systemd and runs a command line the CLI accepts', async () => {
  const unitPath = join(ROOT, 'packages/homeserver/deploy/pubky-homeserver.service');
  const unit = readFileSync(unitPath, 'utf8');
  const execStart = /^ExecStart=(\S+) (.*)$/m.exec(unit);
  assert.ok(execStart, 'an ExecStart line');
  assert.equal(execStart[1], '/usr/local/bin/pubky', 'where npm install -g puts the command');
  // systemd-analyze checks the syntax, the directives and that the program exists: point it at node
  const copy = join(tmp.dir, 'pubky-homeserver.service');
  writeFileSync(copy, unit.replace('/usr/local/bin/pubky', process.execPath));
  const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  assert.equal(verify.error, undefined, 'systemd-analyze runs (scripts/ensure-tools.sh installs systemd)');
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '', 'no complaint from systemd');
  // the same arguments, given to the doctor, are understood by the homeserver's config loader
  const args = execStart[2]
    .split(' ')
    .slice(1)
    .map((a) => (a === '/var/lib/pubky-homeserver' ? tmp.dir : a));
  const r = await runCli(['homeserver', 'doctor', ...args, '--offline']);
  assert.match(r.out, new RegExp(`data directory ${tmp.dir.replace(/[/.]/g, '\\$&')} is writable`), show(r));
});
