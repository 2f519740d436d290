// `pubky auth approve` and `pubky auth request` against an in-process testnet: an SDK app flow
// approved by the CLI, and a CLI request approved by an SDK signer.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Keypair, Pubky } from '@pubky-ts/client';
import { bytesToHex } from '@pubky-ts/common';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import { writeFileSync } from 'node:fs';
import { firstLine, netArgs, runCli, scratch, show, spawnCli } from './helpers.ts';

let net: Testnet;
let pubky: Pubky;
const tmp = scratch();
const alice = Keypair.random();
const keyFile = join(tmp.dir, 'alice.key');

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
  pubky = new Pubky({ relays: [net.pkarrRelay.url], httpRelay: `${net.httpRelay.url}/inbox` });
  await pubky.signer(alice).signup(net.homeserver.publicKey, await net.signupToken());
  writeFileSync(keyFile, bytesToHex(alice.secretKey), { mode: 0o600 });
});
after(async () => {
  await net.close();
  tmp.cleanup();
});

test('auth approve: an app (SDK) asks for /pub/cli.app/:rw, the CLI approves with the key, the app holds the session', async () => {
  const flow = pubky.startAuthFlow('/pub/cli.app/:rw');
  const waiting = flow.awaitSession({ signal: AbortSignal.timeout(20_000) });
  const r = await runCli(['auth', 'approve', flow.authorizationUrl, '-k', keyFile, ...netArgs(net)]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.err, /approving for [a-z0-9]{52}: signin asking for \/pub\/cli\.app\/:rw, relay http:\/\/127\.0\.0\.1:\d+\/inbox/);
  assert.match(r.out, new RegExp(`approved signin /pub/cli.app/:rw for ${alice.publicKey.z32}`));
  const session = await waiting;
  assert.equal(session.publicKey.z32, alice.publicKey.z32);
  assert.deepEqual(session.capabilities, ['/pub/cli.app/:rw']);
  await session.storage.putText('/pub/cli.app/ok.txt', 'ok');
  await assert.rejects(session.storage.putText('/pub/other.app/no.txt', 'no'), { code: 'forbidden' });
  await session.signout();
});

test('auth request: the CLI prints a pubkyauth URL, an SDK signer approves, the CLI prints and saves the session', async () => {
  const sessionFile = join(tmp.dir, 'app-sessions.json');
  const child = spawnCli([
    'auth',
    'request',
    '--caps',
    '/pub/cli.app/:r,/pub/cli.app/posts/:rw',
    '--http-relay',
    `${net.httpRelay.url}/inbox`,
    '--save',
    '--session-file',
    sessionFile,
    '--wait',
    '20',
    ...netArgs(net),
  ]);
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  const url = await firstLine(child, 15_000);
  assert.match(url, /^pubkyauth:\/\/signin\?caps=/);
  await pubky.signer(alice).approveAuthRequest(url);
  assert.equal(await closed, 0, `${out}\n${err}`);
  assert.match(out, new RegExp(`^session ${alice.publicKey.z32}$`, 'm'));
  assert.match(out, new RegExp(`^homeserver ${net.homeserver.publicKey.z32}$`, 'm'));
  assert.match(out, /^capabilities \/pub\/cli\.app\/:r,\/pub\/cli\.app\/posts\/:rw$/m);
  assert.equal(statSync(sessionFile).mode & 0o777, 0o600);
  const saved = JSON.parse(readFileSync(sessionFile, 'utf8')).sessions[alice.publicKey.z32];
  const session = await pubky.restoreSession(saved.session);
  assert.deepEqual(session.capabilities, ['/pub/cli.app/:r', '/pub/cli.app/posts/:rw']);
  // The saved session works for the CLI's own commands (within its capabilities).
  const put = await runCli(['put', '/pub/cli.app/posts/1.txt', '-', '--session-file', sessionFile, ...netArgs(net)], { input: 'post' });
  assert.equal(put.code, 0, show(put));
  const denied = await runCli(['put', '/pub/cli.app/profile.json', '-', '--session-file', sessionFile, ...netArgs(net)], { input: '{}' });
  assert.equal(denied.code, 1, show(denied));
  assert.match(denied.err, /\(forbidden\)/);
});

test('auth request gives up after --wait seconds with exit 1; approve rejects a bad URL with exit 2', async () => {
  const [waited, bad, noKey, noSub] = await Promise.all([
    runCli(['auth', 'request', '--caps', '/pub/x/:r', '--http-relay', `${net.httpRelay.url}/inbox`, '--wait', '1', ...netArgs(net)]),
    runCli(['auth', 'approve', 'https://example.com/not-a-link', '-k', keyFile, ...netArgs(net)]),
    runCli(['auth', 'approve', 'pubkyauth://signin?caps=/pub/x/:r&relay=http://127.0.0.1:1/inbox&secret=AAAA', ...netArgs(net)]),
    runCli(['auth', 'frobnicate']),
  ]);
  assert.equal(waited.code, 1, show(waited));
  assert.match(waited.out, /^pubkyauth:\/\/signin\?/);
  assert.match(waited.err, /no approval within 1 s/);
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.err, /not an auth request URL: .*not a pubkyauth:\/\/ link/);
  assert.equal(noKey.code, 2, show(noKey));
  assert.match(noKey.err, /(a key is needed|secret)/);
  assert.equal(noSub.code, 2, show(noSub));
  assert.match(noSub.err, /unknown subcommand "frobnicate"/);
});
