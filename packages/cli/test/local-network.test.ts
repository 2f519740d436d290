// The local network a developer needs (issue #22): `pubky testnet --homeservers 2` and
// `pubky homeserver --testnet`, each as a real child process on random ports.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { AuthToken, Keypair } from '@pubky-ts/common';
import { Pkarr } from '@pubky-ts/pkarr';
import { startTestnet } from '@pubky-ts/testnet';
import { spawnCli } from './helpers.ts';

/** Collects stdout until `marker` appears; the child is killed on timeout. */
function outputUntil(child: ChildProcessWithoutNullStreams, marker: RegExp, timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${marker} within ${timeoutMs} ms\n--- stdout\n${out}\n--- stderr\n${err}`));
    }, timeoutMs);
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (marker.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ${marker}\n--- stdout\n${out}\n--- stderr\n${err}`));
    });
  });
}

/** SIGINT, then the exit code (the commands stop cleanly on Ctrl-C). */
function interrupt(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    child.kill('SIGINT');
  });
}

async function signup(url: string, host: string, token: string | null): Promise<number> {
  const res = await fetch(`${url}/signup${token ? `?signup_token=${token}` : ''}`, {
    method: 'POST',
    body: Buffer.from(AuthToken.sign(Keypair.random(), '/:rw').serialize()),
    headers: { 'pubky-host': host },
  });
  await res.arrayBuffer();
  return res.status;
}

test('`pubky testnet --homeservers 2` runs two homeservers, prints where each is, a token for each and how to get more', async (t) => {
  const child = spawnCli(['testnet', '--random-ports', '--homeservers', '2', '--dht-nodes', '2', '--log-level', 'silent']);
  t.after(() => interrupt(child));
  const out = await outputUntil(child, /Ctrl-C to stop/);
  const hs1 = /^homeserver +(http:\S+) +key (\S+)$/m.exec(out);
  const hs2 = /^homeserver 2 +(http:\S+) +key (\S+)$/m.exec(out);
  const tok1 = /^signup token +(\S+)$/m.exec(out);
  const tok2 = /^signup token \(hs 2\) +(\S+)$/m.exec(out);
  assert.ok(hs1 && hs2 && tok1 && tok2, out);
  assert.notEqual(hs1[2], hs2[2], 'two different homeserver keys');
  assert.match(out, /pubky admin token --admin-url http:\/\/127\.0\.0\.1:\d+/);
  assert.match(out, /--open-signup/);
  assert.equal(await signup(hs2[1], hs2[2], tok2[1]), 200, 'the second homeserver signs up with its token');
  assert.equal(await signup(hs1[1], hs1[2], tok1[1]), 200);
  assert.equal(await signup(hs1[1], hs1[2], tok1[1]), 401, 'tokens are single-use');
  assert.equal(await interrupt(child), 0);
});

test('`pubky homeserver --testnet` joins a running testnet: published through its relay, a temporary data dir, a signup token', async (t) => {
  const net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
  t.after(() => net.close());
  // The fixed layout's relay and bootstrap node are swapped for this testnet's random ports.
  const child = spawnCli([
    'homeserver',
    '--testnet',
    '--set',
    `pkdns.dht_relay_nodes=["${net.pkarrRelay.url}"]`,
    '--set',
    `pkdns.dht_bootstrap_nodes=["${net.bootstrap[0]}"]`,
    '--set',
    'logging.level="silent"',
  ]);
  t.after(() => interrupt(child));
  const out = await outputUntil(child, /signup token/);
  const key = /^homeserver (\S+)$/m.exec(out)?.[1];
  const url = /client API +(\S+)/.exec(out)?.[1];
  const data = /data +(\S+) \(temporary\)/.exec(out)?.[1];
  const token = /signup token (\S+)/.exec(out)?.[1];
  assert.ok(key && url && data && token, out);
  assert.match(out, /pubky admin token --admin-url http:\/\/127\.0\.0\.1:\d+/);
  const pkarr = new Pkarr({ relays: [net.pkarrRelay.url] });
  t.after(() => pkarr.close());
  const endpoint = await pkarr.endpoint(key);
  assert.ok(endpoint, 'the homeserver is resolvable on the testnet');
  assert.equal(await signup(url, key, token), 200);
  assert.equal(await interrupt(child), 0);
  assert.equal(existsSync(data), false, 'the temporary data directory is removed on exit');
});
