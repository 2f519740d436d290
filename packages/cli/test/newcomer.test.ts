// The newcomer's path of issue #22, each point as a user meets it: the `pubky` executable (npx),
// clean stdout for binary downloads, relative paths under `npm run`, one network for a whole shell,
// errors that say what to do, more signup tokens, `pubky events` of the signed-in user.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import { selectedNetwork, networkHint } from '../src/network-options.ts';
import { workingDirectoryFromNpm } from '../src/main.ts';
import { netArgs, ROOT, runCli, scratch, show, type CliResult } from './helpers.ts';

/** The environment of a user's shell: none of the npm variables of the `npm test` running us. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_|^INIT_CWD$|^PUBKY_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Runs a shell-level command (npx, npm run) to completion, stdout as raw bytes. */
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, out: stdout.toString('utf8'), err: Buffer.concat(err).toString('utf8') });
    });
  });
}

let net: Testnet;
const tmp = scratch();
let keyFile: string;
let user: string;
let args: string[];

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
  args = [...netArgs(net), '--session-file', tmp.sessionFile];
  keyFile = join(tmp.dir, 'alice.key');
  const kg = await runCli(['keygen', '--out', keyFile]);
  assert.equal(kg.code, 0, show(kg));
  user = kg.out.trim();
  const su = await runCli([
    'signup',
    '-k',
    keyFile,
    '--homeserver',
    net.homeserver.publicKey.z32,
    '--signup-token',
    await net.signupToken(),
    ...args,
  ]);
  assert.equal(su.code, 0, show(su));
});
after(async () => {
  await net.close();
  tmp.cleanup();
});

test('`npx pubky --help` runs the command (no ERR_UNKNOWN_FILE_EXTENSION) and shows the network variable and exit codes', async () => {
  const r = await run('npx', ['--no-install', 'pubky', '--help']);
  assert.equal(r.code, 0, show(r));
  assert.match(r.out, /PUBKY_NETWORK/);
  assert.match(r.out, /Exit codes: 0 done, 1 failed.*2 bad usage/s);
  assert.equal(r.err, '');
});

test('`npx pubky get … > file` and `npm run -s pubky -- get` write exactly the file, nothing else', async () => {
  const data = randomBytes(70_000);
  const src = join(tmp.dir, 'blob.bin');
  writeFileSync(src, data);
  const put = await runCli(['put', '/pub/example.app/blob.bin', src, ...args]);
  assert.equal(put.code, 0, show(put));
  const address = `pubky://${user}/pub/example.app/blob.bin`;
  const [viaNpx, viaNpm] = await Promise.all([
    run('npx', ['--no-install', 'pubky', 'get', address, ...netArgs(net)]),
    run('npm', ['run', '-s', 'pubky', '--', 'get', address, ...netArgs(net)]),
  ]);
  assert.equal(viaNpx.code, 0, show(viaNpx));
  assert.ok(viaNpx.stdout.equals(data), `npx: ${viaNpx.stdout.length} bytes, first ${JSON.stringify(viaNpx.out.slice(0, 60))}`);
  assert.equal(viaNpm.code, 0, show(viaNpm));
  assert.ok(viaNpm.stdout.equals(data), `npm run -s: ${viaNpm.stdout.length} bytes, first ${JSON.stringify(viaNpm.out.slice(0, 60))}`);
});

test('the README runs the CLI in ways that keep stdout clean (npx pubky or npm run -s), never a bare `npm run pubky --`', () => {
  for (const file of ['README.md', 'examples/README.md', 'packages/client/README.md', 'packages/homeserver/README.md']) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    assert.doesNotMatch(text, /npm run pubky --/, `${file} shows \`npm run pubky --\`, whose banner lands in redirected output`);
  }
});

test('under `npm run`, relative paths are where the user typed them (INIT_CWD), not the repository root', async () => {
  const sub = mkdtempSync(join(ROOT, '.tmp-cwd-'));
  try {
    const r = await run('npm', ['run', '-s', 'pubky', '--', 'keygen', '--out', 'here.key'], { cwd: sub });
    assert.equal(r.code, 0, show(r));
    assert.ok(existsSync(join(sub, 'here.key')), 'the key file is in the directory the command ran in');
    assert.ok(!existsSync(join(ROOT, 'here.key')), 'and not in the repository root');
  } finally {
    rmSync(sub, { recursive: true, force: true });
    rmSync(join(ROOT, 'here.key'), { force: true });
  }
  assert.equal(workingDirectoryFromNpm({ npm_lifecycle_event: 'test', INIT_CWD: '/' }), null, 'only our own scripts move');
  assert.equal(workingDirectoryFromNpm({ npm_lifecycle_event: 'pubky', INIT_CWD: '/no/such/dir' }), null);
  assert.equal(workingDirectoryFromNpm({ npm_lifecycle_event: 'pubky', INIT_CWD: tmp.dir }), tmp.dir);
});

