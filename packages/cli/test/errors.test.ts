// Failures of the SDK commands: clear messages and the documented exit codes
// (1: failed — network, homeserver, no session; 2: bad usage).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bytesToHex, Keypair } from '@pubky-ts/common';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import { main } from '../src/main.ts';
import { netArgs, runCli, scratch, show } from './helpers.ts';

/** Runs `pubky <args>` in this process, capturing console output. */
async function runMain(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

let net: Testnet;
const tmp = scratch();
const user = Keypair.random();
const keyFile = join(tmp.dir, 'u.key');

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
  writeFileSync(keyFile, bytesToHex(user.secretKey), { mode: 0o600 });
});
after(async () => {
  await net.close();
  tmp.cleanup();
});

test('signup with a wrong token or without one fails (exit 1) and saves nothing', async () => {
  const sessionFile = join(tmp.dir, 's1.json');
  const hs = net.homeserver.publicKey.z32;
  const [bad, none, badHs, noKey] = await Promise.all([
    runCli([
      'signup',
      '-k',
      keyFile,
      '--homeserver',
      hs,
      '--signup-token',
      'AAAA-BBBB-CCCC',
      '--session-file',
      sessionFile,
      ...netArgs(net),
    ]),
    runCli(['signup', '-k', keyFile, '--homeserver', hs, '--session-file', sessionFile, ...netArgs(net)]),
    runCli(['signup', '-k', keyFile, '--homeserver', 'nope', '--session-file', sessionFile, ...netArgs(net)]),
    runCli(['signup', '--homeserver', hs, '--session-file', sessionFile, ...netArgs(net)]),
  ]);
  assert.equal(bad.code, 1, show(bad));
  assert.match(bad.err, /^pubky signup: .*\((unauthorized|forbidden|bad_request)\)/);
  assert.equal(none.code, 1, show(none));
  assert.equal(badHs.code, 2, show(badHs));
  assert.match(badHs.err, /--homeserver "nope" is not a public key/);
  assert.equal(noKey.code, 2, show(noKey));
  assert.match(noKey.err, /a key is needed/);
  const ls = await runCli(['logout', '--session-file', sessionFile, ...netArgs(net)]);
  assert.equal(ls.code, 1);
  assert.match(ls.err, /no saved session/);
});

test('commands that need a session say so when there is none', async () => {
  const env = { PUBKY_SESSION_FILE: join(tmp.dir, 'empty.json') };
  const u = user.publicKey.z32;
  const [put, rm, bare, login] = await Promise.all([
    runCli(['put', `pubky://${u}/pub/x.txt`, '-', ...netArgs(net)], { env, input: 'x' }),
    runCli(['rm', `pubky://${u}/pub/x.txt`, ...netArgs(net)], { env }),
    runCli(['get', '/pub/x.txt', ...netArgs(net)], { env }),
    // login needs a _pubky record: this key never signed up
    runCli(['login', '-k', keyFile, ...netArgs(net), '--no-dht'], { env }),
  ]);
  for (const r of [put, rm]) {
    assert.equal(r.code, 1, show(r));
    assert.match(r.err, new RegExp(`no saved session for ${u} in .*empty\\.json: run \`pubky login`));
  }
  assert.equal(bare.code, 1, show(bare));
  assert.match(bare.err, /no saved session in .*: sign in first .* or give a full pubky:\/\/<user>\/… address/);
  assert.equal(login.code, 1, show(login));
  assert.match(login.err, /^pubky login: .*\(user_packet_not_found\)/);
});

test('bad addresses and options are usage errors (exit 2), in-process and as a real process', async () => {
  const sessionFile = join(tmp.dir, 'empty.json');
  const u = user.publicKey.z32;
  const cases: Array<[string[], RegExp]> = [
    [['get', 'pubky://nope/pub/x'], /"pubky:\/\/nope\/pub\/x" is not a valid address: .*not a valid pubky URL/],
    [['get', 'https://example.com/x'], /is not a valid address: .*not a pubky address/],
    [['get', `pubky://${u}/pub/dir/`], /is a directory: list it with `pubky ls`/],
    [['get', `pubky://${u}/pub/../../etc`], /contains a "\." or "\.\." segment; storage paths cannot step up/],
    [['put', `pubky://${u}/pub/dir/`, '-'], /ends in "\/": give a file path/],
    [['put', `pubky://${u}/pub/x`, join(tmp.dir, 'missing.bin')], /cannot read .*missing\.bin: no such file/],
    [['put', `pubky://${u}/notpub/x`, '-'], /is not a valid address: storage paths start with \/pub\/ or \/priv\//],
    [['ls', `pubky://${u}/pub/`, '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
    [['ls', `pubky://${u}/pub/`, '--all', '--cursor', 'x'], /--all lists from the start/],
    [['events', 'not-a-key'], /"not-a-key" is not a public key/],
    [['events', u, '--path', '/etc/'], /must be under \/pub\/ or \/priv\//],
    [['events', u, '--live', '--reverse'], /--reverse cannot be combined with --live/],
    [['events', u, '--cursor', 'a b'], /is not an event cursor/],
    [['rm', '--frob', 'x'], /Unknown option '--frob'.*\n.*pubky rm --help/],
    [['get', '/pub/x', '--user', 'zzz'], /--user "zzz" is not a public key/],
    [['auth', 'request', '--caps', 'not caps'], /--caps "not caps"/],
    [['ls', `pubky://${u}/pub/`, '--http-relay', 'ftp://x'], /--http-relay must be an http\(s\) URL/],
  ];
  for (const [args, re] of cases) {
    const r = await runMain([...args, ...netArgs(net), '--no-dht', '--session-file', sessionFile]);
    assert.equal(r.code, 2, `${args.join(' ')}\n${r.err}`);
    assert.match(r.err, re, `${args.join(' ')}\n${r.err}`);
  }
  // the same path through a real process: message on stderr, no stack trace, exit status 2
  const real = await runCli([...cases[0][0], '--session-file', sessionFile]);
  assert.equal(real.code, 2, show(real));
  assert.match(real.err, cases[0][1]);
  assert.doesNotMatch(real.err, /\n\s+at /, 'no stack trace');
});

test('a damaged session file is reported, not a crash; every new command has --help', async () => {
  const damaged = join(tmp.dir, 'damaged.json');
  writeFileSync(damaged, '{"version":1,"sessions":{"x":1}}', { mode: 0o600 });
  const garbage = join(tmp.dir, 'garbage.json');
  writeFileSync(garbage, '\x00\xff not json', { mode: 0o600 });
  const [d, g] = await Promise.all([
    runCli(['put', '/pub/x', '-', '--session-file', damaged, ...netArgs(net)], { input: 'x' }),
    runCli(['ls', '/pub/', '--session-file', garbage, ...netArgs(net)]),
  ]);
  assert.equal(d.code, 1, show(d));
  assert.match(d.err, /damaged\.json is not a pubky session file \("x" is not a public key\)/);
  assert.equal(g.code, 1, show(g));
  assert.match(g.err, /garbage\.json is not a pubky session file \(invalid JSON/);

  const names = ['signup', 'login', 'logout', 'put', 'get', 'ls', 'rm', 'events', 'auth'];
  for (const name of names) {
    const r = await runMain([name, '--help']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^pubky ${name} `), r.out);
    assert.match(r.out, /Exit codes: 0 done, 1 failed/);
  }
  const top = await runMain(['--help']);
  for (const n of names) assert.match(top.out, new RegExp(`^  ${n} +\\S`, 'm'));
});
