// The SDK commands end to end against an in-process testnet on random ports:
// keygen → signup (token) → put → get (byte-exact) → ls → events → rm → logout → login.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Pubky } from '@pubky-ts/client';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import { netArgs, runCli, scratch, show, spawnCli } from './helpers.ts';

let net: Testnet;
const tmp = scratch();
let args: string[];

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
  args = [...netArgs(net), '--session-file', tmp.sessionFile];
});
after(async () => {
  await net.close();
  tmp.cleanup();
});

test('keygen, signup with a token, put, get, ls, events, rm, logout, login', async () => {
  const keyFile = join(tmp.dir, 'alice.key');
  const kg = await runCli(['keygen', '--out', keyFile]);
  assert.equal(kg.code, 0, show(kg));
  const user = kg.out.trim();
  assert.match(user, /^[a-z0-9]{52}$/);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);

  // signup: the session is saved (mode 0600) keyed by the user, holding a session export.
  const token = await net.signupToken();
  const su = await runCli(['signup', '-k', keyFile, '--homeserver', net.homeserver.publicKey.z32, '--signup-token', token, ...args]);
  assert.equal(su.code, 0, show(su));
  assert.match(su.out, new RegExp(`signed up ${user} on ${net.homeserver.publicKey.z32}`));
  assert.equal(statSync(tmp.sessionFile).mode & 0o777, 0o600);
  const saved = JSON.parse(readFileSync(tmp.sessionFile, 'utf8'));
  assert.equal(saved.version, 1);
  assert.deepEqual(Object.keys(saved.sessions), [user]);
  assert.equal(saved.sessions[user].homeserver, net.homeserver.publicKey.z32);
  assert.match(saved.sessions[user].session, /^pubky-session:/);
  // The saved export is a live session for the SDK too.
  const sdk = new Pubky({ relays: [net.pkarrRelay.url] });
  const restored = await sdk.restoreSession(saved.sessions[user].session);
  assert.equal(restored.publicKey.z32, user);

  // put a binary file (with forced progress on stderr), by bare path and by full address.
  const data = randomBytes(300_000);
  const file = join(tmp.dir, 'data.bin');
  writeFileSync(file, data);
  // (sequential: the events below are checked in order)
  const put = await runCli(['put', '/pub/cli.test/data.bin', file, '--progress', ...args]);
  // without a TTY and without --progress: no progress output
  const quiet = await runCli(['put', `pubky://${user}/pub/cli.test/dir/a.txt`, '-', ...args], { input: 'from stdin\n' });
  assert.equal(put.code, 0, show(put));
  assert.match(put.out, new RegExp(`pubky://${user}/pub/cli.test/data.bin  300000 bytes`));
  assert.match(put.err, /put .*data\.bin .*100% /, 'the progress line reaches 100%');
  assert.equal(quiet.code, 0, show(quiet));
  assert.doesNotMatch(quiet.err, /B\/s/);

  // get it back byte-exact: to a file, and to stdout.
  const outFile = join(tmp.dir, 'back.bin');
  // (independent reads run side by side to keep the suite short)
  const [got, toStdout, text] = await Promise.all([
    runCli(['get', `pubky://${user}/pub/cli.test/data.bin`, '--out', outFile, ...args]),
    runCli(['get', '/pub/cli.test/data.bin', '--progress', ...args]),
    runCli(['get', `pubky://${user}/pub/cli.test/dir/a.txt`, ...netArgs(net)]), // no session file needed
  ]);
  assert.equal(got.code, 0, show(got));
  assert.ok(readFileSync(outFile).equals(data), 'the downloaded file is byte-identical');
  assert.equal(toStdout.code, 0, show(toStdout));
  assert.ok(toStdout.stdout.equals(data), 'stdout carries exactly the bytes');
  assert.match(toStdout.err, /get data\.bin {2}293\.0 KiB \/ 293\.0 KiB {2}100%/);
  assert.equal(text.out, 'from stdin\n', show(text));

  // ls: deep, shallow, paging with --limit/--cursor, --all.
  const [ls, shallow, page1, page2, reversed] = await Promise.all([
    runCli(['ls', `pubky://${user}/pub/cli.test/`, ...args]),
    runCli(['ls', '/pub/cli.test', '--shallow', ...args]),
    runCli(['ls', '/pub/cli.test/', '--limit', '1', ...args]),
    runCli(['ls', '/pub/cli.test/', '--limit', '1', '--cursor', `pubky://${user}/pub/cli.test/data.bin`, ...args]),
    runCli(['ls', '/pub/cli.test/', '--reverse', '--all', '--limit', '1', ...args]),
  ]);
  assert.equal(ls.code, 0, show(ls));
  assert.deepEqual(ls.out.trim().split('\n'), [`pubky://${user}/pub/cli.test/data.bin`, `pubky://${user}/pub/cli.test/dir/a.txt`]);
  assert.deepEqual(
    shallow.out.trim().split('\n'),
    [`pubky://${user}/pub/cli.test/data.bin`, `pubky://${user}/pub/cli.test/dir/`],
    show(shallow),
  );
  assert.equal(page1.out.trim(), `pubky://${user}/pub/cli.test/data.bin`, show(page1));
  assert.match(page1.err, /more may follow: --cursor pubky:\/\/.*data\.bin/);
  assert.equal(page2.out.trim(), `pubky://${user}/pub/cli.test/dir/a.txt`, show(page2));
  assert.deepEqual(
    reversed.out.trim().split('\n'),
    [`pubky://${user}/pub/cli.test/dir/a.txt`, `pubky://${user}/pub/cli.test/data.bin`],
    show(reversed),
  );
  assert.match(reversed.err, /2 entries/);

  // rm, then the file is gone.
  const rm = await runCli(['rm', '/pub/cli.test/dir/a.txt', ...args]);
  assert.equal(rm.code, 0, show(rm));
  assert.match(rm.out, /^deleted pubky:\/\/.*\/pub\/cli\.test\/dir\/a\.txt/);
  const [gone, rmAgain] = await Promise.all([
    runCli(['get', '/pub/cli.test/dir/a.txt', ...args]),
    runCli(['rm', '/pub/cli.test/dir/a.txt', ...args]),
  ]);
  assert.equal(gone.code, 1, show(gone));
  assert.match(gone.err, /no such file \(not_found\)/);
  assert.equal(rmAgain.code, 1, show(rmAgain));

  // events: one line per event, cursor first; --cursor resumes, --limit stops, --path filters.
  const [ev, filtered] = await Promise.all([
    runCli(['events', user, ...args]),
    runCli(['events', `pubky://${user}/pub/cli.test/dir/`, '--json', ...args]),
  ]);
  assert.equal(ev.code, 0, show(ev));
  const lines = ev.out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  assert.deepEqual(
    lines.map((l) => [l[1], l[2]]),
    [
      ['PUT', `pubky://${user}/pub/cli.test/data.bin`],
      ['PUT', `pubky://${user}/pub/cli.test/dir/a.txt`],
      ['DEL', `pubky://${user}/pub/cli.test/dir/a.txt`],
    ],
  );
  assert.equal(lines[0].length, 4, 'a PUT carries the content hash');
  assert.equal(lines[2].length, 3, 'a DEL does not');
  const resumed = await runCli(['events', user, '--cursor', lines[0][0], '--limit', '1', ...args]);
  assert.deepEqual(
    resumed.out
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[1]),
    ['PUT'],
    show(resumed),
  );
  assert.equal(resumed.out.trim().split('\t')[0], lines[1][0]);
  const json = filtered.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    json.map((e) => e.type),
    ['PUT', 'DEL'],
    show(filtered),
  );
  assert.equal(json[0].path, '/pub/cli.test/dir/a.txt');

  // logout ends the session on the homeserver and forgets it; then writes need a login.
  const lo = await runCli(['logout', ...args]);
  assert.equal(lo.code, 0, show(lo));
  assert.match(lo.out, new RegExp(`signed out ${user}`));
  assert.equal(await restored.revalidate(), false, 'the session ended on the homeserver');
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(tmp.sessionFile, 'utf8')).sessions), []);
  const denied = await runCli(['put', `pubky://${user}/pub/cli.test/x.txt`, file, ...args]);
  assert.equal(denied.code, 1, show(denied));
  assert.match(denied.err, /no saved session for/);

  const li = await runCli(['login', '-k', keyFile, ...args]);
  assert.equal(li.code, 0, show(li));
  assert.match(li.out, new RegExp(`signed in ${user} on ${net.homeserver.publicKey.z32}`));
  const again = await runCli(['put', '/pub/cli.test/x.txt', '-', ...args], { input: 'x' });
  assert.equal(again.code, 0, show(again));
  assert.equal(await sdk.publicStorage.getText(`pubky://${user}/pub/cli.test/x.txt`), 'x');
});