test('PUBKY_NETWORK selects the network for every command; flags win; a bad name says which ones exist', async () => {
  assert.equal(selectedNetwork({}), process.env.PUBKY_NETWORK === 'testnet' ? 'testnet' : 'mainnet');
  const saved = process.env.PUBKY_NETWORK;
  try {
    process.env.PUBKY_NETWORK = 'testnet';
    assert.equal(selectedNetwork({}), 'testnet');
    assert.equal(selectedNetwork({ network: 'mainnet' }), 'mainnet');
    process.env.PUBKY_NETWORK = 'mainnet';
    assert.equal(selectedNetwork({ testnet: true }), 'testnet');
    process.env.PUBKY_NETWORK = 'Testnet ';
    assert.equal(selectedNetwork({}), 'testnet');
  } finally {
    if (saved === undefined) delete process.env.PUBKY_NETWORK;
    else process.env.PUBKY_NETWORK = saved;
  }
  const bad = await runCli(['resolve', user, '--no-dht'], { env: { PUBKY_NETWORK: 'localnet' } });
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.err, /\$PUBKY_NETWORK is "localnet": use one of mainnet, testnet/);
});

test('a lookup that fails on the public network names --testnet and PUBKY_NETWORK', async () => {
  // What a user sees after forgetting --testnet: the public relays do not know the local key.
  const hint = networkHint(
    {},
    'could not resolve the PKARR packet of x: fetch failed (getaddrinfo ENOTFOUND pkarr.pubky.app) (pkarr_unavailable)',
  );
  assert.match(hint ?? '', /--testnet.*PUBKY_NETWORK=testnet/);
  assert.match(networkHint({ testnet: true }, 'fetch failed (ECONNREFUSED)') ?? '', /npm start/);
  assert.equal(networkHint({}, 'quota exceeded'), null);
  // End to end, with the public relays swapped for a dead loopback port (no Internet needed).
  const r = await runCli(['ls', `pubky://${user}/pub/`, '--no-dht', '--relay', 'http://127.0.0.1:9', '--session-file', tmp.sessionFile]);
  assert.equal(r.code, 1, show(r));
  assert.match(r.err, /^pubky ls: .*\n/);
});

test('`pubky events` without a user follows the signed-in user', async () => {
  const r = await runCli(['events', '--limit', '1', ...args]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.out, new RegExp(`^\\S+\\tPUT\\tpubky://${user}/pub/example.app/`));
});

test('`..` and relative paths are refused with a message that says what was wrong', async () => {
  const [up, rel] = await Promise.all([runCli(['get', '/pub/example.app/../x', ...args]), runCli(['put', '../x', keyFile, ...args])]);
  assert.equal(up.code, 2, show(up));
  assert.match(up.err, /contains a "\." or "\.\." segment.*write the full path/);
  assert.equal(rel.code, 2, show(rel));
  assert.match(rel.err, /is a relative path; storage addresses are absolute/);
});

test('`pubky admin token` prints a fresh single-use token (stdout: the token only); a wrong password fails with exit 1', async () => {
  const [a, b, wrong, none] = await Promise.all([
    runCli(['admin', 'token', '--admin-url', net.homeserver.adminUrl!, '--password', net.adminPassword]),
    runCli(['admin', 'token', '--admin-url', net.homeserver.adminUrl!], { env: { PUBKY_ADMIN_PASSWORD: net.adminPassword } }),
    runCli(['admin', 'token', '--admin-url', net.homeserver.adminUrl!, '--password', 'nope']),
    runCli(['admin', 'token']),
  ]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, show(r));
    assert.match(r.out, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\n$/);
  }
  assert.notEqual(a.out, b.out);
  assert.equal(wrong.code, 1, show(wrong));
  assert.match(wrong.err, /refused the password/);
  assert.equal(none.code, 2, show(none));
  assert.match(none.err, /--admin-url <url> \(or --testnet/);
  // The token signs a second user up.
  const k2 = join(tmp.dir, 'bob.key');
  assert.equal((await runCli(['keygen', '--out', k2])).code, 0);
  const su = await runCli([
    'signup',
    '-k',
    k2,
    '--homeserver',
    net.homeserver.publicKey.z32,
    '--signup-token',
    a.out.trim(),
    ...netArgs(net),
    '--session-file',
    join(tmp.dir, 'bob.json'),
  ]);
  assert.equal(su.code, 0, show(su));
});

test('key and session files the CLI writes in a checkout are ignored by git', async () => {
  const r = await run('git', [
    'check-ignore',
    '--no-index',
    'alice.key',
    'backup.pkarr',
    'me.recovery',
    '.pubky/cli-sessions.json',
    'cli-sessions.json',
    'photo.jpg.123.part',
  ]);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.out.trim().split('\n').length, 6, show(r));
});

test('`pubky completion bash` completes commands and each command’s own flags in a real bash', async () => {
  const script = await runCli(['completion', 'bash']);
  assert.equal(script.code, 0, show(script));
  const file = join(tmp.dir, 'completion.sh');
  writeFileSync(file, script.stdout);
  const complete = (words: string[]) =>
    run('bash', [
      '-c',
      `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _pubky; echo "\${COMPREPLY[@]}"`,
    ]);
  const [cmd, flag, testnet] = await Promise.all([
    complete(['pubky', 'mig']),
    complete(['pubky', 'get', '--ou']),
    complete(['pubky', 'testnet', '--home']),
  ]);
  assert.equal(cmd.out.trim(), 'migrate', show(cmd));
  assert.equal(flag.out.trim(), '--out', show(flag));
  assert.equal(testnet.out.trim(), '--homeservers', show(testnet));
  const bad = await runCli(['completion', 'fish']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /give the shell/);
});
