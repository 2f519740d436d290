// `pubky dav-password` end to end: create an app password, mount the user's storage over WebDAV with
// Debian's rclone (copy a tree of small and large files up, check it, move, delete) and cadaver,
// list it among the grants, revoke it, and see the mount refused.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import { netArgs, runCli, scratch, show } from './helpers.ts';

let net: Testnet;
const tmp = scratch();
let args: string[];

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2, signupMode: 'open' });
  args = [...netArgs(net), '--session-file', tmp.sessionFile];
});
after(async () => {
  await net?.close();
  tmp.cleanup();
});

/** Runs a client; `out` is its stdout, `log` stdout and stderr (for messages). */
function run(cmd: string, argv: string[], input?: string): Promise<{ code: number; out: string; log: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      argv,
      { timeout: 60_000, env: { ...process.env, HOME: tmp.dir, RCLONE_CONFIG: join(tmp.dir, 'rclone.conf') } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout, log: `${stdout}${stderr}` }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

test('pubky dav-password: rclone and cadaver mount the user’s storage with it, revoking ends it', async () => {
  const keyFile = join(tmp.dir, 'alice.key');
  const kg = await runCli(['keygen', '--out', keyFile]);
  assert.equal(kg.code, 0, show(kg));
  const user = kg.out.trim();
  assert.equal((await runCli(['signup', '-k', keyFile, '--homeserver', net.homeserver.publicKey.z32, ...args])).code, 0);

  assert.equal((await runCli(['dav-password', '-k', keyFile, ...args])).code, 2, 'a mode is required');
  const made = await runCli(['dav-password', '-k', keyFile, '--caps', '/pub/:rw', ...args]);
  assert.equal(made.code, 0, show(made));
  const field = (name: string) => new RegExp(`^${name}\\s+(\\S+)$`, 'm').exec(made.out)![1]!;
  const [url, name, password] = [field('url'), field('user'), field('password')];
  assert.equal(name, user);
  const grantId = /revoke (\S+)$/m.exec(made.err)![1]!;

  // A tree of small and large files, up with rclone, checked, moved, deleted.
  const src = join(tmp.dir, 'tree');
  mkdirSync(join(src, 'docs', 'deep'), { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(src, 'docs', `small-${i}.txt`), `small file ${i}\n`.repeat(i + 1));
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  writeFileSync(join(src, 'docs', 'deep', 'big.bin'), big);
  const obscured = (await run('rclone', ['obscure', password])).out.trim();
  const remote = ['--webdav-url', url, '--webdav-user', name, '--webdav-pass', obscured, '--webdav-vendor', 'other'];
  let r = await run('rclone', ['copy', src, ':webdav:pub/tree', ...remote]);
  assert.equal(r.code, 0, r.log);
  r = await run('rclone', ['check', src, ':webdav:pub/tree', ...remote]);
  assert.equal(r.code, 0, r.log);
  assert.match(r.log, /0 differences found/);
  r = await run('rclone', ['moveto', ':webdav:pub/tree/docs/deep/big.bin', ':webdav:pub/moved.bin', ...remote]);
  assert.equal(r.code, 0, r.log);
  r = await run('rclone', ['copyto', ':webdav:pub/moved.bin', join(tmp.dir, 'back.bin'), ...remote]);
  assert.equal(r.code, 0, r.log);
  assert.ok(readFileSync(join(tmp.dir, 'back.bin')).equals(big), 'the large file came back byte for byte');
  r = await run('rclone', ['purge', ':webdav:pub/tree', ...remote]);
  assert.equal(r.code, 0, r.log);
  r = await run('rclone', ['lsf', ':webdav:pub', ...remote]);
  assert.equal(r.out.trim(), 'moved.bin');
  r = await run('rclone', ['mkdir', ':webdav:pub/empty-dir', ...remote]);
  assert.equal(r.code, 0, r.log);
  r = await run('rclone', ['lsf', ':webdav:pub', ...remote]);
  assert.deepEqual(r.out.trim().split('\n').sort(), ['empty-dir/', 'moved.bin'], 'rclone mkdir makes a directory one can list');
  r = await run('rclone', ['copy', src, ':webdav:priv/tree', ...remote]);
  assert.notEqual(r.code, 0, 'a /pub/:rw password cannot write /priv/');

  // cadaver, scripted: put, ls, get.
  writeFileSync(join(tmp.dir, '.netrc'), `machine ${new URL(url).hostname} login ${name} password ${password}\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'note.txt'), 'from cadaver');
  r = await run(
    'cadaver',
    [`${url}pub/`],
    `put ${join(tmp.dir, 'note.txt')} note.txt\nls\nget note.txt ${join(tmp.dir, 'back.txt')}\nquit\n`,
  );
  assert.match(r.out, /note\.txt/, r.log);
  assert.equal(readFileSync(join(tmp.dir, 'back.txt'), 'utf8'), 'from cadaver', r.log);

  // rclone mount over FUSE: files written through the mount, and a seek reads only a range.
  if (!existsSync('/dev/fuse')) assert.fail('FUSE is unavailable here (/dev/fuse missing): rclone mount cannot be tested');
  const mnt = join(tmp.dir, 'mnt');
  mkdirSync(mnt);
  // The daemon keeps whatever pipes it inherits: no pipes, or execFile would wait for it forever.
  const mounted = await new Promise<number | null>((resolve) => {
    const child = spawn('rclone', ['mount', ':webdav:', mnt, ...remote, '--daemon', '--daemon-wait', '15s', '--dir-cache-time', '0s'], {
      stdio: 'ignore',
      env: { ...process.env, HOME: tmp.dir, RCLONE_CONFIG: join(tmp.dir, 'rclone.conf') },
    });
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  assert.equal(mounted, 0, 'rclone mount started');
  try {
    // Asynchronous I/O only: the homeserver answering the mount runs in this very process.
    await writeFile(join(mnt, 'pub', 'mounted.bin'), big);
    const fh = await open(join(mnt, 'pub', 'moved.bin'), 'r');
    const part = Buffer.alloc(4096);
    await fh.read(part, 0, part.length, 2 * 1024 * 1024 + 5);
    await fh.close();
    assert.ok(part.equals(big.subarray(2 * 1024 * 1024 + 5, 2 * 1024 * 1024 + 5 + 4096)), 'a read in the middle of the file');
  } finally {
    await run('fusermount3', ['-uz', mnt]);
  }
  r = await run('rclone', ['copyto', ':webdav:pub/mounted.bin', join(tmp.dir, 'mounted.bin'), ...remote]);
  assert.ok(readFileSync(join(tmp.dir, 'mounted.bin')).equals(big), 'written through the mount, byte for byte');

  const listed = await runCli(['dav-password', '-k', keyFile, '--list', ...args]);
  assert.equal(listed.code, 0, show(listed));
  assert.match(listed.out, new RegExp(`^${grantId}\\tpubky\\.dav\\t/pub/:rw\\t`, 'm'));
  const revoked = await runCli(['dav-password', '-k', keyFile, '--revoke', grantId, ...args]);
  assert.equal(revoked.code, 0, show(revoked));
  r = await run('rclone', ['lsf', ':webdav:pub', ...remote]);
  assert.notEqual(r.code, 0, 'the revoked password no longer mounts');
});