test('private files and events need the saved session; the session file can come from $PUBKY_SESSION_FILE', async () => {
  const keyFile = join(tmp.dir, 'bob.key');
  const user = (await runCli(['keygen', '--out', keyFile])).out.trim();
  const sessionFile = join(tmp.dir, 'bob-sessions.json');
  const env = { PUBKY_SESSION_FILE: sessionFile };
  const su = await runCli(
    ['signup', '-k', keyFile, '--homeserver', net.homeserver.publicKey.z32, '--signup-token', await net.signupToken(), ...netArgs(net)],
    { env },
  );
  assert.equal(su.code, 0, show(su));
  assert.equal(statSync(sessionFile).mode & 0o777, 0o600);
  const put = await runCli(['put', '/priv/cli.test/secret.txt', '-', ...netArgs(net)], { env, input: 'secret' });
  assert.equal(put.code, 0, show(put));
  const [get, ls, ev, noSession] = await Promise.all([
    runCli(['get', `pubky://${user}/priv/cli.test/secret.txt`, ...netArgs(net)], { env }),
    runCli(['ls', '/priv/cli.test/', ...netArgs(net)], { env }),
    runCli(['events', user, '--path', '/priv/cli.test/', ...netArgs(net)], { env }),
    // Without the session (an empty session file) the private file is out of reach.
    runCli(['get', `pubky://${user}/priv/cli.test/secret.txt`, ...netArgs(net)], {
      env: { PUBKY_SESSION_FILE: join(tmp.dir, 'none.json') },
    }),
  ]);
  assert.equal(get.out, 'secret', show(get));
  assert.equal(ls.out.trim(), `pubky://${user}/priv/cli.test/secret.txt`, show(ls));
  assert.equal(ev.code, 0, show(ev));
  assert.match(ev.out, /\tPUT\tpubky:\/\/.*\/priv\/cli\.test\/secret\.txt\t/);
  assert.equal(noSession.code, 1, show(noSession));
  assert.match(noSession.err, /no saved session for/);
});

test('events --live prints new events as they happen and stops on SIGINT', async () => {
  const keyFile = join(tmp.dir, 'carol.key');
  const user = (await runCli(['keygen', '--out', keyFile])).out.trim();
  const sessionFile = join(tmp.dir, 'carol-sessions.json');
  const su = await runCli([
    'signup',
    '-k',
    keyFile,
    '--homeserver',
    net.homeserver.publicKey.z32,
    '--signup-token',
    await net.signupToken(),
    ...netArgs(net),
    '--session-file',
    sessionFile,
  ]);
  assert.equal(su.code, 0, show(su));
  const child = spawnCli(['events', user, '--live', ...netArgs(net)]);
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  const sdk = new Pubky({ relays: [net.pkarrRelay.url] });
  const session = await sdk.restoreSession(JSON.parse(readFileSync(sessionFile, 'utf8')).sessions[user].session);
  for (let i = 0; i < 100 && !out.includes('live-2'); i++) {
    if (i % 10 === 0) await session.storage.putText(`/pub/cli.test/live-${i === 0 ? 1 : 2}.txt`, 'x');
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGINT');
  assert.equal(await closed, 0);
  assert.match(out, /\tPUT\tpubky:\/\/[a-z0-9]{52}\/pub\/cli\.test\/live-1\.txt/);
  assert.match(out, /live-2\.txt/);
});
